import type { ElbTargetState, TargetRef } from '../../lambda/reconcile/ports';
import type { ControllerConfig } from '../../contract/controller-config';
import { reconcile } from '../../lambda/reconcile/reconciler';
import type { ReconcileResult, ServiceCounts, TargetGroupActions } from '../../lambda/reconcile/reconcile-types';
import { emptyState, type ControllerState, type TargetHealthState } from '../../lambda/reconcile/state';
import { IP, TG1, TG2, TG3, fail, makeConfig, pass, registered, verdictsOf, type ServiceOptions } from './fixtures';

const NOW = new Date('2026-11-24T10:00:00.000Z');

interface Case {
  readonly name: string;
  readonly options?: ServiceOptions;
  /** Stored health per target of S1; targets not listed have no history. */
  readonly history?: Record<string, Partial<TargetHealthState> & { up: boolean }>;
  readonly overrides?: Record<string, 'drain' | 'halt'>;
  /** Observed in TG1 (:104); TG2 (:11112) sees the same unless `tg2` is given. */
  readonly tg1: Record<string, ElbTargetState>;
  readonly tg2?: Record<string, ElbTargetState>;
  /** Verdicts; a target left out was not probed. */
  readonly probes: Record<string, boolean>;
  readonly expectUp?: Record<string, boolean>;
  /** Names registered into both target groups (each at its group's port). */
  readonly register?: string[];
  /** Names deregistered from both target groups. */
  readonly deregister?: string[];
  /** Exact actions, when the two groups differ. */
  readonly actions?: TargetGroupActions[];
  readonly failOpen?: boolean;
  readonly bootstrap?: boolean;
  readonly counts?: Partial<ServiceCounts>;
}

function stateOf(c: Case): ControllerState {
  const targets = Object.fromEntries(
    Object.entries(c.history ?? {}).map(([name, h]) => [name, { passes: h.passes ?? (h.up ? 5 : 0), failures: h.failures ?? (h.up ? 0 : 5), up: h.up }]),
  );
  const overrides = Object.fromEntries(
    Object.entries(c.overrides ?? {}).map(([name, action]) => [name, { action, by: 'alice', at: '2026-11-24T09:00:00.000Z', reason: 'test' }]),
  );
  return { version: 2, services: { S1: { targets, overrides } } };
}

function refs(config: ControllerConfig, names: string[], port: number): TargetRef[] {
  return names.map((name) => {
    const target = config.services[0]!.targets.find((t) => t.name === name);
    const ip = target?.ip ?? name;
    return target?.availabilityZone ? { ip, port, availabilityZone: target.availabilityZone } : { ip, port };
  });
}

function expectedActions(c: Case, config: ControllerConfig): TargetGroupActions[] {
  if (c.actions) return c.actions;
  const register = c.register ?? [];
  const deregister = c.deregister ?? [];
  if (register.length === 0 && deregister.length === 0) return [];
  return [
    { service: 'S1', targetGroupArn: TG1, register: refs(config, register, 104), deregister: refs(config, deregister, 104) },
    { service: 'S1', targetGroupArn: TG2, register: refs(config, register, 11112), deregister: refs(config, deregister, 11112) },
  ];
}

function run(c: Case): { result: ReconcileResult; config: ControllerConfig } {
  const config = makeConfig(c.options);
  const result = reconcile({
    config,
    verdicts: { S1: verdictsOf(c.probes) },
    state: stateOf(c),
    observed: { [TG1]: registered(104, c.tg1), [TG2]: registered(11112, c.tg2 ?? c.tg1) },
    now: NOW,
  });
  return { result, config };
}

const cases: Case[] = [
  // Rule 2: rise/fall with persisted counters.
  { name: 'rise: a down target with passes=rise-1 comes up after one more pass and is registered',
    history: { A: { up: true }, B: { up: false, passes: 1, failures: 0 } }, tg1: { A: 'healthy' }, probes: { A: true, B: true, C: false },
    expectUp: { A: true, B: true, C: false }, register: ['B'] },
  { name: 'rise: a down target with no passes stays down after one pass while others serve',
    history: { A: { up: true }, B: { up: false } }, tg1: { A: 'healthy' }, probes: { A: true, B: true },
    expectUp: { B: false }, register: [] },
  { name: 'fall: an up target with failures=fall-1 goes down after one more failure and is deregistered',
    history: { A: { up: true }, B: { up: true, passes: 0, failures: 2 } }, tg1: { A: 'healthy', B: 'healthy' }, probes: { A: true, B: false },
    expectUp: { A: true, B: false }, deregister: ['B'], counts: { targetsUp: 1, targetsInService: 1 } },
  { name: 'fall: fewer than fall failures keep the target up and registered (no write)',
    history: { A: { up: true }, B: { up: true, passes: 0, failures: 1 } }, tg1: { A: 'healthy', B: 'healthy' }, probes: { A: true, B: false },
    expectUp: { B: true } },
  { name: 'a missing verdict counts as a failure',
    history: { A: { up: true }, B: { up: true, failures: 2, passes: 0 } }, tg1: { A: 'healthy', B: 'healthy' }, probes: { A: true },
    expectUp: { B: false }, deregister: ['B'] },
  { name: 'rise=1: one pass brings a down target up',
    options: { rise: 1 }, history: { A: { up: true }, B: { up: false } }, tg1: { A: 'healthy' }, probes: { A: true, B: true },
    expectUp: { B: true }, register: ['B'] },

  // Rule 2: no history starts from the ELB's view.
  { name: 'no history: registered healthy / initial / unhealthy count as up (one failure keeps them)',
    tg1: { A: 'healthy', B: 'initial', C: 'unhealthy' }, probes: { A: false, B: false, C: true },
    expectUp: { A: true, B: true, C: true } },
  { name: 'no history: not registered counts as down (one pass is not enough while others serve)',
    tg1: { A: 'healthy' }, probes: { A: true, B: true, C: true }, expectUp: { A: true, B: false, C: false } },
  { name: 'no history: registered in only one target group still counts as up, and is added to the other',
    tg1: { A: 'healthy' }, tg2: {}, probes: { A: true }, expectUp: { A: true },
    actions: [{ service: 'S1', targetGroupArn: TG2, register: [{ ip: IP.A!, port: 11112 }], deregister: [] }] },

  // Rule 2: bootstrap.
  { name: 'bootstrap: a new stack (empty groups, no history) registers every target that passed once',
    tg1: {}, probes: { A: true, B: true, C: false }, expectUp: { A: true, B: true, C: false }, register: ['A', 'B'], bootstrap: true,
    counts: { targetsUp: 2, targetsExpected: 3, targetsInService: 2, failOpen: 0 } },
  { name: 'bootstrap: a pool the operator emptied (only draining left) comes back after one pass',
    history: { A: { up: false }, B: { up: false } }, tg1: { A: 'draining', B: 'draining' }, probes: { A: true, B: false, C: false },
    expectUp: { A: true, B: false }, register: ['A'], bootstrap: true },
  { name: 'no bootstrap while a target is in service',
    tg1: { A: 'unhealthy' }, history: { A: { up: true } }, probes: { A: true, B: true }, expectUp: { B: false }, bootstrap: false },

  // Rule 3: balanced vs failover with failback.
  { name: 'balanced: every up, non-drained target is desired',
    history: { A: { up: true }, B: { up: true }, C: { up: true } }, tg1: { A: 'healthy' }, probes: { A: true, B: true, C: true },
    register: ['B', 'C'], counts: { targetsUp: 3, targetsExpected: 3, targetsInService: 3 } },
  { name: 'failover: only the first up target in order is registered',
    options: { mode: 'failover' }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy', B: 'healthy' }, probes: { A: true, B: true, C: true },
    deregister: ['B'], counts: { targetsUp: 2, targetsInService: 1 } },
  { name: 'failover: the primary fails → the backup is registered before the primary is deregistered (one action)',
    options: { mode: 'failover' }, history: { A: { up: true, failures: 2, passes: 0 }, B: { up: true } }, tg1: { A: 'healthy' },
    probes: { A: false, B: true }, expectUp: { A: false }, register: ['B'], deregister: ['A'] },
  { name: 'failover: failback when the primary has risen again registers it and keeps the backup until the primary is healthy in ELB (rule 6a)',
    options: { mode: 'failover' }, history: { A: { up: false, passes: 1, failures: 0 }, B: { up: true } }, tg1: { B: 'healthy' },
    probes: { A: true, B: true }, expectUp: { A: true }, register: ['A'],
    counts: { targetsInService: 2, targetsAwaitingHealthy: 1, targetsRoutable: 1 } },
  { name: 'failover: failback waits while the primary is initial in ELB',
    options: { mode: 'failover' }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'initial', B: 'healthy' },
    probes: { A: true, B: true }, counts: { targetsInService: 2, targetsAwaitingHealthy: 1, targetsRoutable: 1 } },
  { name: 'failover: a failover service switches as a whole — healthy in one target group only is not enough',
    options: { mode: 'failover' }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy', B: 'healthy' }, tg2: { A: 'initial', B: 'healthy' },
    probes: { A: true, B: true }, counts: { targetsAwaitingHealthy: 1, targetsRoutable: 1 } },
  { name: 'failover: failback completes once the primary is healthy in every target group',
    options: { mode: 'failover' }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy', B: 'healthy' },
    probes: { A: true, B: true }, deregister: ['B'], counts: { targetsInService: 1, targetsAwaitingHealthy: 0, targetsRoutable: 1 } },
  { name: 'failover: a drained primary is skipped (registered backup first, the primary leaves once the backup is healthy)',
    options: { mode: 'failover', targets: [{ name: 'A', drained: true }, 'B'] }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy' },
    probes: { A: true, B: true }, register: ['B'], counts: { targetsExpected: 1, targetsUp: 1, targetsInService: 2, targetsAwaitingHealthy: 1 } },
  { name: 'make before break: a halted target leaves at once (emergency), even before its replacement is healthy',
    options: { mode: 'failover' }, overrides: { A: 'halt' }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy' },
    probes: { A: true, B: true }, register: ['B'], deregister: ['A'], counts: { targetsAwaitingHealthy: 0, targetsRoutable: 0 } },
  { name: 'make before break: a drained target waits for its replacement to be healthy',
    options: { mode: 'failover' }, overrides: { A: 'drain' }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy', B: 'initial' },
    probes: { A: true, B: true }, counts: { targetsInService: 2, targetsAwaitingHealthy: 1, targetsRoutable: 1 } },
  { name: 'make before break: a down target leaves at once',
    options: { mode: 'failover' }, history: { A: { up: true, failures: 2, passes: 0 }, B: { up: true } }, tg1: { A: 'healthy' },
    probes: { A: false, B: true }, register: ['B'], deregister: ['A'], counts: { targetsAwaitingHealthy: 0 } },
  { name: 'make before break, balanced: a drained member leaves once another wanted member is healthy in that group',
    overrides: { A: 'drain' }, history: { A: { up: true }, B: { up: true }, C: { up: true } }, tg1: { A: 'healthy', B: 'healthy', C: 'initial' },
    probes: { A: true, B: true, C: true }, deregister: ['A'], counts: { targetsAwaitingHealthy: 0, targetsRoutable: 1 } },
  { name: 'make before break, balanced: per target group — leaves the group where a replacement is healthy, stays in the other',
    overrides: { A: 'drain' }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy', B: 'healthy' }, tg2: { A: 'healthy', B: 'initial' },
    probes: { A: true, B: true },
    actions: [{ service: 'S1', targetGroupArn: TG1, register: [], deregister: [{ ip: IP.A!, port: 104 }] }],
    counts: { targetsAwaitingHealthy: 1 } },
  { name: 'make before break: draining the last server goes ahead (nothing can replace it)',
    options: { targets: ['A'] }, overrides: { A: 'drain' }, history: { A: { up: true } }, tg1: { A: 'healthy' },
    probes: { A: true }, deregister: ['A'], counts: { targetsAwaitingHealthy: 0, targetsRoutable: 0 } },

  { name: 'unhealthy.draining (the NLB check failed, open connections kept) is still registered: a down target there is deregistered, not registered again',
    history: { A: { up: true, failures: 2, passes: 0 }, B: { up: true } }, tg1: { A: 'unhealthy.draining', B: 'healthy' }, probes: { A: false, B: true },
    expectUp: { A: false }, deregister: ['A'], counts: { targetsInService: 1, targetsRoutable: 1 } },

  // Rule 4: fail-open; operator overrides obeyed.
  { name: 'fail-open: no target up → registrations kept, nothing written, FailOpen=1 (not an error)',
    history: { A: { up: true, failures: 2, passes: 0 }, B: { up: false } }, tg1: { A: 'unhealthy', B: 'unhealthy' }, probes: { A: false, B: false, C: false },
    expectUp: { A: false, B: false, C: false }, failOpen: true, counts: { targetsUp: 0, targetsInService: 2, failOpen: 1 } },
  { name: 'fail-open: a registered target not in the config is still deregistered',
    history: { A: { up: false } }, tg1: { A: 'unhealthy', '127.0.0.99': 'healthy' }, probes: { A: false, B: false, C: false },
    failOpen: true, actions: [
      { service: 'S1', targetGroupArn: TG1, register: [], deregister: [{ ip: '127.0.0.99', port: 104 }] },
      { service: 'S1', targetGroupArn: TG2, register: [], deregister: [{ ip: '127.0.0.99', port: 11112 }] },
    ] },
  { name: 'fail-open still removes operator-halted targets',
    history: { A: { up: false }, B: { up: false } }, overrides: { B: 'halt' }, tg1: { A: 'healthy', B: 'healthy' }, probes: { A: false, B: false, C: false },
    failOpen: true, deregister: ['B'], counts: { targetsExpected: 2, targetsInService: 1, failOpen: 1 } },
  { name: 'operator drain is obeyed even when it empties the group (no fail-open)',
    options: { targets: ['A'] }, history: { A: { up: true } }, overrides: { A: 'drain' }, tg1: { A: 'healthy' }, probes: { A: true },
    deregister: ['A'], failOpen: false, counts: { targetsUp: 0, targetsExpected: 0, targetsInService: 0, failOpen: 0 } },
  { name: 'operator halt is obeyed for a healthy target while others serve',
    history: { A: { up: true }, B: { up: true } }, overrides: { A: 'halt' }, tg1: { A: 'healthy', B: 'healthy' }, probes: { A: true, B: true },
    expectUp: { A: true }, deregister: ['A'], counts: { targetsUp: 1, targetsExpected: 2, targetsInService: 1 } },
  { name: 'an overridden target is never registered again while the override holds (even when draining)',
    history: { A: { up: true }, B: { up: true } }, overrides: { A: 'drain' }, tg1: { A: 'draining', B: 'healthy' }, probes: { A: true, B: true } },

  // Weight 0.
  { name: 'drained: true (weight 0) is never registered and is removed when registered',
    options: { targets: ['A', { name: 'B', drained: true }] }, history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy', B: 'healthy' },
    probes: { A: true, B: true }, deregister: ['B'], counts: { targetsExpected: 1, targetsUp: 1, targetsInService: 1 } },

  // Rule 5: the controller owns its target groups.
  { name: 'draining counts as not registered: a wanted draining target is registered again',
    history: { A: { up: true }, B: { up: true } }, tg1: { A: 'healthy', B: 'draining' }, probes: { A: true, B: true }, register: ['B'] },
  { name: 'draining targets that are not wanted are never deregistered again',
    history: { A: { up: true }, B: { up: false } }, tg1: { A: 'healthy', B: 'draining' }, probes: { A: true, B: false },
    counts: { targetsInService: 1 } },
  { name: 'a registered target not in the config is deregistered; a draining one is left alone',
    history: { A: { up: true } }, tg1: { A: 'healthy', '127.0.0.99': 'healthy', '127.0.0.98': 'draining' }, probes: { A: true },
    actions: [
      { service: 'S1', targetGroupArn: TG1, register: [], deregister: [{ ip: '127.0.0.99', port: 104 }] },
      { service: 'S1', targetGroupArn: TG2, register: [], deregister: [{ ip: '127.0.0.99', port: 11112 }] },
    ] },
  { name: 'availabilityZone "all" is carried into register and deregister TargetRefs',
    options: { targets: [{ name: 'A', availabilityZone: 'all' }, { name: 'B', availabilityZone: 'all' }] },
    history: { A: { up: true }, B: { up: true, failures: 2, passes: 0 } }, tg1: { B: 'healthy' }, probes: { A: true, B: false },
    actions: [
      { service: 'S1', targetGroupArn: TG1, register: [{ ip: IP.A!, port: 104, availabilityZone: 'all' }], deregister: [{ ip: IP.B!, port: 104, availabilityZone: 'all' }] },
      { service: 'S1', targetGroupArn: TG2, register: [{ ip: IP.A!, port: 11112, availabilityZone: 'all' }], deregister: [{ ip: IP.B!, port: 11112, availabilityZone: 'all' }] },
    ] },

  // Rule 6: nothing changes → no actions.
  { name: 'steady state: everything up and registered → no actions',
    history: { A: { up: true }, B: { up: true }, C: { up: true } }, tg1: { A: 'healthy', B: 'healthy', C: 'healthy' }, probes: { A: true, B: true, C: true },
    counts: { targetsUp: 3, targetsExpected: 3, targetsInService: 3, failOpen: 0 } },
];

describe('reconcile: §3.2 rules (service S1: TG1 :104, TG2 :11112, targets A B C)', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { result, config } = run(c);
    expect(result.actions).toEqual(expectedActions(c, config));
    const report = result.services[0];
    expect(report!.error).toBeUndefined();
    for (const [name, up] of Object.entries(c.expectUp ?? {})) {
      expect({ name, up: result.state.services.S1!.targets[name]!.up }).toEqual({ name, up });
      expect(report!.targets.find((t) => t.name === name)!.up).toBe(up);
    }
    expect(report!.failOpen).toBe(c.failOpen ?? false);
    if (c.bootstrap !== undefined) expect(report!.bootstrap).toBe(c.bootstrap);
    if (c.counts) expect(report!.counts).toMatchObject(c.counts);
    // Overrides are carried through untouched.
    expect(result.state.services.S1!.overrides).toEqual(stateOf(c).services.S1!.overrides);
  });
});

describe('reconcile: details', () => {
  test('the wrong-port case really deregisters the stray port and registers the group port', () => {
    const config = makeConfig({ targets: ['A'] });
    const result = reconcile({
      config,
      verdicts: { S1: verdictsOf({ A: true }) },
      state: { version: 2, services: { S1: { targets: { A: { passes: 3, failures: 0, up: true } }, overrides: {} } } },
      observed: { [TG1]: [{ ip: IP.A!, port: 105, state: 'healthy' }], [TG2]: registered(11112, { A: 'healthy' }) },
      now: NOW,
    });
    // The stray port still answers (ELB: healthy), so it stays until the group port is healthy too (rule 6a).
    expect(result.actions).toEqual([{ service: 'S1', targetGroupArn: TG1, register: [{ ip: IP.A, port: 104 }], deregister: [] }]);
    expect(result.services[0]!.unknownTargets).toEqual([
      {
        targetGroupArn: TG1, ip: IP.A, port: 105, state: 'healthy',
        awaiting: { since: NOW.toISOString(), replacements: [{ name: 'A', states: [{ targetGroupArn: TG1, port: 104, state: 'unregistered' }] }] },
      },
    ]);
    const next = reconcile({
      config,
      verdicts: { S1: verdictsOf({ A: true }) },
      state: result.state,
      observed: { [TG1]: [{ ip: IP.A!, port: 105, state: 'healthy' }, { ip: IP.A!, port: 104, state: 'healthy' }], [TG2]: registered(11112, { A: 'healthy' }) },
      now: new Date(NOW.getTime() + 10_000),
    });
    expect(next.actions).toEqual([{ service: 'S1', targetGroupArn: TG1, register: [], deregister: [{ ip: IP.A, port: 105 }] }]);
    expect(next.state.services.S1!.pending).toBeUndefined();
    expect(next.audit).toEqual([expect.objectContaining({ action: 'switch', target: IP.A, reason: expect.stringMatching(/no longer kept after 10 s/) })]);
  });

  test('a service whose describe failed gets an error, no actions and unchanged state; the other service proceeds', () => {
    const config = makeConfig({}, {});
    const state: ControllerState = {
      version: 2,
      services: { S1: { targets: { A: { passes: 0, failures: 2, up: true } }, overrides: {} }, S2: { targets: {}, overrides: {} } },
    };
    const result = reconcile({
      config,
      verdicts: { S1: verdictsOf({ A: false, B: true, C: true }), S2: verdictsOf({ D: true, E: true }) },
      state,
      observed: { [TG1]: { error: 'TargetGroupNotFound: One or more target groups not found', code: 'TargetGroupNotFound' }, [TG2]: [], [TG3]: [] },
      now: NOW,
    });
    const [s1, s2] = result.services;
    expect(s1!.error).toContain('TargetGroupNotFound');
    expect(s1!.counts).toEqual({ targetsUp: 1, targetsExpected: 3, targetsInService: null, failOpen: null, targetsAwaitingHealthy: null, targetsRoutable: null });
    expect(s1!.targets.map((t) => t.registration)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(result.state.services.S1).toBe(state.services.S1);
    expect(s2!.error).toBeUndefined();
    expect(result.actions).toEqual([
      { service: 'S2', targetGroupArn: TG3, register: [{ ip: IP.D, port: 2575 }, { ip: IP.E, port: 2575 }], deregister: [] },
    ]);
  });

  test('a target group missing from the observations is an error for its service', () => {
    const result = reconcile({ config: makeConfig(), verdicts: {}, state: emptyState(), observed: { [TG1]: [] }, now: NOW });
    expect(result.services[0]!.error).toBe(`target group ${TG2} was not described`);
    expect(result.actions).toEqual([]);
  });

  test('counters, last probe and up/down audit records are persisted; removed targets and services are dropped', () => {
    const config = makeConfig({ targets: ['A', 'B'] });
    const state: ControllerState = {
      version: 2,
      services: {
        S1: {
          targets: { A: { passes: 0, failures: 2, up: true }, B: { passes: 1, failures: 0, up: false }, GONE: { passes: 9, failures: 0, up: true } },
          overrides: { GONE: { action: 'drain', by: 'bob', at: '2026-11-01T00:00:00.000Z' } },
        },
        OLD: { targets: {}, overrides: {} },
      },
    };
    const result = reconcile({
      config,
      verdicts: { S1: { A: fail('C-ECHO status 0x0110'), B: pass('C-ECHO status 0x0000') } },
      state,
      observed: { [TG1]: registered(104, { A: 'healthy' }), [TG2]: registered(11112, { A: 'healthy' }) },
      now: NOW,
    });
    expect(result.state).toEqual({
      version: 2,
      services: {
        S1: {
          targets: {
            A: { passes: 0, failures: 3, up: false, lastProbe: { healthy: false, reason: 'C-ECHO status 0x0110', latencyMs: 0.5, at: NOW.toISOString() }, ip: IP.A },
            B: { passes: 2, failures: 0, up: true, lastProbe: { healthy: true, reason: 'C-ECHO status 0x0000', latencyMs: 1.5, at: NOW.toISOString() }, ip: IP.B },
          },
          overrides: { GONE: { action: 'drain', by: 'bob', at: '2026-11-01T00:00:00.000Z' } },
        },
      },
    });
    expect(result.audit).toEqual([
      { who: 'medlb-controller', when: NOW.toISOString(), action: 'down', service: 'S1', target: 'A', reason: '3 consecutive failures (C-ECHO status 0x0110)' },
      { who: 'medlb-controller', when: NOW.toISOString(), action: 'up', service: 'S1', target: 'B', reason: '2 consecutive passes (C-ECHO status 0x0000)' },
    ]);
    // Failback-style swap in one action per group: register B before deregistering A.
    expect(result.actions).toEqual([
      { service: 'S1', targetGroupArn: TG1, register: [{ ip: IP.B, port: 104 }], deregister: [{ ip: IP.A, port: 104 }] },
      { service: 'S1', targetGroupArn: TG2, register: [{ ip: IP.B, port: 11112 }], deregister: [{ ip: IP.A, port: 11112 }] },
    ]);
  });

  test('a target whose address changed in the config starts without history: the new address must pass rise', () => {
    const config = makeConfig({ targets: ['A', 'B'] });
    const OLD_A = '127.0.0.9';
    const upAt = (ip: string): TargetHealthState => ({ passes: 5, failures: 0, up: true, ip });
    const observed = (state: ElbTargetState) => ({
      [TG1]: [...registered(104, { B: 'healthy' }), { ip: OLD_A, port: 104, state }],
      [TG2]: [...registered(11112, { B: 'healthy' }), { ip: OLD_A, port: 11112, state }],
    });
    const first = reconcile({
      config,
      verdicts: { S1: verdictsOf({ A: false, B: true }) },
      state: { version: 2, services: { S1: { targets: { A: upAt(OLD_A), B: upAt(IP.B!) }, overrides: {} } } },
      observed: observed('healthy'),
      now: NOW,
    });
    // The new address fails its probe: it is not registered, although the name was up at the old address.
    expect(first.state.services.S1!.targets.A).toEqual(expect.objectContaining({ up: false, passes: 0, failures: 1, ip: IP.A }));
    expect(first.actions.flatMap((a) => a.register)).toEqual([]);
    // The old address is a stray now; B is healthy in ELB, so it leaves (rule 6a).
    expect(first.actions.flatMap((a) => a.deregister)).toEqual([{ ip: OLD_A, port: 104 }, { ip: OLD_A, port: 11112 }]);
    expect(first.audit).toContainEqual(expect.objectContaining({ action: 'down', target: 'A', reason: `address changed from ${OLD_A} to ${IP.A}: the new address must pass rise` }));

    // A passing new address comes up after rise (2) passes, like any newcomer.
    const passing = (state: ControllerState, at: Date) =>
      reconcile({ config, verdicts: { S1: verdictsOf({ A: true, B: true }) }, state, observed: observed('draining'), now: at });
    const second = passing(first.state, new Date(NOW.getTime() + 10_000));
    expect(second.state.services.S1!.targets.A!.up).toBe(false);
    const third = passing(second.state, new Date(NOW.getTime() + 20_000));
    expect(third.state.services.S1!.targets.A!.up).toBe(true);
    expect(third.actions.flatMap((a) => a.register)).toEqual([{ ip: IP.A, port: 104 }, { ip: IP.A, port: 11112 }]);
  });

  test('history stored without an address (older controllers) is kept', () => {
    const config = makeConfig({ targets: ['A'] });
    const result = reconcile({
      config,
      verdicts: { S1: verdictsOf({ A: false }) },
      state: { version: 2, services: { S1: { targets: { A: { passes: 5, failures: 0, up: true } }, overrides: {} } } },
      observed: { [TG1]: registered(104, { A: 'healthy' }), [TG2]: registered(11112, { A: 'healthy' }) },
      now: NOW,
    });
    expect(result.state.services.S1!.targets.A).toEqual(expect.objectContaining({ up: true, failures: 1, ip: IP.A }));
  });

  test('the report shows probe, registration per group, override and desired per target', () => {
    const config = makeConfig();
    const result = reconcile({
      config,
      verdicts: { S1: { A: pass(), B: fail() } },
      state: {
        version: 2,
        services: { S1: { targets: { A: { passes: 4, failures: 0, up: true } }, overrides: { C: { action: 'halt', by: 'carol', at: 'x', reason: 'smoke' } } } },
      },
      observed: { [TG1]: registered(104, { A: 'healthy', C: 'draining' }), [TG2]: registered(11112, { C: 'healthy' }) },
      now: NOW,
    });
    const [a, b, c] = result.services[0]!.targets;
    expect(a).toMatchObject({ name: 'A', probe: pass(), up: true, passes: 5, registration: 'partial', desired: true, inService: true, drained: false });
    expect(a!.targetGroups).toEqual([
      { targetGroupArn: TG1, port: 104, state: 'healthy' },
      { targetGroupArn: TG2, port: 11112, state: 'unregistered' },
    ]);
    expect(b).toMatchObject({ name: 'B', probe: fail(), up: false, registration: 'unregistered', desired: false, inService: false });
    expect(c).toMatchObject({ name: 'C', registration: 'partial', override: { action: 'halt', by: 'carol' }, desired: false, inService: false });
    expect(c!.probe).toBeUndefined();
    expect(result.actions).toEqual([
      { service: 'S1', targetGroupArn: TG2, register: [{ ip: IP.A, port: 11112 }], deregister: [{ ip: IP.C, port: 11112 }] },
    ]);
  });

  test('pure: the input state is not mutated and the same input gives the same output', () => {
    const config = makeConfig();
    const state: ControllerState = { version: 2, services: { S1: { targets: { A: { passes: 1, failures: 0, up: false } }, overrides: {} } } };
    const frozen = JSON.stringify(state);
    const input = { config, verdicts: { S1: verdictsOf({ A: true }) }, state, observed: { [TG1]: [], [TG2]: [] }, now: NOW };
    const first = reconcile(input);
    expect(JSON.stringify(state)).toBe(frozen);
    expect(reconcile(input)).toEqual(first);
  });
});

describe('reconcile: manual failback (failover services)', () => {
  const config = (() => {
    const base = makeConfig({ mode: 'failover', targets: ['A', 'B'], rise: 1, fall: 1 });
    return { ...base, services: [{ ...base.services[0]!, failback: 'manual' as const }] };
  })();
  const round = (state: ControllerState, probes: Record<string, boolean>, tg: Record<string, ElbTargetState>, at: string) =>
    reconcile({ config, verdicts: { S1: verdictsOf(probes) }, state, observed: { [TG1]: registered(104, tg), [TG2]: registered(11112, tg) }, now: new Date(at) });

  test('stays on the standby after the primary recovers, reports the pending failback, and fails back (made before break) on request', () => {
    // A serves and becomes active.
    let result = round(emptyState(), { A: true, B: true }, { A: 'healthy' }, '2026-11-27T10:00:00Z');
    expect(result.state.services.S1!.active).toEqual({ name: 'A', since: '2026-11-27T10:00:00.000Z' });
    // A fails: B takes over and becomes active.
    result = round(result.state, { A: false, B: true }, { A: 'healthy' }, '2026-11-27T10:00:10Z');
    expect(result.actions.flatMap((a) => a.register.map((r) => r.ip))).toEqual([IP.B, IP.B]);
    expect(result.state.services.S1!.active).toEqual({ name: 'B', since: '2026-11-27T10:00:10.000Z' });
    // A recovers: nothing moves; the report says a failback is pending.
    result = round(result.state, { A: true, B: true }, { B: 'healthy' }, '2026-11-27T10:00:20Z');
    expect(result.actions).toEqual([]);
    expect(result.services[0]!.failbackPending).toMatch(/^A recovered, failback pending: `medlb failback S1`/);
    result = round(result.state, { A: true, B: true }, { B: 'healthy' }, '2026-11-27T10:00:30Z');
    expect(result.actions).toEqual([]);
    // The operator asks; the next round registers A and keeps B until A is healthy in ELB.
    const requested: ControllerState = {
      ...result.state,
      services: { S1: { ...result.state.services.S1!, failbackRequest: { by: 'alice', at: '2026-11-27T10:00:35.000Z', reason: 'quiet hour' } } },
    };
    result = round(requested, { A: true, B: true }, { B: 'healthy' }, '2026-11-27T10:00:40Z');
    expect(result.actions.map((a) => [a.register.map((r) => r.ip), a.deregister.map((r) => r.ip)])).toEqual([[[IP.A], []], [[IP.A], []]]);
    expect(result.services[0]!.counts.targetsAwaitingHealthy).toBe(1);
    expect(result.audit).toContainEqual(expect.objectContaining({ action: 'failback', target: 'A', reason: expect.stringContaining('alice') }));
    expect(result.state.services.S1!.active).toEqual({ name: 'A', since: '2026-11-27T10:00:40.000Z' });
    // A healthy in both groups: B leaves; the old request is spent (earlier than A's `since`).
    result = round(result.state, { A: true, B: true }, { A: 'healthy', B: 'healthy' }, '2026-11-27T10:00:50Z');
    expect(result.actions.flatMap((a) => a.deregister.map((r) => r.ip))).toEqual([IP.B, IP.B]);
    expect(result.services[0]!.failbackPending).toBeUndefined();
  });

  test('automatic failback (the default) is unchanged: the primary is wanted as soon as it is up', () => {
    const automatic = makeConfig({ mode: 'failover', targets: ['A', 'B'], rise: 1, fall: 1 });
    const state: ControllerState = { version: 2, services: { S1: { targets: { A: { passes: 1, failures: 0, up: true }, B: { passes: 9, failures: 0, up: true } }, overrides: {} } } };
    const result = reconcile({ config: automatic, verdicts: { S1: verdictsOf({ A: true, B: true }) }, state, observed: { [TG1]: registered(104, { B: 'healthy' }), [TG2]: registered(11112, { B: 'healthy' }) }, now: NOW });
    expect(result.actions.flatMap((a) => a.register.map((r) => r.ip))).toEqual([IP.A, IP.A]);
    expect(result.state.services.S1!.active).toBeUndefined();
  });
});
