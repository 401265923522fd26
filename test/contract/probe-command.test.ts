import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CHECK_OPTION_PROTOCOLS, PROBE_PROTOCOLS, type ProbeProtocol } from '../../contract/check';
import { CA_FILE_PLACEHOLDER, medlbProbeCommand, PROBE_FLAGS, SERVER_IP_PLACEHOLDER, type ProbeCommandCheck } from '../../contract/probe-command';
import { parseProbeArgs } from '../../lambda/cli/probe';
import { exampleSite, parseSite } from '../../lib/site';
import { testCertificateAuthority } from '../peers/http-peers';
import { clientCertificate } from '../peers/mutual-tls-peers';

/** Splits a command line as a POSIX shell does for the quoting medlbProbeCommand uses (plain words and '...'). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i += 1) {
    const char = command.charAt(i);
    if (char === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${command}`);
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (char === '\\') {
      word = (word ?? '') + command.charAt(i + 1);
      i += 1;
    } else if (char === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

describe('medlbProbeCommand', () => {
  test.each<[ProbeCommandCheck, string]>([
    [{ protocol: 'dicom', port: 104, calledAeTitle: 'PACS', callingAeTitle: 'MEDLB' }, 'npx medlb probe dicom <server-ip>:104 --calling-ae MEDLB --called-ae PACS'],
    [{ protocol: 'hl7', port: 2575, messageType: 'QRY^A19' }, 'npx medlb probe hl7 <server-ip>:2575 --hl7-message-type QRY^A19'],
    [{ protocol: 'https', port: 443, path: '/', expect: 'Sign in', insecure: true }, "npx medlb probe https <server-ip>:443 --path / --expect 'Sign in' --insecure"],
    [{ protocol: 'dicom', port: 2762, calledAeTitle: "O'NEIL PACS", tls: true }, "npx medlb probe dicom <server-ip>:2762 --called-ae 'O'\\''NEIL PACS' --tls"],
    [{ protocol: 'tcp', port: 22, timeoutMs: 3000 }, 'npx medlb probe tcp <server-ip>:22'],
    [{ protocol: 'tcp', port: 22, timeoutMs: 750 }, 'npx medlb probe tcp <server-ip>:22 --timeout-ms 750'],
    [{ protocol: 'hl7', port: 2575, acceptCodes: ['AA', 'CA', 'AE'] }, 'npx medlb probe hl7 <server-ip>:2575 --hl7-accept-codes AA,CA,AE'],
    [
      { protocol: 'hl7', port: 2575, sendingApplication: 'MEDLB', sendingFacility: 'IT OPS', receivingApplication: 'ENGINE^1.2.3^ISO', receivingFacility: 'HOSP', processingId: 'T' },
      "npx medlb probe hl7 <server-ip>:2575 --hl7-sending-application MEDLB --hl7-sending-facility 'IT OPS' --hl7-receiving-application ENGINE^1.2.3^ISO --hl7-receiving-facility HOSP --hl7-processing-id T",
    ],
    [{ protocol: 'https', port: 443, serverName: 'viewer.hospital.example' }, 'npx medlb probe https <server-ip>:443 --server-name viewer.hospital.example'],
  ])('%j', (check, command) => {
    expect(medlbProbeCommand(check)).toBe(command);
  });

  it('gives a client certificate as --cert/--key file placeholders: the secret ARN and the key never appear', () => {
    const command = medlbProbeCommand({ protocol: 'dicom', port: 2762, tls: true, calledAeTitle: 'PACS', clientCertificate: { secretArn: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs-AbC123' } });
    expect(command).toBe(`npx medlb probe dicom <server-ip>:2762 --called-ae PACS --tls --cert ${CA_FILE_PLACEHOLDER} --key ${CA_FILE_PLACEHOLDER}`);
  });

  it('gives CA certificates as a --ca-file placeholder, never inline (alarm descriptions hold 1,024 characters)', () => {
    const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(2000)}\n-----END CERTIFICATE-----\n`;
    const command = medlbProbeCommand({ protocol: 'https', port: 443, caCertificates: pem });
    expect(command).toBe(`npx medlb probe https <server-ip>:443 --ca-file ${CA_FILE_PLACEHOLDER}`);
  });
});

describe('a rendered probe command parses back into the same check (lambda/cli/probe.ts)', () => {
  let dir: string;
  let caFile: string;
  let caPem: string;
  let certFile: string;
  let keyFile: string;
  let client: { cert: string; key: string };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'medlb-probe-command-'));
    const ca = await testCertificateAuthority();
    caPem = ca.cert;
    caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, caPem);
    client = await clientCertificate(ca);
    certFile = path.join(dir, 'client.pem');
    keyFile = path.join(dir, 'client.key');
    writeFileSync(certFile, client.cert);
    writeFileSync(keyFile, client.key);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What the operator does with the command: fill in the placeholders, then run it (here: parse it). */
  function parseRendered(check: ProbeCommandCheck) {
    const words = shellWords(medlbProbeCommand(check));
    expect(words.slice(0, 3)).toEqual(['npx', 'medlb', 'probe']);
    // The operator saves the CA bundle and the secret's two fields (certificateChain, privateKey) to files.
    const fileFor = (flag: string | undefined) => (flag === `--${PROBE_FLAGS.clientCertificate}` ? certFile : flag === `--${PROBE_FLAGS.clientKey}` ? keyFile : caFile);
    const args = words.slice(3).map((word, index, all) => word.replace(SERVER_IP_PLACEHOLDER, '127.0.0.1').replace(CA_FILE_PLACEHOLDER, fileFor(all[index - 1])));
    const request = parseProbeArgs(args);
    if (request === 'help') throw new Error('parsed as --help');
    return request;
  }

  /** Every option that applies to `protocol`, with a value other than its default. */
  function fullCheck(protocol: ProbeProtocol, variant: 'verify' | 'insecure' | 'repository'): ProbeCommandCheck & { timeoutMs: number } {
    const applies = (option: keyof typeof CHECK_OPTION_PROTOCOLS) => (CHECK_OPTION_PROTOCOLS[option] as readonly string[]).includes(protocol);
    const tlsOptional = applies('tls');
    return {
      protocol,
      port: 11112,
      timeoutMs: 4321,
      ...(tlsOptional ? { tls: true } : {}),
      ...(variant === 'insecure' && applies('insecure') ? { insecure: true } : {}),
      ...(variant !== 'insecure' && applies('caCertificates') ? { caCertificates: caPem } : {}),
      ...(applies('serverName') ? { serverName: 'pacs-01.hospital.example' } : {}),
      ...(applies('clientCertificate') ? { clientCertificate: { secretArn: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/client-AbC123' } } : {}),
      ...(applies('callingAeTitle') ? { callingAeTitle: 'MEDLB PROBE' } : {}),
      ...(applies('calledAeTitle') ? { calledAeTitle: "O'NEIL-PACS" } : {}),
      ...(applies('messageType') ? { messageType: 'QRY^A19^QRY_A19' } : {}),
      ...(applies('acceptCodes') ? { acceptCodes: ['AA', 'CA', 'AE'] } : {}),
      ...(applies('sendingApplication') ? { sendingApplication: 'MEDLB^1.2.3.4^ISO' } : {}),
      ...(applies('sendingFacility') ? { sendingFacility: "IT OPS's probe" } : {}),
      ...(applies('receivingApplication') ? { receivingApplication: 'ENGINE' } : {}),
      ...(applies('receivingFacility') ? { receivingFacility: 'ST ELSEWHERE' } : {}),
      ...(applies('processingId') ? { processingId: 'D' } : {}),
      ...(applies('transaction') ? { transaction: variant === 'repository' ? 'repository' : 'registry' } : {}),
      ...(applies('patientId') && variant !== 'repository' ? { patientId: 'MEDLB-PROBE^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' } : {}),
      ...(applies('documentUniqueId') && variant === 'repository' ? { documentUniqueId: '1.2.3.4' } : {}),
      ...(applies('repositoryUniqueId') && variant === 'repository' ? { repositoryUniqueId: '1.2.3.5' } : {}),
      ...(applies('path') ? { path: '/xds/iti18?x=1&y=$HOME' } : {}),
      ...(applies('expect') ? { expect: "Sign in — it's \"ok\"" } : {}),
    };
  }

  const cases = PROBE_PROTOCOLS.flatMap((protocol) => [
    [protocol, 'verify'] as const,
    [protocol, 'insecure'] as const,
    ...(protocol === 'xds' ? [[protocol, 'repository'] as const] : []),
  ]);

  test.each(cases)('%s (%s)', (protocol, variant) => {
    const { port, clientCertificate: reference, ...check } = fullCheck(protocol, variant);
    const request = parseRendered({ port, ...check, ...(reference ? { clientCertificate: reference } : {}) });
    expect(request.target).toEqual({ host: '127.0.0.1', port });
    // The secret's reference comes back as the certificate and key read from the files it was saved to.
    expect(request.check).toEqual({ ...check, ...(reference ? { tlsClientCertificate: { certificateChain: client.cert, privateKey: client.key } } : {}) });
  });

  it('covers every flag of the contract across the protocols', () => {
    const rendered = cases.map(([protocol, variant]) => medlbProbeCommand(fullCheck(protocol, variant))).join(' ');
    for (const flag of Object.values(PROBE_FLAGS)) expect(rendered).toContain(`--${flag}`);
  });

  it("holds for every health check of the example site, defaults included", () => {
    const site = parseSite(exampleSite);
    const checks = [...site.services.map((service) => service.healthCheck), ...(site.viewer ? [site.viewer.healthCheck] : [])];
    expect(checks.length).toBeGreaterThan(3);
    for (const { rise: _rise, fall: _fall, port, ...check } of checks) {
      const given = Object.fromEntries(Object.entries(check).filter(([, value]) => value !== undefined));
      const request = parseRendered({ port, ...check });
      expect({ port: request.target.port, ...request.check }).toEqual({ port, ...given });
    }
  });
});
