/**
 * Interop of the DICOM C-ECHO probe with real DICOM implementations from Debian: DCMTK `storescp` (accepts any
 * called AE title) and Orthanc (user process, temporary config, `DicomCheckCalledAet` on), plus agreement with
 * DCMTK `echoscu` on the same peers and on adversarial ones. `echoscu` exits 0 even when the peer aborts or
 * answers with a failure status, so its verdict is read from its `-v` log, not its exit code.
 * Also runs `npx medlb probe dicom ...` as a child process against both peers.
 *
 * Needs: apt-get install -y dcmtk orthanc
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeDicom } from '../../lambda/probes/dicom';
import type { ProbeResult } from '../../lambda/probes/types';
import { startDicomPeer, type DicomPeer, type DicomPeerBehaviour } from '../peers/dicom-peers';
import { freePort } from '../peers/free-port';
import { caSignedCertificate, testCertificateAuthority } from '../peers/http-peers';

const REPO_ROOT = path.resolve(__dirname, '../..');
const INSTALL_HINT = 'apt-get install -y dcmtk orthanc';
const REQUIRED_TOOLS = ['storescp', 'echoscu', 'Orthanc'];
const STORESCP_AE = 'PACS';
const ORTHANC_AE = 'ORTHANC-IT';
const TIMEOUT_MS = 3000;

function missingTools(): string[] {
  return REQUIRED_TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

async function waitForPort(port: number, child: ChildProcess, what: string, limitMs = 20_000): Promise<void> {
  const startedAt = Date.now();
  while (Date.now() - startedAt < limitMs) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening on ${port}`);
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
  throw new Error(`${what} did not listen on port ${port} within ${limitMs} ms`);
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** echoscu's verdict from its verbose log: healthy only if the echo succeeded and the association was released. */
interface EchoscuVerdict {
  readonly healthy: boolean;
  /** The rejection reason line, lower-cased, e.g. "called ae title not recognized". */
  readonly rejectReason: string | undefined;
  readonly log: string;
}

function echoscu(host: string, port: number, calledAe: string): Promise<EchoscuVerdict> {
  return new Promise((resolve) => {
    execFile(
      'echoscu',
      ['-v', '-to', '3', '-ta', '3', '-td', '3', '-aet', 'MEDLB', '-aec', calledAe, host, String(port)],
      { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 15_000 },
      (_error, stdout, stderr) => {
        const log = `${stdout}\n${stderr}`;
        const healthy =
          /Received Echo Response \(Success\)/.test(log) &&
          /Releasing Association/.test(log) &&
          !/Abort|Rejected|Failed|Error/i.test(log.replace(/Received Echo Response \(Success\)/, ''));
        const rejectReason = /Reason: (.+)/.exec(log)?.[1]?.trim().toLowerCase();
        resolve({ healthy, rejectReason, log });
      },
    );
  });
}

function medlbProbe(args: string[]): Promise<{ code: number | null; line: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['medlb', 'probe', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const lines = stdout.trim().split('\n');
        expect(lines).toHaveLength(1);
        resolve({ code, line: JSON.parse(lines[0]!) as Record<string, unknown> });
      } catch (err) {
        reject(new Error(`medlb probe printed ${JSON.stringify(stdout)} (stderr ${JSON.stringify(stderr)}): ${String(err)}`));
      }
    });
  });
}

const probe = (port: number, calledAeTitle: string): Promise<ProbeResult> =>
  probeDicom({ host: '127.0.0.1', port }, { protocol: 'dicom', timeoutMs: TIMEOUT_MS, calledAeTitle });

describe('DICOM interop with DCMTK and Orthanc', () => {
  let storescp: ChildProcess | undefined;
  let orthanc: ChildProcess | undefined;
  let storescpPort = 0;
  let orthancPort = 0;
  let orthancDir = '';

  beforeAll(async () => {
    const missing = missingTools();
    if (missing.length > 0) {
      throw new Error(`interop peers missing: ${missing.join(', ')} not found on PATH; install them with: ${INSTALL_HINT}`);
    }
    storescpPort = await freePort();
    storescp = spawn('storescp', ['-aet', STORESCP_AE, String(storescpPort)], {
      env: { ...process.env, TCP_NODELAY: '1' },
      stdio: 'ignore',
    });

    orthancDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medlb-orthanc-'));
    orthancPort = await freePort();
    const config = {
      Name: 'medlb-interop',
      StorageDirectory: path.join(orthancDir, 'db'),
      IndexDirectory: path.join(orthancDir, 'db'),
      DicomAet: ORTHANC_AE,
      DicomPort: orthancPort,
      HttpPort: await freePort(),
      RemoteAccessAllowed: false,
      DicomCheckCalledAet: true,
      Plugins: [],
    };
    const configFile = path.join(orthancDir, 'orthanc.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    orthanc = spawn('Orthanc', [configFile], { cwd: orthancDir, env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore' });

    await Promise.all([
      waitForPort(storescpPort, storescp, 'storescp'),
      waitForPort(orthancPort, orthanc, 'Orthanc'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([stop(storescp), stop(orthanc)]);
    if (orthancDir) fs.rmSync(orthancDir, { recursive: true, force: true });
  });

  describe('storescp (accepts any called AE)', () => {
    it('is healthy with its AE title and with any other', async () => {
      await expect(probe(storescpPort, STORESCP_AE)).resolves.toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
      await expect(probe(storescpPort, 'SOMETHING-ELSE')).resolves.toMatchObject({ healthy: true });
    });

    it('agrees with echoscu', async () => {
      const [ours, theirs] = await Promise.all([probe(storescpPort, STORESCP_AE), echoscu('127.0.0.1', storescpPort, STORESCP_AE)]);
      expect(theirs.healthy).toBe(true);
      expect(ours.healthy).toBe(theirs.healthy);
    });

    it('answers many sequential probes, each a new association', async () => {
      for (let i = 0; i < 25; i++) {
        await expect(probe(storescpPort, STORESCP_AE)).resolves.toMatchObject({ healthy: true });
      }
    });
  });

  describe('Orthanc (DicomCheckCalledAet on)', () => {
    it('is healthy with the right called AE', async () => {
      await expect(probe(orthancPort, ORTHANC_AE)).resolves.toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
    });

    it('is unhealthy with a wrong called AE, with the decoded rejection', async () => {
      await expect(probe(orthancPort, 'NOT-ORTHANC')).resolves.toMatchObject({
        healthy: false,
        reason: 'association rejected (rejected-permanent, service-user: called AE title not recognized)',
      });
    });

    it('agrees with echoscu, rejection reason included', async () => {
      for (const calledAe of [ORTHANC_AE, 'NOT-ORTHANC']) {
        const [ours, theirs] = await Promise.all([probe(orthancPort, calledAe), echoscu('127.0.0.1', orthancPort, calledAe)]);
        expect({ calledAe, healthy: ours.healthy }).toEqual({ calledAe, healthy: theirs.healthy });
        if (!theirs.healthy) {
          expect(theirs.rejectReason).toBe('called ae title not recognized');
          expect(ours.reason.toLowerCase()).toContain(theirs.rejectReason);
        }
      }
    });
  });

  describe('agreement with echoscu on adversarial peers (whose exit code says 0 regardless)', () => {
    const peers: DicomPeer[] = [];
    afterAll(async () => {
      await Promise.all(peers.map((peer) => peer.close()));
    });

    // echoscuSays: the line of echoscu's log that shows it saw the same failure (not, say, a network timeout).
    const cases: Array<{ name: string; behaviour: DicomPeerBehaviour; reason: string; echoscuSays: RegExp }> = [
      {
        name: 'failure status 0x0110',
        behaviour: { kind: 'wrong-status', status: 0x0110 },
        reason: 'C-ECHO status 0x0110',
        echoscuSays: /Received Echo Response \(.*0x110\)/,
      },
      {
        name: 'abort after accept',
        behaviour: { kind: 'abort-after-accept', source: 2, reason: 0 },
        reason: 'aborted by peer (service-provider: reason not specified)',
        echoscuSays: /Peer Aborted Association/,
      },
      {
        name: 'calling AE rejected',
        behaviour: { kind: 'reject', result: 1, source: 1, reason: 3 },
        reason: 'association rejected (rejected-permanent, service-user: calling AE title not recognized)',
        echoscuSays: /Reason: Calling AE Title Not Recognized/,
      },
    ];

    it.each(cases)('$name: both unhealthy for the same cause', async ({ behaviour, reason, echoscuSays }) => {
      const peer = await startDicomPeer(behaviour, { host: `127.0.4.${peers.length + 1}` });
      peers.push(peer);
      const ours = await probeDicom(peer, { protocol: 'dicom', timeoutMs: TIMEOUT_MS });
      const theirs = await echoscu(peer.host, peer.port, 'ANY-SCP');
      expect(ours).toMatchObject({ healthy: false, reason });
      expect(theirs.healthy).toBe(false);
      expect(theirs.log).toMatch(echoscuSays);
    });
  });

  describe('npx medlb probe dicom (child process)', () => {
    it('prints healthy:true and exits 0 against storescp', async () => {
      const { code, line } = await medlbProbe(['dicom', `127.0.0.1:${storescpPort}`, '--called-ae', STORESCP_AE]);
      expect(line).toMatchObject({ healthy: true, protocol: 'dicom', target: `127.0.0.1:${storescpPort}`, reason: 'C-ECHO status 0x0000' });
      expect(code).toBe(0);
    });

    it('prints healthy:true and exits 0 against Orthanc with the right called AE', async () => {
      const { code, line } = await medlbProbe(['dicom', `127.0.0.1:${orthancPort}`, '--called-ae', ORTHANC_AE]);
      expect(line).toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
      expect(code).toBe(0);
    });

    it('exits 1 against Orthanc with a wrong called AE, naming the rejection', async () => {
      const { code, line } = await medlbProbe(['dicom', `127.0.0.1:${orthancPort}`, '--called-ae', 'NOT-ORTHANC']);
      expect(line).toMatchObject({
        healthy: false,
        reason: 'association rejected (rejected-permanent, service-user: called AE title not recognized)',
      });
      expect(code).toBe(1);
    });
  });

  describe('DICOM TLS: storescp +tls with a certificate from the hospital CA', () => {
    let tlsScp: ChildProcess | undefined;
    let tlsPort = 0;
    let pkiDir = '';
    let caFile = '';

    beforeAll(async () => {
      pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medlb-dicom-tls-'));
      const hospitalCa = await testCertificateAuthority();
      const server = await caSignedCertificate('127.0.0.1', hospitalCa);
      caFile = path.join(pkiDir, 'ca.pem');
      fs.writeFileSync(caFile, hospitalCa.cert);
      fs.writeFileSync(path.join(pkiDir, 'key.pem'), server.key);
      fs.writeFileSync(path.join(pkiDir, 'cert.pem'), server.cert);
      tlsPort = await freePort();
      // -ic: the probe presents no client certificate; +pw '': the key is not encrypted.
      tlsScp = spawn('storescp', ['+tls', path.join(pkiDir, 'key.pem'), path.join(pkiDir, 'cert.pem'), '+pw', '', '-ic', '-aet', STORESCP_AE, String(tlsPort)], {
        env: { ...process.env, TCP_NODELAY: '1' },
        stdio: 'ignore',
      });
      await waitForPort(tlsPort, tlsScp, 'storescp +tls');
    }, 30_000);

    afterAll(async () => {
      await stop(tlsScp);
      if (pkiDir) fs.rmSync(pkiDir, { recursive: true, force: true });
    });

    it('is healthy over TLS when the hospital CA is trusted, with verification on', async () => {
      const result = await probeDicom(
        { host: '127.0.0.1', port: tlsPort },
        { protocol: 'dicom', timeoutMs: TIMEOUT_MS, tls: true, caCertificates: fs.readFileSync(caFile, 'utf8'), calledAeTitle: STORESCP_AE },
      );
      expect(result).toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
    });

    it('is unhealthy when the issuer is not trusted, and when TLS is not spoken', async () => {
      await expect(
        probeDicom({ host: '127.0.0.1', port: tlsPort }, { protocol: 'dicom', timeoutMs: TIMEOUT_MS, tls: true, calledAeTitle: STORESCP_AE }),
      ).resolves.toMatchObject({ healthy: false, reason: 'TLS handshake failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)' });
      const plain = await probe(tlsPort, STORESCP_AE);
      expect(plain.healthy).toBe(false);
    });

    it('npx medlb probe dicom --tls --ca-file exits 0', async () => {
      const { code, line } = await medlbProbe(['dicom', `127.0.0.1:${tlsPort}`, '--tls', '--ca-file', caFile, '--called-ae', STORESCP_AE]);
      expect(line).toMatchObject({ healthy: true, reason: 'C-ECHO status 0x0000' });
      expect(code).toBe(0);
    });
  });
});
