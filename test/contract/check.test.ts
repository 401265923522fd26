import {
  aeTitleProblem,
  checkOptionProblems,
  clinicalMessageTypeWarning,
  hl7HierarchicDesignatorProblem,
  messageTypeProblem,
  serverNameProblem,
} from '../../contract/check';
import { CheckConfigSchema } from '../../contract/controller-config';
import { parseProbeArgs, UsageError } from '../../lambda/cli/probe';
import { probe } from '../../lambda/probes';
import { healthCheckSchema } from '../../lib/site/schema';

/** True when `medlb probe` accepts the arguments. */
function cliAccepts(args: string[]): boolean {
  try {
    parseProbeArgs(args);
    return true;
  } catch (err) {
    if (err instanceof UsageError) return false;
    throw err;
  }
}

describe('one HL7 message-type rule for the site, the controller config, the CLI and the probe', () => {
  test.each([
    ['NMD^N02', true],
    ['QRY^A19', true],
    ['ADT^A01^ADT_A01', true],
    ['ADT', false],
    ['ADT^', false],
    ['adt^a01', false],
    ['ADT^A0^^', false],
    ['ADT^A01^X', false],
  ])('%s usable: %s', async (messageType, usable) => {
    expect(messageTypeProblem(messageType) === undefined).toBe(usable);
    expect(healthCheckSchema.safeParse({ protocol: 'hl7', messageType }).success).toBe(usable);
    expect(CheckConfigSchema.safeParse({ protocol: 'hl7', port: 2575, timeoutMs: 1000, messageType }).success).toBe(usable);
    expect(cliAccepts(['hl7', '127.0.0.1:2575', '--hl7-message-type', messageType])).toBe(usable);
    if (!usable) {
      // The probe refuses it before connecting (port 9 on loopback is never contacted).
      const result = await probe({ host: '127.0.0.1', port: 9 }, { protocol: 'hl7', timeoutMs: 1000, messageType });
      expect(result).toMatchObject({ healthy: false, reason: expect.stringContaining('is not of the form XXX^YYY') });
    }
  });
});

describe('one AE-title rule for the site, the controller config, the CLI and the probe', () => {
  test.each([
    ['PACS', true],
    ['MEDLB PROBE', true],
    ['SIXTEEN-CHARS-AE', true],
    ['', false],
    ['    ', false],
    ['SEVENTEEN-CHARS-A', false],
    ['A\\B', false],
    ['ÄRZTE', false],
  ])('"%s" usable: %s', async (title, usable) => {
    expect(aeTitleProblem(title) === undefined).toBe(usable);
    expect(healthCheckSchema.safeParse({ protocol: 'dicom', calledAeTitle: title }).success).toBe(usable);
    expect(CheckConfigSchema.safeParse({ protocol: 'dicom', port: 104, timeoutMs: 1000, calledAeTitle: title }).success).toBe(usable);
    expect(cliAccepts(['dicom', '127.0.0.1:104', '--called-ae', title])).toBe(usable);
  });
});

describe('one server-name rule for the site, the controller config and the CLI', () => {
  test.each([
    ['pacs.hospital.example', true],
    ['PACS-01', true],
    ['10.12.1.110', false],
    ['::1', false],
    ['-pacs.example', false],
    ['pacs..example', false],
    ['pacs example', false],
  ])('"%s" usable: %s', (name, usable) => {
    expect(serverNameProblem(name) === undefined).toBe(usable);
    expect(healthCheckSchema.safeParse({ protocol: 'https', serverName: name }).success).toBe(usable);
    expect(CheckConfigSchema.safeParse({ protocol: 'https', port: 443, timeoutMs: 1000, serverName: name }).success).toBe(usable);
    expect(cliAccepts(['https', '127.0.0.1:443', '--server-name', name])).toBe(usable);
  });

  it('needs TLS wherever TLS is optional', () => {
    expect(checkOptionProblems({ protocol: 'dicom', serverName: 'pacs.example' })).toEqual([{ option: 'serverName', kind: 'needs-tls' }]);
    expect(checkOptionProblems({ protocol: 'dicom', tls: true, serverName: 'pacs.example' })).toEqual([]);
    expect(cliAccepts(['dicom', '127.0.0.1:104', '--server-name', 'pacs.example'])).toBe(false);
  });
});

describe('one MSH-3..6 and MSH-11 rule for the site, the controller config and the CLI', () => {
  test.each([
    ['MEDLB', true],
    ['MEDLB^1.2.826.0.1.3680043.2.1^ISO', true],
    ['IT OPS', true],
    ['', false],
    ['A|B', false],
    ['A~B', false],
    ['A&B', false],
    ['A\\B', false],
    ['^^', false],
    ['X'.repeat(228), false],
  ])('"%s" usable: %s', (value, usable) => {
    expect(hl7HierarchicDesignatorProblem(value) === undefined).toBe(usable);
    expect(healthCheckSchema.safeParse({ protocol: 'hl7', receivingApplication: value }).success).toBe(usable);
    expect(CheckConfigSchema.safeParse({ protocol: 'hl7', port: 2575, timeoutMs: 1000, receivingApplication: value }).success).toBe(usable);
    expect(cliAccepts(['hl7', '127.0.0.1:2575', '--hl7-receiving-application', value])).toBe(usable);
  });

  test.each([
    ['P', true],
    ['T', true],
    ['D', true],
    ['X', false],
    ['p', false],
  ])('processing id %s usable: %s', (processingId, usable) => {
    expect(healthCheckSchema.safeParse({ protocol: 'hl7', processingId }).success).toBe(usable);
    expect(CheckConfigSchema.safeParse({ protocol: 'hl7', port: 2575, timeoutMs: 1000, processingId }).success).toBe(usable);
    expect(cliAccepts(['hl7', '127.0.0.1:2575', '--hl7-processing-id', processingId])).toBe(usable);
  });
});

describe('clinicalMessageTypeWarning', () => {
  test.each([
    ['NMD^N02', false],
    ['QRY^A19', false],
    ['ADT^A19', false],
    ['ADT^A01', true],
    ['ADT^A08^ADT_A01', true],
    ['ORM^O01', true],
    ['ORU^R01', true],
    ['SIU^S12', true],
  ])('%s warns: %s', (messageType, warns) => {
    expect(clinicalMessageTypeWarning(messageType) !== undefined).toBe(warns);
  });

  it('says why and what to do instead', () => {
    expect(clinicalMessageTypeWarning('ADT^A01')).toMatch(/^HL7 message type ADT\^A01 is a clinical message \(admission, transfer, discharge or registration event\).*production traffic.*NMD\^N02.*MSH-3.*MSH-11/);
  });
});

describe('checkOptionProblems', () => {
  it('names options of another protocol, TLS needs, contradictions and xds sentinels of the other transaction', () => {
    expect(checkOptionProblems({ protocol: 'http', tls: true, insecure: true, callingAeTitle: 'X' })).toEqual([
      { option: 'tls', kind: 'wrong-protocol', protocols: ['tcp', 'dicom', 'hl7', 'xds'] },
      { option: 'insecure', kind: 'wrong-protocol', protocols: ['tcp', 'dicom', 'hl7', 'xds', 'https'] },
      { option: 'callingAeTitle', kind: 'wrong-protocol', protocols: ['dicom'] },
    ]);
    expect(checkOptionProblems({ protocol: 'dicom', insecure: true, caCertificates: 'pem' })).toEqual([
      { option: 'insecure', kind: 'needs-tls' },
      { option: 'caCertificates', kind: 'needs-tls' },
      { option: 'caCertificates', kind: 'contradicts-insecure' },
    ]);
    expect(checkOptionProblems({ protocol: 'xds', transaction: 'repository', patientId: 'P' })).toEqual([
      { option: 'patientId', kind: 'wrong-transaction', transaction: 'registry', given: 'repository' },
    ]);
    expect(checkOptionProblems({ protocol: 'https', insecure: true })).toEqual([]);
  });
});
