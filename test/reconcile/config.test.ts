import { readFileSync } from 'node:fs';
import {
  ControllerConfigError,
  DEFAULT_INTERVAL_SECONDS,
  parseControllerConfig,
} from '../../contract/controller-config';
import { CONFIG_SCHEMA_PATH, renderConfigSchema } from '../../scripts/generate-config-schema';

/** The example of docs/architecture.md#controller-config, verbatim. */
const DOCUMENTED_EXAMPLE = {
  version: 1,
  intervalSeconds: 10,
  services: [
    {
      name: 'DICOM-Modalities',
      mode: 'balanced',
      rise: 2,
      fall: 3,
      check: { protocol: 'dicom', port: 104, timeoutMs: 3000, callingAeTitle: 'MEDLB', calledAeTitle: 'PACS' },
      targetGroups: [
        { arn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/dicom-104/0123456789abcdef', port: 104 },
        { arn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/dicom-11112/0123456789abcdef', port: 11112 },
      ],
      targets: [
        { name: 'DICOM1', ip: '10.12.1.110' },
        { name: 'DICOM2', ip: '10.12.1.111' },
      ],
    },
  ],
};

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function problemsOf(input: unknown): Array<{ path: string; message: string }> {
  try {
    parseControllerConfig(input, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ControllerConfigError);
    return [...(err as ControllerConfigError).problems];
  }
  throw new Error('expected ControllerConfigError');
}

describe('controller config v1', () => {
  test("accepts the documented example as an object and as JSON text", () => {
    const parsed = parseControllerConfig(DOCUMENTED_EXAMPLE);
    expect(parsed.services[0]!.targets.map((t) => t.ip)).toEqual(['10.12.1.110', '10.12.1.111']);
    expect(parseControllerConfig(JSON.stringify(DOCUMENTED_EXAMPLE))).toEqual(parsed);
  });

  test('intervalSeconds defaults to 10', () => {
    const input = clone(DOCUMENTED_EXAMPLE) as Record<string, unknown>;
    delete input.intervalSeconds;
    expect(parseControllerConfig(input).intervalSeconds).toBe(DEFAULT_INTERVAL_SECONDS);
    expect(DEFAULT_INTERVAL_SECONDS).toBe(10);
  });

  test('keeps extra fields everywhere (forward compatible) and accepts every option of §3.1', () => {
    const input = clone(DOCUMENTED_EXAMPLE) as any;
    input.site = 'example';
    input.services[0].vips = ['10.12.1.100'];
    input.services[0].ports = [104, 11112];
    input.services[0].comment = 'from site.ts';
    input.services[0].check = {
      protocol: 'xds', port: 8080, timeoutMs: 2000, tls: true, insecure: true, transaction: 'repository', path: '/xds/iti43',
      patientId: 'SENTINEL^^^&1.2.3&ISO', documentUniqueId: '1.2.3.4', repositoryUniqueId: '1.2.3', futureOption: 1,
    };
    input.services[0].targets[0] = { name: 'DICOM1', ip: '192.168.50.10', availabilityZone: 'all', drained: true, weight: 0 };
    const parsed = parseControllerConfig(input) as any;
    expect(parsed.site).toBe('example');
    expect(parsed.services[0].comment).toBe('from site.ts');
    expect(parsed.services[0].check.futureOption).toBe(1);
    expect(parsed.services[0].targets[0]).toEqual({ name: 'DICOM1', ip: '192.168.50.10', availabilityZone: 'all', drained: true, weight: 0 });
  });

  test('accepts any IPv4 (loopback for tests) and rejects non-IPv4', () => {
    const input = clone(DOCUMENTED_EXAMPLE);
    input.services[0]!.targets[0]!.ip = '127.0.0.2';
    expect(() => parseControllerConfig(input)).not.toThrow();
    input.services[0]!.targets[0]!.ip = 'pacs.example.org';
    expect(problemsOf(input)).toEqual([{ path: 'services[0].targets[0].ip', message: 'Invalid IPv4 address' }]);
  });

  test('reports every problem at once, each with its path, and names the source', () => {
    const input = clone(DOCUMENTED_EXAMPLE) as any;
    input.version = 2;
    input.services[0].mode = 'round-robin';
    input.services[0].rise = 0;
    input.services[0].check.protocol = 'ftp';
    input.services[0].check.port = 70000;
    input.services[0].targetGroups[1].arn = 'tg-1';
    input.services[0].targets[1].availabilityZone = 'eu-west-1a';
    const problems = problemsOf(input);
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'version',
        'services[0].mode',
        'services[0].rise',
        'services[0].check.protocol',
        'services[0].check.port',
        'services[0].targetGroups[1].arn',
        'services[0].targets[1].availabilityZone',
      ].sort(),
    );
    expect(() => parseControllerConfig(input, 'site/controller.json')).toThrow(/invalid controller config \(site\/controller\.json\):\n {2}- version: /);
  });

  test('rejects duplicate service names, duplicate target names/ips, and a target group shared by two services', () => {
    const input = clone(DOCUMENTED_EXAMPLE) as any;
    input.services[0].targets.push({ name: 'DICOM1', ip: '10.12.1.110' });
    input.services.push(clone(input.services[0]));
    input.services[1].targets = [{ name: 'X', ip: '10.0.0.1' }];
    const problems = problemsOf(input);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'services[0].targets[2].name', message: "duplicate target name 'DICOM1' in service 'DICOM-Modalities'" },
        { path: 'services[0].targets[2].ip', message: "duplicate target ip 10.12.1.110 in service 'DICOM-Modalities' (ELB knows a target by ip and port)" },
        { path: 'services[1].name', message: "duplicate service name 'DICOM-Modalities'" },
        {
          path: 'services[1].targetGroups[0].arn',
          message: "target group already belongs to service 'DICOM-Modalities' (the controller owns each target group for one service)",
        },
      ]),
    );
  });

  test('required fields are named when missing; bad JSON text is a config error', () => {
    expect(problemsOf({ version: 1, services: [{ name: 'S' }] }).map((p) => p.path)).toEqual([
      'services[0].mode',
      'services[0].rise',
      'services[0].fall',
      'services[0].check',
      'services[0].targetGroups',
      'services[0].targets',
    ]);
    expect(problemsOf('{"version": 1,')[0]!.message).toMatch(/^not valid JSON/);
  });
});

describe('published JSON Schema', () => {
  test('schema/controller-config.v1.schema.json is up to date (run npx tsx scripts/generate-config-schema.ts)', () => {
    expect(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')).toBe(renderConfigSchema());
  });

  test('describes the v1 contract: required fields, enums, defaults, extra fields allowed', () => {
    const schema = JSON.parse(renderConfigSchema());
    expect(schema.required).toEqual(['version', 'services']);
    expect(schema.properties.intervalSeconds.default).toBe(10);
    expect(schema.additionalProperties).toEqual({});
    const service = schema.properties.services.items;
    expect(service.required).toEqual(['name', 'mode', 'rise', 'fall', 'check', 'targetGroups', 'targets']);
    expect(service.properties.check.properties.protocol.enum).toEqual(['tcp', 'dicom', 'hl7', 'xds', 'http', 'https']);
    expect(service.properties.targets.items.properties.ip.format).toBe('ipv4');
    expect(service.properties.targets.items.properties.availabilityZone.const).toBe('all');
  });
});
