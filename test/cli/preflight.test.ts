/**
 * `medlb preflight <site file>` against real peers on loopback: a site whose VPC is 127.0.0.0/16 and whose real
 * servers are DICOM, MLLP, XDS and HTTPS peers on 127.0.0.x; EC2 discovery against the lab's EC2 endpoint, and
 * skipped without credentials.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runSiteFile } from '../../lambda/cli/preflight';
import type { PreflightReport } from '../../lambda/controller/preflight';
import { startDicomPeer, type DicomPeer } from '../peers/dicom-peers';
import { FakeEc2 } from '../peers/fake-ec2';
import { startHl7Peer, type Hl7Peer } from '../peers/hl7-peers';
import { caSignedCertificate, startHttpsServer, testCertificateAuthority, type RunningServer } from '../peers/http-peers';
import { startXdsResponder, type XdsResponder } from '../peers/xds-responder';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { mutualTlsPki, requireClientCertificate, startMutualTlsHttpsServer, type MutualTlsPeer, type MutualTlsPki } from '../peers/mutual-tls-peers';

const VPC_ID = 'vpc-0123456789abcdef0';
const PATIENT_ID = 'MEDLB-PROBE^^^&1.2.826.0.1.3680043.10.1234&ISO';

let dir: string;
let dicomGood: DicomPeer;
let dicomRejecting: DicomPeer;
let hl7Good: Hl7Peer;
let hl7Refusing: Hl7Peer;
let xds: XdsResponder;
let viewer: RunningServer;
let caPem: string;
let stdout: string;
let stderr: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medlb-preflight-'));
  // A pool's servers share the service's port, as a target group's targets do: the second peer takes the first's port.
  dicomGood = await startDicomPeer({ kind: 'echo' }, { host: '127.0.0.21' });
  dicomRejecting = await startDicomPeer({ kind: 'reject', result: 1, source: 1, reason: 7 }, { host: '127.0.0.22', port: dicomGood.port });
  hl7Good = await startHl7Peer('ack-aa', '127.0.0.31');
  hl7Refusing = await startHl7Peer('ack-ar', '127.0.0.32', hl7Good.port);
  xds = await startXdsResponder('healthy', '127.0.0.41');
  const ca = await testCertificateAuthority();
  caPem = ca.cert;
  viewer = await startHttpsServer('127.0.0.51', undefined, await caSignedCertificate('127.0.0.51', ca));
});

afterAll(async () => {
  await Promise.all([dicomGood, dicomRejecting, hl7Good, hl7Refusing, xds, viewer].map((peer) => peer?.close()));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  stdout = '';
  stderr = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
});
afterEach(() => jest.restoreAllMocks());

type ServiceInput = Record<string, unknown>;

function service(label: string, vip: string, port: number, healthCheck: Record<string, unknown>, servers: readonly [string, string][], extra: ServiceInput = {}): ServiceInput {
  return {
    label,
    vip: [vip],
    ports: [{ port }],
    transparent: false,
    healthCheck: { timeoutMs: 2000, ...healthCheck },
    realServers: servers.map(([serverLabel, ip]) => ({ label: serverLabel, ip })),
    ...extra,
  };
}

/** Writes a loopback site file with these services; returns its path. */
async function siteFile(name: string, services: readonly ServiceInput[]): Promise<string> {
  const site = {
    name: 'loopback-hospital',
    env: { region: 'eu-west-2' },
    network: {
      existingVpc: {
        vpcId: VPC_ID,
        cidr: '127.0.0.0/16',
        subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', availabilityZone: 'eu-west-2a', cidr: '127.0.0.0/24', routeTableId: 'rtb-0aaaaaaaaaaaaaaa1' }],
      },
    },
    allowedClientCidrs: ['127.0.0.0/16'],
    services,
  };
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(site));
  return path;
}

const dicomService = () =>
  service('DICOM', '127.0.0.120', dicomGood.port, { protocol: 'dicom', calledAeTitle: 'PACS' }, [
    ['DICOM1', '127.0.0.21'],
    ['DICOM2', '127.0.0.22'],
  ]);
const hl7Service = (servers: readonly [string, string][] = [['HL71', '127.0.0.31'], ['HL72', '127.0.0.32']], extra: ServiceInput = {}) =>
  service('HL7', '127.0.0.130', hl7Good.port, { protocol: 'hl7' }, servers, extra);
const xdsService = () => service('XDS-Registry', '127.0.0.140', xds.port, { protocol: 'xds', transaction: 'registry', patientId: PATIENT_ID }, [['XDS1', '127.0.0.41']]);
const httpsService = () => service('Viewer-HTTPS', '127.0.0.150', viewer.port, { protocol: 'https', caCertificates: caPem, expect: 'ready' }, [['WEB1', '127.0.0.51']]);

const options = { json: true, wide: false, aws: {} };

describe('medlb preflight <site file>', () => {
  test('runs every check once against every real server and exits 1 when one fails, naming the reason', async () => {
    const path = await siteFile('mixed', [dicomService(), hl7Service(), xdsService(), httpsService()]);
    expect(await runSiteFile(path, options)).toBe(1);
    const report = JSON.parse(stdout) as PreflightReport;
    expect(report.ok).toBe(false);
    expect(report.ranFrom).toBe('local');
    const verdicts = Object.fromEntries(report.results.map((r) => [r.server, { healthy: r.healthy, address: r.address, check: r.check }]));
    expect(verdicts).toEqual({
      DICOM1: { healthy: true, address: `127.0.0.21:${dicomGood.port}`, check: 'dicom MEDLB→PACS' },
      DICOM2: { healthy: false, address: `127.0.0.22:${dicomGood.port}`, check: 'dicom MEDLB→PACS' },
      HL71: { healthy: true, address: `127.0.0.31:${hl7Good.port}`, check: 'hl7 NMD^N02' },
      HL72: { healthy: false, address: `127.0.0.32:${hl7Good.port}`, check: 'hl7 NMD^N02' },
      XDS1: { healthy: true, address: `127.0.0.41:${xds.port}`, check: 'xds registry' },
      WEB1: { healthy: true, address: `127.0.0.51:${viewer.port}`, check: 'https /' },
    });
    expect(report.results.find((r) => r.server === 'DICOM2')!.reason).toMatch(/association rejected/i);
    expect(report.results.find((r) => r.server === 'HL72')!.reason).toMatch(/AR/);
    // Each peer saw exactly one check: once, not a round's worth.
    expect(dicomGood.seen.associateRequests).toHaveLength(1);
    expect(dicomGood.seen.associateRequests[0]).toMatchObject({ calledAeTitle: 'PACS', callingAeTitle: 'MEDLB' });
    expect(hl7Good.received).toHaveLength(1);
    expect(xds.requests).toHaveLength(1);
  });

  test('the table fits 120 columns, says where it ran and how many passed; exit 0 when every server passes', async () => {
    const path = await siteFile('passing', [xdsService(), httpsService(), hl7Service([['HL71', '127.0.0.31']])]);
    expect(await runSiteFile(path, { ...options, json: false })).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^preflight of site loopback-hospital from this machine at \S+: 3 of 3 servers pass$/);
    expect(lines[1]).toMatch(/^SERVICE\s+SERVER\s+ADDRESS\s+CHECK\s+VERDICT\s+LATENCY\s+REASON$/);
    expect(lines.slice(2).map((line) => line.split(/\s{2,}/)[0])).toEqual(['XDS-Registry', 'Viewer-HTTPS', 'HL7']);
    expect(lines.slice(2).every((line) => / pass /.test(line))).toBe(true);
    for (const line of lines.slice(1)) expect(line.length).toBeLessThanOrEqual(120);
  });

  test('an invalid site exits 2 with every problem and its path, and probes nothing', async () => {
    const path = await siteFile('invalid', [
      service('DICOM', '127.0.0.120', dicomGood.port, { protocol: 'dicom' }, [['DICOM1', '127.0.0.21']]),
      service('HL7', '127.0.1.130', hl7Good.port, { protocol: 'hl7', messageType: 'ADT' }, [['HL71', '127.0.0.31']]),
    ]);
    const before = dicomGood.seen.associateRequests.length;
    expect(await runSiteFile(path, options)).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/services\[0\]\.healthCheck\.calledAeTitle: is required/);
    expect(stderr).toMatch(/services\[1\]\.healthCheck\.messageType/);
    expect(stderr).toMatch(/services\[1\]\.vip/);
    expect(dicomGood.seen.associateRequests.length).toBe(before);
  });

  test('usage: a site file or --stack, exit 2', async () => {
    expect(await run([])).toBe(2);
    expect(stderr).toMatch(/missing the site file/);
    expect(await run(['a.json', '--stack', 'S'])).toBe(2);
    expect(stderr).toMatch(/not both/);
    expect(await run(['--help'])).toBe(0);
    expect(stdout).toMatch(/usage: medlb preflight <site file>/);
  });
});

describe('medlb preflight: EC2 discovery', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  const discoveringHl7 = () => hl7Service([['HL71', '127.0.0.31']], { discover: { tags: { Role: ['hl7'] } } });

  test('with credentials, discovered instances are checked like static servers', async () => {
    const ec2 = await FakeEc2.start({ host: '127.0.0.1' });
    let peer: Hl7Peer | undefined;
    try {
      peer = await startHl7Peer('ack-aa', '127.0.0.33', hl7Good.port);
      ec2.putInstance({ instanceId: 'i-0123456789abcdef1', privateIp: '127.0.0.33', vpcId: VPC_ID, tags: { Name: 'HL7-EC2', Role: 'hl7' } });
      ec2.putInstance({ instanceId: 'i-0123456789abcdef2', privateIp: '127.0.0.34', vpcId: VPC_ID, tags: { Name: 'OTHER', Role: 'pacs' } });
      Object.assign(process.env, { AWS_ENDPOINT_URL_EC2: ec2.endpoint, AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'eu-west-2' });
      const path = await siteFile('discovery', [discoveringHl7()]);
      expect(await runSiteFile(path, options)).toBe(0);
      const report = JSON.parse(stdout) as PreflightReport;
      expect(report.results.map((r) => [r.server, r.address, r.source, r.healthy])).toEqual([
        ['HL71', `127.0.0.31:${hl7Good.port}`, 'static', true],
        ['HL7-EC2', `127.0.0.33:${hl7Good.port}`, 'tags Role=hl7', true],
      ]);
      expect(report.notes).toEqual([{ service: 'HL7', message: 'EC2 discovery found 1 running instance(s)', failed: false }]);
      expect(ec2.calls.map((c) => c.action)).toEqual(['DescribeInstances']);
      expect(ec2.calls[0]!.filters['vpc-id']).toEqual([VPC_ID]);
    } finally {
      await peer?.close();
      await ec2.close();
    }
  });

  test('without credentials discovery is skipped with a line saying why; the static servers are still checked', async () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_') && key !== 'AWS_CA_BUNDLE') delete process.env[key];
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-2',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const path = await siteFile('no-credentials', [discoveringHl7()]);
    expect(await runSiteFile(path, { ...options, json: false })).toBe(0);
    expect(stdout).toMatch(/1 of 1 servers pass/);
    expect(stdout).toMatch(/^note: HL7: EC2 discovery skipped \(no AWS credentials \(/m);
    expect(stdout).toMatch(/only the static\s+servers were checked/);
  });
});

describe('medlb preflight: client certificates (mutual TLS), as the controller presents them', () => {
  const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs-client-AbC123';
  const secrets = mockClient(SecretsManagerClient);
  const saved = { ...process.env };
  let pki: MutualTlsPki;
  let peer: MutualTlsPeer;
  let files: { certificateFile: string; keyFile: string };

  beforeAll(async () => {
    pki = await mutualTlsPki();
    peer = await startMutualTlsHttpsServer('127.0.0.56', await requireClientCertificate(pki, '127.0.0.56'));
    files = { certificateFile: join(dir, 'client.pem'), keyFile: join(dir, 'client.key') };
    await writeFile(files.certificateFile, pki.trustedClient.cert);
    await writeFile(files.keyFile, pki.trustedClient.key);
  });
  afterAll(async () => {
    await peer.close();
    secrets.restore();
  });
  beforeEach(() => {
    secrets.reset();
    Object.assign(process.env, { AWS_REGION: 'eu-west-2', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local' });
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  const mtlsSite = () =>
    siteFile('mutual-tls', [
      service('Viewer-mTLS', '127.0.0.160', peer.port, { protocol: 'https', caCertificates: pki.serverCa.cert, clientCertificate: { secretArn: SECRET_ARN } }, [['WEB-MTLS', '127.0.0.56']]),
    ]);

  test('the secret the check names is read from Secrets Manager and presented: pass', async () => {
    secrets.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: JSON.stringify({ certificateChain: pki.trustedClient.cert, privateKey: pki.trustedClient.key }) });
    expect(await runSiteFile(await mtlsSite(), options)).toBe(0);
    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId)).toEqual([SECRET_ARN]);
    expect(peer.acceptedClients).toContain('medlb-controller');
  });

  test('a certificate the server does not trust fails with the reason, never the key', async () => {
    secrets.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: JSON.stringify({ certificateChain: pki.untrustedClient.cert, privateKey: pki.untrustedClient.key }) });
    expect(await runSiteFile(await mtlsSite(), options)).toBe(1);
    const [result] = (JSON.parse(stdout) as PreflightReport).results;
    expect(result?.healthy).toBe(false);
    expect(result?.reason).toMatch(/certificate/i);
    expect(stdout + stderr).not.toMatch(/PRIVATE KEY/);
  });

  test('--cert/--key files are presented instead of the secret (Secrets Manager is not asked); a bad pair exits 2 without printing the key', async () => {
    expect(await runSiteFile(await mtlsSite(), { ...options, clientCertificateFiles: files })).toBe(0);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);

    const swapped = { certificateFile: files.keyFile, keyFile: files.certificateFile };
    stdout = '';
    expect(await runSiteFile(await mtlsSite(), { ...options, clientCertificateFiles: swapped })).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/--cert/);
    expect(stderr).not.toContain(pki.trustedClient.key.split('\n').at(1) ?? 'a key line');
  });
});
