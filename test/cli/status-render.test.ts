import { renderStatus, STATUS_WIDTH } from '../../lambda/cli/status';
import { buildStatusReport, roundAge, type ServiceStateName, type TargetGroupViews } from '../../lambda/cli/status-report';
import { parseControllerConfig } from '../../contract/controller-config';
import type { ControllerState } from '../../lambda/reconcile/state';

const arn = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${name}/0123456789abcdef`;

const config = parseControllerConfig({
  version: 1,
  services: [
    {
      name: 'DICOM-Modalities',
      mode: 'balanced',
      rise: 2,
      fall: 3,
      check: { protocol: 'dicom', port: 104, timeoutMs: 3000 },
      targetGroups: [{ arn: arn('dicom-104'), port: 104 }, { arn: arn('dicom-11112'), port: 11112 }],
      targets: [
        { name: 'DICOM1', ip: '10.12.1.110' },
        { name: 'DICOM2', ip: '10.12.1.111' },
        { name: 'DICOM3', ip: '10.12.1.112', drained: true },
      ],
      vips: ['10.12.1.100'],
      ports: [104, 11112],
    },
    {
      name: 'HL7',
      mode: 'failover',
      rise: 1,
      fall: 1,
      check: { protocol: 'hl7', port: 2575, timeoutMs: 3000 },
      targetGroups: [{ arn: arn('hl7'), port: 2575 }],
      targets: [{ name: 'HL7A', ip: '10.12.2.10' }],
    },
  ],
});

const state: ControllerState = {
  version: 2,
  lastRoundAt: '2026-11-24T10:00:00.000Z',
  services: {
    'DICOM-Modalities': {
      targets: {
        DICOM1: { passes: 5, failures: 0, up: true, lastProbe: { healthy: true, reason: 'C-ECHO status 0x0000', latencyMs: 4, at: '2026-11-24T10:00:00Z' } },
        DICOM2: { passes: 0, failures: 3, up: false, lastProbe: { healthy: false, reason: 'association rejected (permanent, called AE title not recognised)', latencyMs: 3, at: '2026-11-24T10:00:00Z' } },
      },
      overrides: { DICOM2: { action: 'halt', by: 'alice', at: '2026-11-24T09:00:00Z', reason: 'ransomware alert' } },
    },
  },
};

const NOW = new Date('2026-11-24T10:00:40Z');
const healthy = (ip: string, port: number) => ({ ip, port, state: 'healthy' as const });
const VIEWS: TargetGroupViews = new Map([
  [arn('dicom-104'), [healthy('10.12.1.110', 104), { ip: '10.12.1.111', port: 104, state: 'draining' as const }]],
  [arn('dicom-11112'), [healthy('10.12.1.110', 11112)]],
  [arn('hl7'), { error: 'DescribeTargetHealth arn: TargetGroupNotFound: One or more target groups not found', code: 'TargetGroupNotFound' }],
]);

describe('renderStatus', () => {
  it('starts with the last round, then one row per real server with its service state, check, ELB view per target group and a note', () => {
    const lines = renderStatus(config, state, VIEWS, NOW).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('last round 2026-11-24T10:00:00.000Z (40 s ago)');
    expect(lines[1]).toMatch(/^SERVICE +STATE +TARGET +IP +CHECK +ELB +NOTE$/);
    expect(lines[2]).toMatch(/^DICOM-Modalities +DRAINED +DICOM1 +10\.12\.1\.110 +pass up +healthy +C-ECHO status 0x0000$/);
    expect(lines[3]).toMatch(/^ +DICOM2 +10\.12\.1\.111 +FAIL DOWN +104:draining 11112:not registered +halt by alice at 2026-11-…$/);
    expect(lines[4]).toMatch(/^ +DICOM3 +10\.12\.1\.112 +never +not registered +weight 0; never probed$/);
    expect(lines[5]).toMatch(/^HL7 +UNKNOWN +HL7A +10\.12\.2\.10 +never +error: TargetGroupNotFound +never probed$/);
    // Columns line up: every row's TARGET column starts where the header's does.
    const targetColumn = lines[1]!.indexOf('TARGET');
    expect(lines.slice(2).map((l) => l.slice(targetColumn).split(' ')[0])).toEqual(['DICOM1', 'DICOM2', 'DICOM3', 'HL7A']);
  });

  it('fits 120 columns by cutting the note with an ellipsis; --wide shows it whole with VIP, ports, mode and source', () => {
    const narrow = renderStatus(config, state, VIEWS, NOW).split('\n');
    expect(Math.max(...narrow.slice(1).map((l) => l.length))).toBeLessThanOrEqual(STATUS_WIDTH);
    const dicom2 = narrow.find((l) => l.includes('DICOM2'))!;
    expect(dicom2).toMatch(/…$/);
    expect(dicom2).not.toContain('called AE title not recognised)');

    const wide = renderStatus(config, state, VIEWS, NOW, { wide: true }).split('\n');
    expect(wide[1]).toMatch(/^SERVICE +STATE +VIP +PORTS +MODE +TARGET +IP +SOURCE +CHECK +ELB +NOTE$/);
    expect(wide[2]).toMatch(/^DICOM-Modalities +DRAINED +10\.12\.1\.100 +104,11112 +balanced +DICOM1 +10\.12\.1\.110 +static +pass up/);
    expect(wide.find((l) => l.includes('DICOM2'))).toMatch(/halt by alice at 2026-11-24T09:00:00Z \(ransomware alert\); association rejected \(permanent, called AE title not recognised\)$/);
    expect(wide.join('\n')).not.toContain('…');
  });

  it('cuts the note to any width it is given, always with the ellipsis', () => {
    const lines = renderStatus(config, state, VIEWS, NOW, { width: 140 }).split('\n');
    expect(Math.max(...lines.slice(1).map((l) => l.length))).toBeLessThanOrEqual(140);
    expect(lines.find((l) => l.includes('DICOM2'))).toMatch(/ at 2026-11-24T09:00:00Z \(ransom…$/);
  });
});

describe('a stale controller', () => {
  it('is flagged loudly when the last round is older than max(3 intervals, 2 min), in the table and in --json', () => {
    const old = { ...state, lastRoundAt: '2026-11-24T09:50:00Z' };
    const text = renderStatus(config, old, VIEWS, NOW);
    expect(text.split('\n')[0]).toBe(
      'STALE: last round 2026-11-24T09:50:00.000Z (10 min 40 s ago), older than 120 s = max(3 × 10 s interval, 2 min): is the controller running? ' +
        'Probe and up/down columns are out of date (runbook: docs/operating.md#heartbeat)',
    );
    const report = buildStatusReport(config, old, VIEWS, NOW);
    expect(report.lastRound).toEqual({ lastRoundAt: '2026-11-24T09:50:00.000Z', ageSeconds: 640, staleAfterSeconds: 120, stale: true });
    expect(JSON.parse(JSON.stringify(report)).lastRound.stale).toBe(true);
  });

  it('uses three intervals when they are longer than two minutes, and is not stale up to the threshold', () => {
    expect(roundAge('2026-11-24T10:00:00Z', 60, new Date('2026-11-24T10:03:00Z'))).toMatchObject({ staleAfterSeconds: 180, stale: false });
    expect(roundAge('2026-11-24T10:00:00Z', 60, new Date('2026-11-24T10:03:01Z'))).toMatchObject({ ageSeconds: 181, stale: true });
    expect(roundAge('2026-11-24T10:00:00Z', 10, new Date('2026-11-24T10:02:00Z'))).toMatchObject({ staleAfterSeconds: 120, stale: false });
    expect(roundAge('2026-11-24T10:00:00Z', 10, new Date('2026-11-24T10:02:01Z')).stale).toBe(true);
  });

  it('is flagged when no round ever saved state', () => {
    const { lastRoundAt: _never, ...unrun } = state;
    expect(renderStatus(config, unrun as ControllerState, VIEWS, NOW).split('\n')[0]).toMatch(/^STALE: no controller round has saved state yet/);
    expect(buildStatusReport(config, unrun as ControllerState, VIEWS, NOW).lastRound).toMatchObject({ lastRoundAt: null, ageSeconds: null, stale: true });
  });
});

describe('the state of a service', () => {
  const pool = parseControllerConfig({
    version: 1,
    services: [
      {
        name: 'PACS',
        mode: 'balanced',
        rise: 2,
        fall: 3,
        check: { protocol: 'tcp', port: 104, timeoutMs: 3000 },
        targetGroups: [{ arn: arn('a'), port: 104 }, { arn: arn('b'), port: 11112 }],
        targets: [{ name: 'P1', ip: '10.0.0.1' }, { name: 'P2', ip: '10.0.0.2' }],
      },
    ],
  });
  const up = (healthy = true) => ({ passes: 3, failures: 0, up: healthy, lastProbe: { healthy, reason: healthy ? 'ok' : 'refused', latencyMs: 1, at: '2026-11-24T10:00:00Z' } });
  const both = (...states: Array<[string, 'healthy' | 'initial' | 'unhealthy' | 'draining']>): TargetGroupViews =>
    new Map([
      [arn('a'), states.map(([ip, s]) => ({ ip, port: 104, state: s }))],
      [arn('b'), states.map(([ip, s]) => ({ ip, port: 11112, state: s }))],
    ]);
  const stateOf = (service: object, views: TargetGroupViews): ServiceStateName =>
    buildStatusReport(pool, { version: 2, lastRoundAt: '2026-11-24T10:00:00Z', services: { PACS: { targets: {}, overrides: {}, ...service } } }, views, NOW).services[0]!.state;

  it('is the first that applies of outage, fail-open, waiting, degraded, drained, serving', () => {
    const serving = both(['10.0.0.1', 'healthy'], ['10.0.0.2', 'healthy']);
    expect(stateOf({ targets: { P1: up(), P2: up() } }, serving)).toBe('serving');
    // Registered is not routable: targets still `initial` in ELB carry no traffic.
    expect(stateOf({ targets: { P1: up(), P2: up() } }, both(['10.0.0.1', 'initial'], ['10.0.0.2', 'initial']))).toBe('outage');
    // Healthy in one target group only is not routable either.
    const halfRegistered: TargetGroupViews = new Map([[arn('a'), [{ ip: '10.0.0.1', port: 104, state: 'healthy' as const }]], [arn('b'), []]]);
    expect(stateOf({ targets: { P1: up(), P2: up() } }, halfRegistered)).toBe('outage');
    expect(stateOf({ targets: { P1: up(false), P2: up(false) } }, serving)).toBe('fail-open');
    expect(
      stateOf({ targets: { P1: up(), P2: up() }, overrides: { P1: { action: 'drain', by: 'bob', at: '2026-11-24T09:59:00Z' } }, pending: { P1: { since: '2026-11-24T09:59:10Z', replacements: ['P2'] } } }, both(['10.0.0.1', 'healthy'], ['10.0.0.2', 'initial'])),
    ).toBe('waiting');
    expect(stateOf({ targets: { P1: up(), P2: up(false) } }, both(['10.0.0.1', 'healthy']))).toBe('degraded');
    expect(stateOf({ targets: { P1: up(), P2: up() } }, both(['10.0.0.1', 'healthy'], ['10.0.0.2', 'initial']))).toBe('degraded');
    expect(stateOf({ targets: { P1: up(), P2: up() }, overrides: { P2: { action: 'halt', by: 'bob', at: '2026-11-24T09:59:00Z', reason: 'x' } } }, both(['10.0.0.1', 'healthy']))).toBe('drained');
    // Every server drained by an operator: nothing routable is an outage, whoever caused it.
    expect(
      stateOf({ targets: { P1: up(), P2: up() }, overrides: { P1: { action: 'drain', by: 'bob', at: 't' }, P2: { action: 'drain', by: 'bob', at: 't' } } }, both(['10.0.0.1', 'draining'], ['10.0.0.2', 'draining'])),
    ).toBe('outage');
  });

  it('says why in the report, with every target and its ELB state per port', () => {
    const report = buildStatusReport(pool, { version: 2, services: { PACS: { targets: { P1: up(), P2: up() }, overrides: {} } } }, both(['10.0.0.1', 'initial'], ['10.0.0.2', 'unhealthy']), NOW);
    const service = report.services[0];
    expect(service).toMatchObject({ name: 'PACS', state: 'outage', routable: 0, ports: [104, 11112] });
    expect(service!.why).toBe('nothing healthy in ELB in every target group (P1 initial, P2 unhealthy)');
    expect(service!.targets[0]).toMatchObject({ name: 'P1', ip: '10.0.0.1', up: true, routable: false, elb: { 104: 'initial', 11112: 'initial' }, override: null, pending: null });
  });
});

describe('pins and maintenance windows in status', () => {
  const pool = parseControllerConfig({
    version: 1,
    services: [
      {
        name: 'PACS',
        mode: 'balanced',
        rise: 2,
        fall: 3,
        check: { protocol: 'tcp', port: 104, timeoutMs: 3000 },
        targetGroups: [{ arn: arn('a'), port: 104 }],
        targets: [{ name: 'P1', ip: '10.0.0.1' }, { name: 'P2', ip: '10.0.0.2' }, { name: 'P3', ip: '10.0.0.3' }],
      },
    ],
  });
  const probe = (healthy: boolean) => ({ passes: healthy ? 3 : 0, failures: healthy ? 0 : 3, up: true, lastProbe: { healthy, reason: healthy ? 'ok' : 'association rejected', latencyMs: 1, at: '2026-11-24T10:00:00Z' } });
  const views: TargetGroupViews = new Map([[arn('a'), ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => ({ ip, port: 104, state: 'healthy' as const }))]]);
  const stored: ControllerState = {
    version: 2,
    lastRoundAt: '2026-11-24T10:00:30Z',
    services: {
      PACS: {
        targets: { P1: probe(false), P2: probe(true), P3: probe(true) },
        overrides: {},
        pins: { P1: { by: 'alice', at: '2026-11-24T09:30:00.000Z', until: '2026-11-24T18:00:00.000Z', reason: 'AE check wrong after upgrade' } },
        windows: {
          'P2@2026-11-24T10:00:00.000Z': { target: 'P2', action: 'drain', from: '2026-11-24T10:00:00.000Z', until: '2026-11-24T11:00:00.000Z', by: 'bob', at: '2026-11-23T12:00:00.000Z', reason: 'OS patch' },
          'P3@2026-11-24T22:00:00.000Z': { target: 'P3', action: 'halt', from: '2026-11-24T22:00:00.000Z', until: '2026-11-25T02:00:00.000Z', by: 'carol', at: '2026-11-23T12:00:00.000Z', reason: 'SAN firmware' },
          'P3@2026-11-20T22:00:00.000Z': { target: 'P3', action: 'halt', from: '2026-11-20T22:00:00.000Z', until: '2026-11-21T02:00:00.000Z', by: 'carol', at: '2026-11-19T12:00:00.000Z' },
        },
      },
    },
  };

  it('shows the pin, the window in force and the scheduled one, in the table and in --json', () => {
    const report = buildStatusReport(pool, stored, views, NOW);
    const service = report.services[0];
    expect(service!.state).toBe('drained');
    expect(service!.why).toBe('P2 drain window of bob until 2026-11-24T11:00:00.000Z');
    expect(service!.windows.map((w) => [w.id, w.inForce])).toEqual([
      ['P2@2026-11-24T10:00:00.000Z', true],
      ['P3@2026-11-24T22:00:00.000Z', false],
    ]);
    expect(service!.targets[0]).toMatchObject({ name: 'P1', pin: { by: 'alice', until: '2026-11-24T18:00:00.000Z' }, pinOutranked: false, window: null });
    expect(service!.targets[1]).toMatchObject({ name: 'P2', window: { action: 'drain', inForce: true } });
    expect(service!.oldestOverride).toMatchObject({ target: 'P1', kind: 'pin', ageSeconds: 1840 });
    const text = renderStatus(pool, stored, views, NOW, { wide: true });
    expect(text).toContain('FAIL up');
    expect(text).toContain('PINNED by alice until 2026-11-24T18:00:00.000Z (AE check wrong after upgrade)');
    expect(text).toContain('drain window of bob until 2026-11-24T11:00:00.000Z (OS patch)');
    expect(text).toContain('scheduled halt 2026-11-24T22:00:00.000Z – 2026-11-25T02:00:00.000Z by carol');
    expect(JSON.parse(JSON.stringify(report)).services[0].windows).toHaveLength(2);
  });

  it('says when an explicit override outranks a pin', () => {
    const halted = { ...stored, services: { PACS: { ...stored.services.PACS!, overrides: { P1: { action: 'halt' as const, by: 'dave', at: '2026-11-24T09:40:00Z', reason: 'x' } } } } };
    const report = buildStatusReport(pool, halted, views, NOW);
    expect(report.services[0]!.targets[0]).toMatchObject({ pinOutranked: true, override: { action: 'halt' } });
    expect(renderStatus(pool, halted, views, NOW, { wide: true })).toContain('PINNED by alice until 2026-11-24T18:00:00.000Z (outranked by the halt)');
  });
});
