import { execFile } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseProbeArgs, UsageError } from '../../lambda/cli/probe';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { caSignedCertificate, startHttpServer, startHttpsServer, testCertificateAuthority, type RunningServer } from '../peers/http-peers';

const MEDLB = path.join(__dirname, '..', '..', 'bin', 'medlb.js');

function medlb(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MEDLB, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The usage problems parseProbeArgs reports for a command line (it must report some). */
function problems(args: string[]): readonly string[] {
  try {
    parseProbeArgs(args);
  } catch (err) {
    if (err instanceof UsageError) return err.problems;
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('medlb probe (child process)', () => {
  let server: RunningServer;
  let refusedPort: number;
  beforeAll(async () => {
    server = await startHttpServer('127.0.8.1');
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.8.2', resolve));
    refusedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(() => server.close());

  it('prints one JSON line and exits 0 when healthy', async () => {
    const { code, stdout, stderr } = await medlb(['probe', 'http', `${server.host}:${server.port}`, '--expect', 'ready', '--timeout-ms', '5000']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.endsWith('\n')).toBe(true);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const line = JSON.parse(stdout);
    expect(Object.keys(line)).toEqual(['healthy', 'protocol', 'target', 'latencyMs', 'reason']);
    expect(line).toMatchObject({ healthy: true, protocol: 'http', target: `${server.host}:${server.port}`, reason: 'HTTP 200 OK, body contains "ready"' });
    expect(typeof line.latencyMs).toBe('number');
  });

  it('exits 1 with the reason when unhealthy', async () => {
    const { code, stdout } = await medlb(['probe', 'tcp', `127.0.8.2:${refusedPort}`]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ healthy: false, protocol: 'tcp', target: `127.0.8.2:${refusedPort}`, reason: 'connection refused' });
  });

  it.each([
    [['probe', 'smtp', '127.0.0.1:99999', '--timeout-ms', 'abc'], ['unknown protocol "smtp"', 'bad port "99999"', '--timeout-ms "abc"']],
    [['probe', 'tcp', '127.0.0.1:104', '--bogus'], ["Unknown option '--bogus'"]],
    [['probe', 'tcp', '127.0.0.1:104', '--timeout-ms'], ["Option '--timeout-ms <value>' argument missing"]],
    [['probe', 'dicom', 'pacs.example:'], ['bad port "" in address "pacs.example:"']],
  ])('exits 2 naming the bad argument: %j', async (args, messages) => {
    const { code, stdout, stderr } = await medlb(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    for (const message of messages) expect(stderr).toContain(message);
  });
});

describe('parseProbeArgs', () => {

  it('builds the check from every option', () => {
    expect(
      parseProbeArgs(['xds', '[::1]:8443', '--tls', '--insecure', '--path', '/r', '--xds-transaction', 'repository',
        '--xds-document-id', '1.2', '--xds-repository-id', '1.3', '--timeout-ms', '2500']),
    ).toEqual({
      target: { host: '::1', port: 8443 },
      targetLabel: '[::1]:8443',
      check: { protocol: 'xds', timeoutMs: 2500, tls: true, insecure: true, path: '/r', transaction: 'repository', documentUniqueId: '1.2', repositoryUniqueId: '1.3' },
    });
    expect(parseProbeArgs(['dicom', 'pacs1.hospital.local:104', '--calling-ae', 'MEDLB', '--called-ae', 'PACS'])).toMatchObject({
      check: { protocol: 'dicom', timeoutMs: 3000, callingAeTitle: 'MEDLB', calledAeTitle: 'PACS' },
    });
  });

  it('reports every problem at once', () => {
    expect(problems(['hl7', '10.0.0.1:0', '--called-ae', 'PACS', '--hl7-message-type', 'ADT', '--insecure'])).toEqual([
      'bad port "0" in address "10.0.0.1:0" (expected 1-65535)',
      '--called-ae does not apply to hl7 (only dicom)',
      '--insecure needs --tls',
      '--hl7-message-type: HL7 message type "ADT" is not of the form XXX^YYY (e.g. NMD^N02)',
    ]);
    expect(problems(['dicom', 'bad_host!:104', '--calling-ae', 'A\\B', '--called-ae', 'WAY-TOO-LONG-AE-TITLE'])).toEqual([
      'bad host "bad_host!" in address "bad_host!:104"',
      '--calling-ae "A\\B" is not a DICOM AE title (1-16 printable ASCII characters, no backslash)',
      '--called-ae "WAY-TOO-LONG-AE-TITLE" is not a DICOM AE title (1-16 printable ASCII characters, no backslash)',
    ]);
    expect(problems(['xds', '127.0.0.1:80', '--xds-transaction', 'both', '--path', 'no-slash', 'extra'])).toEqual([
      'expected <protocol> <host>:<port>, got 3 argument(s): unexpected "extra"',
      '--path "no-slash" must start with / and contain no spaces or control characters',
      '--xds-transaction "both" is not registry or repository',
    ]);
    expect(problems(['https', '127.0.0.1:443', '--tls', '--timeout-ms', '0'])).toEqual([
      '--timeout-ms "0" is not a whole number of milliseconds in 1-300000',
      '--tls does not apply to https (only tcp|dicom|hl7|xds)',
    ]);
  });
});

describe('medlb probe --ca-file', () => {
  let dir: string;
  let server: RunningServer;
  let caFile: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'medlb-ca-'));
    const hospitalCa = await testCertificateAuthority();
    caFile = path.join(dir, 'hospital-ca.pem');
    writeFileSync(caFile, hospitalCa.cert);
    server = await startHttpsServer('127.0.8.5', undefined, await caSignedCertificate('127.0.8.5', hospitalCa));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies an internally issued certificate against the given CA (exit 0), not without it (exit 1)', async () => {
    const trusted = await medlb(['probe', 'https', `${server.host}:${server.port}`, '--ca-file', caFile]);
    expect({ code: trusted.code, line: JSON.parse(trusted.stdout) }).toMatchObject({ code: 0, line: { healthy: true, reason: 'HTTP 200 OK' } });
    const untrusted = await medlb(['probe', 'https', `${server.host}:${server.port}`]);
    expect(untrusted.code).toBe(1);
    expect(JSON.parse(untrusted.stdout).reason).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('names an unreadable or non-PEM CA file, and contradictory options (exit 2)', async () => {
    const notPem = path.join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(problems(['https', '127.0.0.1:443', '--ca-file', path.join(dir, 'missing.pem')])).toEqual([
      `--ca-file "${path.join(dir, 'missing.pem')}" cannot be read: ENOENT`,
    ]);
    expect(problems(['https', '127.0.0.1:443', '--ca-file', notPem, '--insecure'])).toEqual([
      '--ca-file and --insecure contradict each other (one verifies, the other does not)',
      `--ca-file "${notPem}" holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)`,
    ]);
    expect(problems(['dicom', '127.0.0.1:104', '--ca-file', caFile])).toEqual(['--ca-file needs --tls']);
    expect(problems(['http', '127.0.0.1:80', '--ca-file', caFile])).toEqual(['--ca-file does not apply to http (only tcp|dicom|hl7|xds|https)']);
    const { code, stderr } = await medlb(['probe', 'https', '127.0.0.1:443', '--ca-file', notPem]);
    expect(code).toBe(2);
    expect(stderr).toContain('--ca-file');
  });

  it('refuses a CA file that holds a private key, without printing any of it (exit 2)', async () => {
    const ca = await testCertificateAuthority('a CA whose key was pasted along');
    const bundle = path.join(dir, 'bundle-with-key.pem');
    writeFileSync(bundle, `${ca.cert}\n${ca.key}`);
    const { code, stdout, stderr } = await medlb(['probe', 'https', '127.0.0.1:443', '--ca-file', bundle]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/holds a PRIVATE KEY, which must never be given here/);
    for (const line of ca.key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(stderr).not.toContain(line);
  });
});
