import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObservedTarget, TargetGroupPort, TargetRef } from '../lambda/reconcile/ports';
import type { StateStore } from '../lambda/reconcile/ports';
import { createControllerMetrics } from '../lambda/adapters/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { configFromFile, configFromTable, ControllerSetupError, dependenciesFromEnvironment, runInvocation, type ControllerDependencies } from '../lambda/handler';
import { ControllerConfigError } from '../contract/controller-config';
import { emptyState, type AuditRecord, type ControllerState } from '../lambda/reconcile/state';
import { IP, TG1, TG2, makeConfig } from './reconcile/fixtures';

/** In-memory ELB: records writes; describe returns what was registered. */
class MemoryElb implements TargetGroupPort {
  readonly groups = new Map<string, Map<string, ObservedTarget>>();
  readonly writes: string[] = [];
  async describeTargets(arn: string): Promise<ObservedTarget[]> {
    return [...(this.groups.get(arn)?.values() ?? [])];
  }
  async registerTargets(arn: string, targets: readonly TargetRef[]): Promise<void> {
    this.writes.push(`register ${arn.split('/')[1]} ${targets.map((t) => `${t.ip}:${t.port}`).join(',')}`);
    const group = this.groups.get(arn) ?? new Map();
    for (const t of targets) group.set(`${t.ip}:${t.port}`, { ip: t.ip, port: t.port, state: 'healthy' });
    this.groups.set(arn, group);
  }
  async deregisterTargets(arn: string, targets: readonly TargetRef[]): Promise<void> {
    this.writes.push(`deregister ${arn.split('/')[1]} ${targets.map((t) => `${t.ip}:${t.port}`).join(',')}`);
    for (const t of targets) this.groups.get(arn)?.delete(`${t.ip}:${t.port}`);
  }
}

/** ELB that keeps a new target `initial` for `initialMs` of the test's clock, as AWS does until its checks pass. */
class SlowElb extends MemoryElb {
  clock: () => number = () => 0;
  readonly timedWrites: { at: number; write: string }[] = [];
  private readonly registeredAt = new Map<string, number>();
  constructor(private readonly initialMs: number) {
    super();
  }
  override async describeTargets(arn: string): Promise<ObservedTarget[]> {
    return (await super.describeTargets(arn)).map((t) => {
      const at = this.registeredAt.get(`${arn} ${t.ip}:${t.port}`);
      return at !== undefined && this.clock() < at + this.initialMs ? { ...t, state: 'initial' } : t;
    });
  }
  override async registerTargets(arn: string, targets: readonly TargetRef[]): Promise<void> {
    await super.registerTargets(arn, targets);
    for (const t of targets) this.registeredAt.set(`${arn} ${t.ip}:${t.port}`, this.clock());
    this.timedWrites.push({ at: this.clock(), write: this.writes.at(-1)! });
  }
  override async deregisterTargets(arn: string, targets: readonly TargetRef[]): Promise<void> {
    await super.deregisterTargets(arn, targets);
    this.timedWrites.push({ at: this.clock(), write: this.writes.at(-1)! });
  }
  makeHealthy(): void {
    this.registeredAt.clear();
    this.timedWrites.length = 0;
  }
}

class MemoryStore implements StateStore {
  state: ControllerState = emptyState();
  audit: AuditRecord[] = [];
  failLoads = 0;
  async load(): Promise<ControllerState> {
    if (this.failLoads > 0) {
      this.failLoads -= 1;
      throw new Error('ProvisionedThroughputExceededException');
    }
    return this.state;
  }
  async save(state: ControllerState): Promise<void> {
    this.state = state;
  }
  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    this.audit.push(...records);
  }
}

/** A fake clock that sleeps instantly and a context whose remaining time follows it. */
function harness(timeoutMs: number, overrides: Partial<ControllerDependencies> = {}) {
  let now = Date.parse('2026-11-24T10:00:00.400Z');
  const sleeps: number[] = [];
  const logs: Array<[string, string, Record<string, unknown> | undefined]> = [];
  const elb = new MemoryElb();
  const store = new MemoryStore();
  const deadline = now + timeoutMs;
  const deps: ControllerDependencies = {
    loadConfig: async () => makeConfig({ targets: ['A', 'B'] }),
    site: 'test-site',
    stateStore: store,
    elb,
    metrics: createControllerMetrics(),
    logger: {
      info: (m, d) => logs.push(['info', m, d]),
      warn: (m, d) => logs.push(['warn', m, d]),
      error: (m, d) => logs.push(['error', m, d]),
    },
    probe: async (target) => {
      now += 750; // two targets: each round takes 1.5 s of (fake) time
      return { healthy: target.host !== IP.B, latencyMs: 1500, reason: target.host !== IP.B ? 'ok' : 'refused' };
    },
    clock: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    ...overrides,
  };
  const context = { getRemainingTimeInMillis: () => deadline - now };
  return { deps, context, elb, store, logs, sleeps, clock: () => now, advance: (ms: number) => void (now += ms) };
}

function captureStdout<T>(run: () => Promise<T>): Promise<{ value: T; docs: any[] }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return run().then(
    (value) => {
      spy.mockRestore();
      return { value, docs: chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
    },
    (err) => {
      spy.mockRestore();
      throw err;
    },
  );
}

describe('controller Lambda', () => {
  beforeAll(() => {
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  });

  test('runs a round every interval while its budget fits before the next scheduled start, with metrics per round', async () => {
    const h = harness(60_000);
    const { value, docs } = await captureStdout(() => runInvocation(h.deps, h.context));
    expect(value).toEqual({ rounds: 6, roundsWithFailures: 0, roundsAborted: 0 });
    // Budget: 1 000 ms check timeout + 1 000 grace + 2 500 allowance = 4.5 s. Rounds start at 0, 10, ... 50 s
    // (50 + 4.5 ends before 59 s = the next start less the deadline margin); the last ends at 51.5 s.
    expect(h.sleeps).toEqual([8_500, 8_500, 8_500, 8_500, 8_500]);
    expect(60_000 - h.context.getRemainingTimeInMillis()).toBe(51_500);
    expect(docs.filter((d) => d.Heartbeat === 1)).toHaveLength(6);
    expect(docs.every((d) => d._aws.CloudWatchMetrics[0].Namespace === 'Medlb' && d.Site === 'test-site')).toBe(true);
    // Bootstrap registered A (B fails) in the first round; later rounds wrote nothing.
    expect(h.elb.writes).toEqual([`register dicom-104 ${IP.A}:104`, `register dicom-11112 ${IP.A}:11112`]);
    expect(h.store.state.services.S1!.targets.A!.passes).toBe(6);
  });

  test("a scheduled event's time bounds the invocation to its minute", async () => {
    const h = harness(900_000);
    const { value } = await captureStdout(() => runInvocation(h.deps, h.context, { time: '2026-11-24T10:00:00Z' }));
    expect(value.rounds).toBe(6); // 10:00:50.4 + the 4.5 s budget ends before 10:01:00; 10:01:00.4 would not
    expect(h.clock()).toBeLessThan(Date.parse('2026-11-24T10:00:52Z'));
  });

  test.each([[{ source: 'medlb.post-deploy', configFingerprint: 'abc' }], [{ maxRounds: 1 }]])('%j runs a single round', async (event) => {
    const h = harness(60_000);
    const { value } = await captureStdout(() => runInvocation(h.deps, h.context, event));
    expect(value.rounds).toBe(1);
    expect(h.sleeps).toEqual([]);
  });

  test('an unusable config fails the invocation before any round', async () => {
    const h = harness(60_000);
    const loadConfig = configFromTable(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'tbl');
    const ddb = mockClient(DynamoDBDocumentClient);
    try {
      ddb.on(GetCommand).resolves({});
      await expect(runInvocation({ ...h.deps, loadConfig }, h.context)).rejects.toThrow(/DynamoDB table tbl item CONFIG\/v1[\s\S]*no config document/);
      expect(h.elb.writes).toEqual([]);
      ddb.on(GetCommand).resolves({ Item: { pk: 'CONFIG', sk: 'v1', document: JSON.stringify(makeConfig()) } });
      expect((await loadConfig()).services[0]!.name).toBe('S1');
      expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'tbl', Key: { pk: 'CONFIG', sk: 'v1' }, ConsistentRead: true });
    } finally {
      ddb.restore();
    }
  });

  test('a round that fails (state store down) is logged and the next rounds still run', async () => {
    const h = harness(60_000);
    h.store.failLoads = 2;
    const { value, docs } = await captureStdout(() => runInvocation(h.deps, h.context));
    expect(value).toEqual({ rounds: 6, roundsWithFailures: 0, roundsAborted: 2 });
    expect(docs.filter((d) => d.Heartbeat === 1)).toHaveLength(4); // no heartbeat for aborted rounds
    expect(h.logs.filter(([level, message]) => level === 'error' && message === 'round aborted')).toHaveLength(2);
  });

  test('rounds slower than the interval (a silent server) never run past the deadline', async () => {
    // The measured fault: 11 s left, rounds of 4 s every 2 s ran 16.4 s. A round starts only if its budget fits.
    const silent = makeConfig({ targets: ['A'] });
    const config = { ...silent, intervalSeconds: 2, services: [{ ...silent.services[0]!, check: { ...silent.services[0]!.check, timeoutMs: 4_000 } }] };
    const h = harness(11_000, {
      loadConfig: async () => config,
      probe: async () => {
        h.advance(4_000);
        return { healthy: false, latencyMs: 4_000, reason: 'no answer within 4000 ms' };
      },
    });
    const { value } = await captureStdout(() => runInvocation(h.deps, h.context));
    // Budget 4 000 + 1 000 + 2 500 = 7.5 s: the first round fits (7.5 ≤ 11 - 1); the second could start at 4 s
    // (the first ran late) and would end at 11.5 s.
    expect(value.rounds).toBe(1);
    expect(h.context.getRemainingTimeInMillis()).toBeGreaterThanOrEqual(1_000);
  });

  test('an invocation that starts too late for one round runs none and says why', async () => {
    const h = harness(4_000);
    const { value } = await captureStdout(() => runInvocation(h.deps, h.context));
    expect(value).toMatchObject({ rounds: 0, skippedReason: expect.stringMatching(/budget of 4500 ms/) });
    expect(h.elb.writes).toEqual([]);
  });

  test('between rounds a waiting switch is re-read every few seconds and completed as soon as the replacement is healthy', async () => {
    // Failover S1: B serves; A has just recovered. ELB keeps a new target `initial` for 5 s.
    const elb = new SlowElb(5_000);
    const h = harness(60_000, { elb, loadConfig: async () => makeConfig({ mode: 'failover', targets: ['A', 'B'] }), probe: async () => ({ healthy: true, latencyMs: 1, reason: 'ok' }) });
    elb.clock = h.clock;
    await elb.registerTargets(TG1, [{ ip: IP.B!, port: 104 }]);
    await elb.registerTargets(TG2, [{ ip: IP.B!, port: 11112 }]);
    elb.makeHealthy();
    elb.writes.length = 0;
    h.store.state = { version: 2, services: { S1: { targets: { A: { passes: 1, failures: 0, up: false }, B: { passes: 9, failures: 0, up: true } }, overrides: {} } } };
    await captureStdout(() => runInvocation(h.deps, h.context, { maxRounds: 2 }));
    const [registerA104, registerA11112, deregisterB104, deregisterB11112, ...rest] = elb.timedWrites;
    expect([registerA104, registerA11112].map((w) => w!.write)).toEqual([`register dicom-104 ${IP.A}:104`, `register dicom-11112 ${IP.A}:11112`]);
    expect([deregisterB104, deregisterB11112].map((w) => w!.write)).toEqual([`deregister dicom-104 ${IP.B}:104`, `deregister dicom-11112 ${IP.B}:11112`]);
    expect(rest).toEqual([]);
    // A became healthy 5 s after its registration; B left within one poll (2 s) of that, before the next round (10 s).
    const overlapMs = deregisterB104!.at - (registerA104!.at + 5_000);
    expect(overlapMs).toBeGreaterThanOrEqual(0);
    expect(overlapMs).toBeLessThanOrEqual(2_000);
    expect(deregisterB104!.at - registerA104!.at).toBeLessThan(10_000);
  });

  test("one service's failure is reported and does not stop the others", async () => {
    const h = harness(60_000);
    const broken: TargetGroupPort = {
      describeTargets: async (arn) => {
        if (arn === TG2) throw new Error('TargetGroupNotFound');
        return h.elb.describeTargets(arn);
      },
      registerTargets: (arn, t) => h.elb.registerTargets(arn, t),
      deregisterTargets: (arn, t) => h.elb.deregisterTargets(arn, t),
    };
    const config = makeConfig({ targets: ['A'] }, { targets: ['D'] });
    const { value } = await captureStdout(() => runInvocation({ ...h.deps, loadConfig: async () => config, elb: broken }, h.context, { maxRounds: 2 }));
    expect(value).toEqual({ rounds: 2, roundsWithFailures: 2, roundsAborted: 0 });
    expect(h.elb.writes).toEqual([expect.stringMatching(/^register hl7-2575 127\.0\.0\.4:2575$/)]);
    expect(h.elb.groups.get(TG1)).toBeUndefined();
  });
});

describe('dependenciesFromEnvironment', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medlb-handler-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reports every missing or bad variable at once', () => {
    let error: unknown;
    try {
      dependenciesFromEnvironment({ MEDLB_AUDIT_RETENTION_SECONDS: 'soon' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ControllerSetupError);
    expect((error as ControllerSetupError).problems).toEqual([
      'MEDLB_TABLE_NAME is not set (the DynamoDB state table)',
      'MEDLB_SITE is not set (the Site metric dimension)',
      "MEDLB_AUDIT_RETENTION_SECONDS must be a positive number of seconds, got 'soon'",
    ]);
  });

  test('MEDLB_CONFIG_PATH: a bad config file is a ControllerConfigError naming the file', async () => {
    const path = join(dir, 'controller.json');
    await writeFile(path, JSON.stringify({ version: 1, services: [{ name: 'S' }] }));
    const deps = dependenciesFromEnvironment({ MEDLB_CONFIG_PATH: path, MEDLB_TABLE_NAME: 't', MEDLB_SITE: 'x', AWS_REGION: 'eu-west-1' });
    await expect(deps.loadConfig()).rejects.toThrow(ControllerConfigError);
    await expect(deps.loadConfig()).rejects.toThrow(/services\[0\]\.mode/);
    await expect(configFromFile(join(dir, 'missing.json'))()).rejects.toThrow(/missing\.json[\s\S]*cannot be read/);
  });

  test('builds the runtime from MEDLB_CONFIG_PATH, MEDLB_TABLE_NAME and MEDLB_SITE', async () => {
    const path = join(dir, 'controller.json');
    await writeFile(path, JSON.stringify(makeConfig()));
    const deps = dependenciesFromEnvironment({ MEDLB_CONFIG_PATH: path, MEDLB_TABLE_NAME: 't', MEDLB_SITE: 'example', AWS_REGION: 'eu-west-1' });
    expect(deps.site).toBe('example');
    expect((await deps.loadConfig()).services.map((s) => s.name)).toEqual(['S1']);
    // The DynamoDB store, its audit records also copied to the append-only log (when the stack names one).
    expect(deps.stateStore.constructor.name).toBe('AuditCopyingStateStore');
    expect(deps.elb.constructor.name).toBe('Elbv2TargetGroups');
  });
});
