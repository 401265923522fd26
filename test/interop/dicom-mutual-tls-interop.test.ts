/**
 * DICOM TLS with peer verification: DCMTK `storescp +tls ... --require-peer-cert +cf <client CA>`, a DICOM node that
 * accepts only associations from clients holding a certificate of the hospital's client CA. The C-ECHO probe is
 * healthy with that certificate, and unhealthy with the decoded TLS alert without one and with an untrusted one;
 * `npx medlb probe dicom --cert --key` does the same from the command line.
 *
 * Needs: apt-get install -y dcmtk
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeDicom } from '../../lambda/probes/dicom';
import type { CheckSpec } from '../../lambda/probes/types';
import { freePort } from '../peers/free-port';
import { caSignedCertificate } from '../peers/http-peers';
import { mutualTlsPki, type MutualTlsPki } from '../peers/mutual-tls-peers';

const REPO_ROOT = path.resolve(__dirname, '../..');
const STORESCP_AE = 'PACS';
const TIMEOUT_MS = 3000;

async function waitForPort(port: number, child: ChildProcess, limitMs = 20_000): Promise<void> {
  const startedAt = Date.now();
  while (Date.now() - startedAt < limitMs) {
    if (child.exitCode !== null) throw new Error(`storescp exited with code ${child.exitCode} before listening on ${port}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`storescp did not listen on port ${port} within ${limitMs} ms`);
}

describe('DICOM TLS with peer verification: storescp +tls --require-peer-cert +cf <client CA>', () => {
  let scp: ChildProcess | undefined;
  let port = 0;
  let dir = '';
  let pki: MutualTlsPki;
  const file = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    expect(spawnSync('sh', ['-c', 'command -v storescp']).status).toBe(0); // apt-get install -y dcmtk
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medlb-dicom-mtls-'));
    pki = await mutualTlsPki();
    const server = await caSignedCertificate('127.0.0.1', pki.serverCa);
    fs.writeFileSync(file('server.key'), server.key);
    fs.writeFileSync(file('server.pem'), server.cert);
    fs.writeFileSync(file('server-ca.pem'), pki.serverCa.cert);
    fs.writeFileSync(file('client-ca.pem'), pki.clientCa.cert);
    fs.writeFileSync(file('client.pem'), pki.trustedClient.cert);
    fs.writeFileSync(file('client.key'), pki.trustedClient.key);
    port = await freePort();
    // +pw '': the server key is not encrypted; -rc: verify the client's certificate, fail if absent.
    scp = spawn('storescp', ['+tls', file('server.key'), file('server.pem'), '+pw', '', '--require-peer-cert', '+cf', file('client-ca.pem'), '-aet', STORESCP_AE, String(port)], {
      stdio: 'ignore',
    });
    await waitForPort(port, scp);
  }, 30_000);

  afterAll(async () => {
    const running = scp;
    if (running && running.exitCode === null) {
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const check = (extra: Partial<CheckSpec> = {}): CheckSpec => ({
    protocol: 'dicom',
    timeoutMs: TIMEOUT_MS,
    tls: true,
    caCertificates: pki.serverCa.cert,
    calledAeTitle: STORESCP_AE,
    ...extra,
  });

  it('is healthy with the client certificate of the trusted client CA', async () => {
    const result = await probeDicom({ host: '127.0.0.1', port }, check({ tlsClientCertificate: { certificateChain: pki.trustedClient.cert, privateKey: pki.trustedClient.key } }));
    expect(result).toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
  });

  it('is unhealthy without a client certificate, with the decoded alert', async () => {
    const result = await probeDicom({ host: '127.0.0.1', port }, check());
    expect(result.healthy).toBe(false);
    expect(result.reason).toMatch(
      /^TLS handshake failed: (the server requires a client certificate and none was presented \(alert certificate_required\)|the server ended the handshake \(alert handshake_failure\))/,
    );
  });

  it('is unhealthy with a certificate of an untrusted CA: unknown_ca, decoded', async () => {
    const result = await probeDicom({ host: '127.0.0.1', port }, check({ tlsClientCertificate: { certificateChain: pki.untrustedClient.cert, privateKey: pki.untrustedClient.key } }));
    expect(result).toMatchObject({
      healthy: false,
      reason: 'TLS handshake failed: the server does not trust the issuer of the client certificate (alert unknown_ca): the server must trust the CA that signed it (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA)',
    });
  });

  it('npx medlb probe dicom --tls --ca-file --cert --key exits 0', async () => {
    const args = ['dicom', `127.0.0.1:${port}`, '--tls', '--ca-file', file('server-ca.pem'), '--cert', file('client.pem'), '--key', file('client.key'), '--called-ae', STORESCP_AE];
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile('npx', ['medlb', 'probe', ...args], { cwd: REPO_ROOT, timeout: 60_000 }, (error, out) => {
        resolve({ code: error ? Number(Reflect.get(error, 'code') ?? 1) : 0, stdout: out });
      });
    });
    expect(JSON.parse(stdout.trim())).toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
    expect(code).toBe(0);
  });
});
