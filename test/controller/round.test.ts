import type { ObservedTarget, TargetGroupPort, TargetRef } from '../../lambda/reconcile/ports';
import { StateConflictError, type StateStore } from '../../lambda/reconcile/ports';
import { followPendingSwitches } from '../../lambda/controller/pending-switches';
import { runRound } from '../../lambda/controller/round';
import { mapConcurrent } from '../../lambda/controller/concurrency';
import type { ProbeFunction } from '../../lambda/controller/target-check';
import { parseControllerConfig, type ControllerConfig } from '../../contract/controller-config';
import { emptyState, type AuditRecord, type ControllerState } from '../../lambda/reconcile/state';

const arn = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/${name}/0123456789abcdef`;

function config(): ControllerConfig {
  return parseControllerConfig({
    version: 1,
    services: [
      {
        name: 'PACS',
        mode: 'failover',
        rise: 1,
        fall: 1,
        check: { protocol: 'tcp', port: 104, timeoutMs: 200 },
        targetGroups: [{ arn: arn('pacs-104'), port: 104 }, { arn: arn('pacs-11112'), port: 11112 }],
        targets: [
          { name: 'P1', ip: '127.0.0.11' },
          { name: 'P2', ip: '127.0.0.12' },
        ],
      },
      {
        name: 'HL7',
        mode: 'balanced',
        rise: 1,
        fall: 1,
        check: { protocol: 'tcp', port: 2575, timeoutMs: 200 },
        targetGroups: [{ arn: arn('hl7'), port: 2575 }],
        targets: [
          { name: 'H1', ip: '127.0.0.21' },
          { name: 'H2', ip: '127.0.0.22', availabilityZone: 'all' },
        ],
      },
    ],
  });
}

/** An in-memory target-group port recording every call in order. */
class MemoryElb implements TargetGroupPort {
  readonly groups = new Map<string, Map<string, ObservedTarget>>();
  readonly log: string[] = [];
  failDescribe = new Set<string>();
  failRegister = new Set<string>();

  constructor(arns: string[]) {
    for (const a of arns) this.groups.set(a, new Map());
  }

  async describeTargets(targetGroupArn: string): Promise<ObservedTarget[]> {
    this.log.push(`describe ${targetGroupArn.split('/')[1]}`);
    if (this.failDescribe.has(targetGroupArn)) throw new Error('TargetGroupNotFound: One or more target groups not found');
    return [...this.groups.get(targetGroupArn)!.values()];
  }

  async registerTargets(targetGroupArn: string, targets: readonly TargetRef[]): Promise<void> {
    this.log.push(`register ${targetGroupArn.split('/')[1]} ${targets.map((t) => `${t.ip}:${t.port}${t.availabilityZone ? `@${t.availabilityZone}` : ''}`).join(',')}`);
    if (this.failRegister.has(targetGroupArn)) throw new Error('RegisterTargets failed');
    for (const t of targets) this.groups.get(targetGroupArn)!.set(`${t.ip}:${t.port}`, { ip: t.ip, port: t.port, state: 'healthy' });
  }

  async deregisterTargets(targetGroupArn: string, targets: readonly TargetRef[]): Promise<void> {
    this.log.push(`deregister ${targetGroupArn.split('/')[1]} ${targets.map((t) => `${t.ip}:${t.port}`).join(',')}`);
    for (const t of targets) this.groups.get(targetGroupArn)!.delete(`${t.ip}:${t.port}`);
  }

  writes(): string[] {
    return this.log.filter((l) => !l.startsWith('describe'));
  }
}

class MemoryStore implements StateStore {
  state: ControllerState = emptyState();
  saves = 0;
  audit: AuditRecord[] = [];
  conflictOnce = false;
  async load(): Promise<ControllerState> {
    return this.state;
  }
  async save(state: ControllerState): Promise<void> {
    if (this.conflictOnce) {
      this.conflictOnce = false;
      throw new StateConflictError('test');
    }
    this.saves += 1;
    this.state = state;
  }
  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    this.audit.push(...records);
  }
}

/** A probe whose verdict per host the test controls. */
function scriptedProbe(healthy: Set<string>): ProbeFunction & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (target: { host: string; port: number }) => {
    calls.push(`${target.host}:${target.port}`);
    return { healthy: healthy.has(target.host), latencyMs: 1, reason: healthy.has(target.host) ? 'connected' : 'connection refused' };
  };
  return Object.assign(fn, { calls });
}

describe('runRound', () => {
  const allArns = [arn('pacs-104'), arn('pacs-11112'), arn('hl7')];
  let elb: MemoryElb;
  let store: MemoryStore;
  const up = new Set(['127.0.0.11', '127.0.0.12', '127.0.0.21', '127.0.0.22']);

  beforeEach(() => {
    elb = new MemoryElb(allArns);
    store = new MemoryStore();
  });

  const round = (healthy: Set<string>, extra: Partial<Parameters<typeof runRound>[0]> = {}) =>
    runRound({ config: config(), stateStore: store, elb, probe: scriptedProbe(healthy), now: () => new Date('2026-11-24T10:00:00Z'), ...extra });

  it('probes every target on its check port, describes each target group once and bootstraps an empty pool', async () => {
    const probe = scriptedProbe(up);
    const result = await runRound({ config: config(), stateStore: store, elb, probe });
    expect(probe.calls.sort()).toEqual(['127.0.0.11:104', '127.0.0.12:104', '127.0.0.21:2575', '127.0.0.22:2575']);
    expect(elb.log.filter((l) => l.startsWith('describe')).sort()).toEqual(['describe hl7', 'describe pacs-104', 'describe pacs-11112']);
    expect(elb.writes().sort()).toEqual([
      'register hl7 127.0.0.21:2575,127.0.0.22:2575@all',
      'register pacs-104 127.0.0.11:104',
      'register pacs-11112 127.0.0.11:11112',
    ]);
    expect(result.failed).toBe(false);
    expect(result.summary.ok).toBe(true);
    expect(result.summary.stateSaved).toBe(true);
    expect(result.elb).toEqual({ describeCalls: 3, writeCalls: 3, failedCalls: 0, throttledCalls: 0 });
    expect(store.saves).toBe(1);
    expect(store.state.services.PACS?.targets.P1?.up).toBe(true);
    // medlb status tells a stopped controller by it.
    expect(store.state.lastRoundAt).toBe(result.summary.startedAt);
    expect(result.summary.services[0]).toMatchObject({ name: 'PACS', bootstrap: true, applied: true });
    expect(JSON.parse(JSON.stringify(result.summary))).toEqual(result.summary);
  });

  it('makes no write in steady state', async () => {
    await round(up);
    elb.log.length = 0;
    const result = await round(up);
    expect(elb.writes()).toEqual([]);
    expect(elb.log).toHaveLength(3);
    expect(result.summary.services.every((s) => s.actions.length === 0)).toBe(true);
  });

  it('dry-run reports the actions but writes nothing and saves nothing', async () => {
    const result = await round(up, { dryRun: true });
    expect(elb.writes()).toEqual([]);
    expect(store.saves).toBe(0);
    expect(result.summary.dryRun).toBe(true);
    expect(result.summary.stateSaved).toBe(false);
    expect(result.summary.services[1]?.actions).toEqual([
      { targetGroupArn: arn('hl7'), register: ['127.0.0.21:2575', '127.0.0.22:2575'], deregister: [] },
    ]);
    expect(result.summary.services[1]?.applied).toBe(false);
  });

  it('fails over and back with every register of the service before any deregister', async () => {
    await round(up);
    elb.log.length = 0;
    await round(new Set(['127.0.0.12', '127.0.0.21', '127.0.0.22']));
    expect(elb.writes()).toEqual([
      'register pacs-104 127.0.0.12:104',
      'register pacs-11112 127.0.0.12:11112',
      'deregister pacs-104 127.0.0.11:104',
      'deregister pacs-11112 127.0.0.11:11112',
    ]);
    elb.log.length = 0;
    // Failback is planned: the backup stays until the primary is healthy in ELB in both groups (rule 6a).
    const failback = await round(up);
    expect(elb.writes()).toEqual(['register pacs-104 127.0.0.11:104', 'register pacs-11112 127.0.0.11:11112']);
    const pacs = failback.summary.services.find((s) => s.name === 'PACS')!;
    expect(pacs.waiting).toEqual([expect.stringMatching(/^P2 kept: waiting for P1 \(104 unregistered, 11112 unregistered\) to become healthy in ELB since /)]);
    expect(pacs.counts).toMatchObject({ targetsAwaitingHealthy: 1, targetsInService: 2 });
    expect(failback.pending).toHaveLength(1);
    elb.log.length = 0;
    const followed = await followPendingSwitches({ elb, pending: failback.pending, logger: { info: () => {}, warn: () => {}, error: () => {} } });
    expect(followed.completed.map((p) => p.target)).toEqual(['P2']);
    expect(elb.writes()).toEqual(['deregister pacs-104 127.0.0.12:104', 'deregister pacs-11112 127.0.0.12:11112']);
    elb.log.length = 0;
    const settled = await round(up);
    expect(elb.writes()).toEqual([]);
    expect(settled.pending).toEqual([]);
    expect(store.state.services.PACS?.pending).toBeUndefined();
  });

  it('isolates a service whose target group cannot be described', async () => {
    elb.failDescribe.add(arn('pacs-11112'));
    const result = await round(up);
    expect(result.failed).toBe(true);
    const pacs = result.summary.services.find((s) => s.name === 'PACS')!;
    expect(pacs.ok).toBe(false);
    expect(pacs.error).toMatch(/TargetGroupNotFound/);
    expect(elb.writes()).toEqual(['register hl7 127.0.0.21:2575,127.0.0.22:2575@all']);
    expect(store.saves).toBe(1);
  });

  it('isolates a service whose write fails and does not deregister after a failed register', async () => {
    await round(up);
    elb.failRegister.add(arn('pacs-104'));
    elb.log.length = 0;
    const result = await round(new Set(['127.0.0.12', '127.0.0.22']));
    expect(elb.writes()).toEqual(['register pacs-104 127.0.0.12:104', 'deregister hl7 127.0.0.21:2575']);
    expect(result.failed).toBe(true);
    expect(result.summary.services.map((s) => [s.name, s.ok, s.applied])).toEqual([
      ['PACS', false, false],
      ['HL7', true, true],
    ]);
    expect(result.reports[0]?.error).toBe('RegisterTargets failed');
    expect(result.reports[0]?.counts.targetsInService).toBeNull();
    expect(result.elb.failedCalls).toBe(1);
  });

  it('abandons a probe that never settles after its timeout plus grace, aborting it', async () => {
    let aborted = false;
    const hanging: ProbeFunction = (target, _check, options) =>
      target.host === '127.0.0.11'
        ? new Promise(() => {
            options?.signal?.addEventListener('abort', () => {
              aborted = true;
            });
          })
        : Promise.resolve({ healthy: true, latencyMs: 1, reason: 'ok' });
    const result = await runRound({ config: config(), stateStore: store, elb, probe: hanging });
    expect(aborted).toBe(true);
    const p1 = result.summary.services[0]!.targets[0];
    expect(p1!.probe).toMatchObject({ healthy: false, reason: 'probe did not finish within 1200 ms' });
  });

  it('turns a probe that throws into a failed verdict', async () => {
    const throwing: ProbeFunction = async () => {
      throw new Error('boom');
    };
    const result = await runRound({ config: config(), stateStore: store, elb, probe: throwing });
    expect(result.summary.services[1]!.targets[0]!.probe).toMatchObject({ healthy: false, reason: 'probe error: boom' });
  });

  it('keeps an override written concurrently when the save conflicts', async () => {
    store.conflictOnce = true;
    const override = { action: 'drain' as const, by: 'alice', at: '2026-11-24T09:59:00Z', reason: 'patching' };
    const originalLoad = store.load.bind(store);
    let loads = 0;
    store.load = async () => {
      loads += 1;
      if (loads === 2) return { version: 2, services: { HL7: { targets: {}, overrides: { H1: override } } } };
      return originalLoad();
    };
    await round(up);
    expect(store.state.services.HL7?.overrides.H1).toEqual(override);
    expect(store.state.services.HL7?.targets.H1?.up).toBe(true);
  });

  it('records up/down transitions in the audit trail', async () => {
    await round(up);
    expect(store.audit.filter((a) => a.action === 'up').map((a) => a.target).sort()).toEqual(['H1', 'H2', 'P1', 'P2']);
  });
});

describe('mapConcurrent', () => {
  it('keeps order and never exceeds the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});

describe('runRound: certificate names', () => {
  it("probes each real server with its own serverName where it has one, else the check's", async () => {
    const named = parseControllerConfig({
      version: 1,
      services: [
        {
          name: 'PACS-TLS',
          mode: 'balanced',
          rise: 1,
          fall: 1,
          check: { protocol: 'dicom', port: 2762, timeoutMs: 200, tls: true, serverName: 'pacs.hospital.example' },
          targetGroups: [{ arn: arn('pacs-2762'), port: 2762 }],
          targets: [
            { name: 'P1', ip: '127.0.0.11', serverName: 'pacs-01.hospital.example' },
            { name: 'P2', ip: '127.0.0.12' },
          ],
        },
      ],
    });
    const seen: Record<string, string | undefined> = {};
    const probe: ProbeFunction = async (target, check) => {
      seen[target.host] = check.serverName;
      return { healthy: true, latencyMs: 1, reason: 'ok' };
    };
    await runRound({ config: named, stateStore: new MemoryStore(), elb: new MemoryElb([arn('pacs-2762')]), probe });
    expect(seen).toEqual({ '127.0.0.11': 'pacs-01.hospital.example', '127.0.0.12': 'pacs.hospital.example' });
  });
});
