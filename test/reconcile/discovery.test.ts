/**
 * EC2 discovery semantics (docs/architecture.md#discovery) through the round runner with in-memory ports: identity by instance
 * id, names and order, appear / disappear / re-tag / replacement with a new IP, overrides by name, the EC2
 * error path (last known set, held registrations, exit 1) and the zero-instance suspicion.
 */
import type { InstanceDescription, InstanceDiscoveryPort, InstanceSelector, ObservedTarget, TargetGroupPort, TargetRef } from '../../lambda/reconcile/ports';
import type { StateStore } from '../../lambda/reconcile/ports';
import { runRound } from '../../lambda/controller/round';
import type { ProbeFunction } from '../../lambda/controller/target-check';
import { parseControllerConfig, type ControllerConfig } from '../../contract/controller-config';
import { discoveredTargets, resolveDiscovery, withPersistedDiscovery } from '../../lambda/reconcile/discovery';
import { applyOperatorAction } from '../../lambda/reconcile/overrides';
import { emptyState, parseControllerState, type AuditRecord, type ControllerState } from '../../lambda/reconcile/state';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/pacs-104/0123456789abcdef';
const id = (n: number) => `i-0${n.toString(16).padStart(16, '0')}`;

function makeConfig(options: { mode?: 'balanced' | 'failover'; rise?: number; fall?: number; statics?: { name: string; ip: string }[] } = {}): ControllerConfig {
  return parseControllerConfig({
    version: 1,
    services: [
      {
        name: 'PACS',
        mode: options.mode ?? 'balanced',
        rise: options.rise ?? 2,
        fall: options.fall ?? 2,
        check: { protocol: 'tcp', port: 104, timeoutMs: 500 },
        targetGroups: [{ arn: TG, port: 104 }],
        targets: options.statics ?? [{ name: 'STATIC', ip: '10.0.0.5' }],
        discovery: { tags: { Role: ['pacs'] }, vpcId: 'vpc-01234567' },
      },
    ],
  });
}

class FakeDiscovery implements InstanceDiscoveryPort {
  instances: InstanceDescription[] = [];
  failWith: string | undefined;
  readonly selectors: InstanceSelector[] = [];
  async describeInstances(selector: InstanceSelector): Promise<InstanceDescription[]> {
    this.selectors.push(selector);
    if (this.failWith) throw new Error(this.failWith);
    return this.instances.map((i) => ({ ...i }));
  }
  put(n: number, name: string | undefined, ip: string): void {
    this.instances = this.instances.filter((i) => i.instanceId !== id(n));
    this.instances.push({ instanceId: id(n), ...(name ? { name } : {}), privateIp: ip, availabilityZone: 'eu-west-1a', matchedById: false });
  }
  remove(n: number): void {
    this.instances = this.instances.filter((i) => i.instanceId !== id(n));
  }
}

class MemoryElb implements TargetGroupPort {
  readonly registered = new Map<string, ObservedTarget>();
  readonly writes: string[] = [];
  async describeTargets(): Promise<ObservedTarget[]> {
    return [...this.registered.values()];
  }
  async registerTargets(_arn: string, targets: readonly TargetRef[]): Promise<void> {
    this.writes.push(`register ${targets.map((t) => t.ip).join(',')}`);
    for (const t of targets) this.registered.set(t.ip, { ip: t.ip, port: t.port, state: 'healthy' });
  }
  async deregisterTargets(_arn: string, targets: readonly TargetRef[]): Promise<void> {
    this.writes.push(`deregister ${targets.map((t) => t.ip).join(',')}`);
    for (const t of targets) this.registered.delete(t.ip);
  }
  ips(): string[] {
    return [...this.registered.keys()].sort();
  }
}

class MemoryStore implements StateStore {
  state: ControllerState = emptyState();
  saves = 0;
  async load(): Promise<ControllerState> {
    // Round-trip through the persisted form, as the file and DynamoDB stores do.
    return parseControllerState(JSON.parse(JSON.stringify(this.state)));
  }
  async save(state: ControllerState): Promise<void> {
    this.saves += 1;
    this.state = state;
  }
  async appendAudit(_records: readonly AuditRecord[]): Promise<void> {}
}

const passing = (healthy: Set<string>): ProbeFunction => async (target) => ({
  healthy: healthy.has(target.host),
  latencyMs: 1,
  reason: healthy.has(target.host) ? 'connected' : 'connection refused',
});

function harness(config = makeConfig()) {
  const discovery = new FakeDiscovery();
  const elb = new MemoryElb();
  const store = new MemoryStore();
  const healthy = new Set<string>(['10.0.0.5']);
  const round = (extra: { dryRun?: boolean; config?: ControllerConfig } = {}) =>
    runRound({ config: extra.config ?? config, stateStore: store, elb, discovery, probe: passing(healthy), now: () => new Date('2026-11-24T10:00:00Z'), ...(extra.dryRun ? { dryRun: true } : {}) });
  const writesOf = async (extra?: { dryRun?: boolean }) => {
    const from = elb.writes.length;
    const result = await round(extra);
    return { result, writes: elb.writes.slice(from), service: result.summary.services[0] };
  };
  return { discovery, elb, store, healthy, round: writesOf };
}

describe('discovered targets: names and order', () => {
  it('orders static first, then discovered by name then id; suffixes shared names and static collisions with the id', () => {
    const { targets } = discoveredTargets(
      [{ name: 'PACS1', ip: '10.0.0.5' }],
      [
        { instanceId: id(3), nameTag: 'B', privateIp: '10.0.1.3', matchedBy: 'tags' },
        { instanceId: id(2), nameTag: 'A', privateIp: '10.0.1.2', matchedBy: 'tags' },
        { instanceId: id(5), nameTag: 'B', privateIp: '10.0.1.5', matchedBy: 'instance-id' },
        { instanceId: id(4), nameTag: 'PACS1', privateIp: '10.0.1.4', matchedBy: 'tags' },
        { instanceId: id(6), privateIp: '10.0.1.6', matchedBy: 'tags' },
      ],
    );
    expect(targets.map((t) => t.name)).toEqual(['A', `B-${id(3)}`, `B-${id(5)}`, `PACS1-${id(4)}`, id(6)]);
    expect(targets.map((t) => t.source)).toEqual(['tags', 'tags', 'instance-id', 'tags', 'tags']);
  });

  it('skips an instance whose address is already a static target (ELB knows targets by address), and says so', () => {
    const { targets, skipped } = discoveredTargets([{ name: 'S', ip: '10.0.0.5' }], [{ instanceId: id(1), nameTag: 'X', privateIp: '10.0.0.5', matchedBy: 'tags' }]);
    expect(targets).toEqual([]);
    expect(skipped).toEqual([`${id(1)} skipped: its address 10.0.0.5 is already static target S`]);
  });
});

describe('discovery in a round', () => {
  it('appear: discovered instances are probed and registered with the static server (bootstrap), counters under the instance id', async () => {
    const h = harness();
    h.discovery.put(1, 'PACS1', '10.0.1.1');
    h.discovery.put(2, 'PACS2', '10.0.1.2');
    h.healthy.add('10.0.1.1').add('10.0.1.2');
    const { writes, service, result } = await h.round();
    expect(writes).toEqual(['register 10.0.0.5,10.0.1.1,10.0.1.2']);
    expect(service!.targets.map((t) => [t.name, t.source, t.instanceId])).toEqual([
      ['STATIC', 'static', undefined],
      ['PACS1', 'tags', id(1)],
      ['PACS2', 'tags', id(2)],
    ]);
    expect(Object.keys(h.store.state.services.PACS!.targets).sort()).toEqual([id(1), id(2), 'STATIC'].sort());
    expect(h.store.state.services.PACS!.discovery!.instances.map((i) => i.instanceId)).toEqual([id(1), id(2)]);
    expect(h.discovery.selectors).toEqual([{ tags: { Role: ['pacs'] }, vpcId: 'vpc-01234567' }]);
    expect(result.failed).toBe(false);

    // A newcomer after bootstrap must pass rise (2) before it is registered.
    h.discovery.put(3, 'PACS3', '10.0.1.3');
    h.healthy.add('10.0.1.3');
    expect((await h.round()).writes).toEqual([]);
    expect((await h.round()).writes).toEqual(['register 10.0.1.3']);
  });

  it('disappear and re-tag: an instance missing from a successful answer is deregistered at once', async () => {
    const h = harness();
    h.discovery.put(1, 'PACS1', '10.0.1.1');
    h.discovery.put(2, 'PACS2', '10.0.1.2');
    h.healthy.add('10.0.1.1').add('10.0.1.2');
    await h.round();
    h.discovery.remove(2); // stopped, or its Role tag changed: EC2 no longer returns it
    const { writes, service } = await h.round();
    expect(writes).toEqual(['deregister 10.0.1.2']);
    expect(service!.targets.map((t) => t.name)).toEqual(['STATIC', 'PACS1']);
    expect(Object.keys(h.store.state.services.PACS!.targets)).not.toContain(id(2));
    // Tagged again: a newcomer (its old counters are gone), registered after rise.
    h.discovery.put(2, 'PACS2', '10.0.1.2');
    expect((await h.round()).writes).toEqual([]);
    expect((await h.round()).writes).toEqual(['register 10.0.1.2']);
  });

  it('replacement with a new IP and the same Name: passes rise like any newcomer; the old address leaves; a drain by name follows', async () => {
    const h = harness();
    h.discovery.put(1, 'PACS1', '10.0.1.1');
    h.healthy.add('10.0.1.1').add('10.0.1.9');
    await h.round();
    await h.round(); // PACS1 has 2 passes now

    const drained = applyOperatorAction(withPersistedDiscovery(makeConfig(), h.store.state), h.store.state, {
      action: 'drain', service: 'PACS', target: 'PACS1', by: 'alice', at: new Date('2026-11-24T10:00:00Z'),
    });
    h.store.state = drained.state;
    expect((await h.round()).writes).toEqual(['deregister 10.0.1.1']);

    h.discovery.remove(1);
    h.discovery.put(9, 'PACS1', '10.0.1.9');
    let step = await h.round();
    expect(step.service!.targets[1]).toMatchObject({ name: 'PACS1', ip: '10.0.1.9', instanceId: id(9), passes: 1, up: false, override: { action: 'drain', by: 'alice' } });
    expect(step.writes).toEqual([]);
    step = await h.round();
    expect(step.service!.targets[1]).toMatchObject({ up: true, desired: false });
    expect(step.writes).toEqual([]); // still drained: the override follows the name

    h.store.state = applyOperatorAction(withPersistedDiscovery(makeConfig(), h.store.state), h.store.state, {
      action: 'online', service: 'PACS', target: 'PACS1', by: 'alice', at: new Date('2026-11-24T10:00:00Z'),
    }).state;
    expect((await h.round()).writes).toEqual(['register 10.0.1.9']);
  });

  it('failover order: static targets first, then discovered ones by name', async () => {
    const h = harness(makeConfig({ mode: 'failover', rise: 1, fall: 1 }));
    h.discovery.put(7, 'B', '10.0.1.7');
    h.discovery.put(8, 'A', '10.0.1.8');
    h.healthy.add('10.0.1.7').add('10.0.1.8');
    expect((await h.round()).writes).toEqual(['register 10.0.0.5']);
    h.healthy.delete('10.0.0.5');
    expect((await h.round()).writes).toEqual(['register 10.0.1.8', 'deregister 10.0.0.5']);
  });

  it('EC2 error: the last known set is probed and reconciled, nothing unknown is deregistered, the service fails (exit 1)', async () => {
    const h = harness(makeConfig({ fall: 1 }));
    h.discovery.put(1, 'PACS1', '10.0.1.1');
    h.discovery.put(2, 'PACS2', '10.0.1.2');
    h.healthy.add('10.0.1.1').add('10.0.1.2');
    await h.round();
    h.elb.registered.set('10.0.1.77', { ip: '10.0.1.77', port: 104, state: 'healthy' }); // e.g. an instance we never heard of

    h.discovery.failWith = 'DescribeInstances: UnauthorizedOperation: not authorized';
    h.discovery.remove(1);
    h.healthy.delete('10.0.1.2'); // probe failures still act on the last known set
    const { writes, service, result } = await h.round();
    expect(result.failed).toBe(true);
    expect(service).toMatchObject({ ok: false, applied: true, error: expect.stringMatching(/^EC2 discovery failed: .*UnauthorizedOperation/) });
    expect(service!.targets.map((t) => t.name)).toEqual(['STATIC', 'PACS1', 'PACS2']);
    expect(writes).toEqual(['deregister 10.0.1.2']);
    expect(h.elb.ips()).toEqual(['10.0.0.5', '10.0.1.1', '10.0.1.77']);
    expect(result.reports[0]!.heldUnknownTargets).toBe(true);
    expect(result.reports[0]!.counts.targetsInService).toBe(2);
    expect(h.store.state.services.PACS!.discovery!.instances).toHaveLength(2);

    // EC2 answers again: PACS1 is gone, the unknown address is the controller's to remove.
    h.discovery.failWith = undefined;
    const after = await h.round();
    expect(after.writes).toEqual(['deregister 10.0.1.1,10.0.1.77']);
    expect(after.result.failed).toBe(false);
  });

  it('EC2 error before anything was ever discovered: the static targets are reconciled, registrations kept', async () => {
    const h = harness();
    h.elb.registered.set('10.0.1.1', { ip: '10.0.1.1', port: 104, state: 'healthy' });
    h.discovery.failWith = 'RequestLimitExceeded';
    const { writes, result } = await h.round();
    expect(result.failed).toBe(true);
    expect(writes).toEqual(['register 10.0.0.5']);
    expect(h.elb.ips()).toEqual(['10.0.0.5', '10.0.1.1']);
  });

  it('zero instances while discovered targets are in service: the last set is kept for fall rounds, acted on in the next', async () => {
    const h = harness(makeConfig({ fall: 2 }));
    h.discovery.put(1, 'PACS1', '10.0.1.1');
    h.healthy.add('10.0.1.1');
    await h.round();
    h.discovery.remove(1);
    for (const count of [1, 2]) {
      const { writes, service, result } = await h.round();
      expect(writes).toEqual([]);
      expect(result.failed).toBe(false);
      expect(service!.discovery).toMatchObject({ instances: 1, suspiciousEmptyAnswers: count, notes: [expect.stringMatching(new RegExp(`zero instances.*\\(${count} of 2 `))] });
    }
    const acted = await h.round();
    expect(acted.writes).toEqual(['deregister 10.0.1.1']);
    expect(acted.service!.discovery).toMatchObject({ instances: 0, suspiciousEmptyAnswers: 0, notes: [expect.stringMatching(/believed/)] });
  });

  it('zero instances when none of them is in service is believed at once; a non-empty answer resets the count', async () => {
    const state = { instances: [{ instanceId: id(1), nameTag: 'P', privateIp: '10.0.1.1', matchedBy: 'tags' as const }], resolvedAt: 'x', suspiciousEmptyAnswers: 1 };
    const service = makeConfig().services[0];
    const now = new Date('2026-11-24T10:00:00Z');
    expect(resolveDiscovery({ service: service!, previous: state, answer: { instances: [] }, isInService: () => false, now }).state.instances).toEqual([]);
    expect(resolveDiscovery({ service: service!, previous: state, answer: { instances: state.instances }, isInService: () => true, now }).state.suspiciousEmptyAnswers).toBe(0);
  });

  it('dry-run asks EC2 and reports, but saves neither the set nor the counters', async () => {
    const h = harness();
    h.discovery.put(1, 'PACS1', '10.0.1.1');
    const { writes, service, result } = await h.round({ dryRun: true });
    expect(writes).toEqual([]);
    expect(h.store.saves).toBe(0);
    expect(result.summary.stateSaved).toBe(false);
    expect(service!.actions).toEqual([{ targetGroupArn: TG, register: ['10.0.0.5:104'], deregister: [] }]);
  });

  it('without an EC2 client a discovering service fails, and its static targets are still reconciled', async () => {
    const store = new MemoryStore();
    const elb = new MemoryElb();
    const result = await runRound({ config: makeConfig(), stateStore: store, elb, probe: passing(new Set(['10.0.0.5'])) });
    expect(result.failed).toBe(true);
    expect(result.summary.services[0]!.error).toMatch(/no EC2 discovery client/);
    expect(elb.ips()).toEqual(['10.0.0.5']);
  });
});

describe('config and state compatibility', () => {
  it('a config without discovery still parses, and one with discovery may have no static target', () => {
    expect(parseControllerConfig({ version: 1, services: [{ ...makeConfig().services[0], discovery: undefined }] }).services[0]!.discovery).toBeUndefined();
    const discoveryOnly = parseControllerConfig({ version: 1, services: [{ ...makeConfig().services[0], targets: [] }] });
    expect(discoveryOnly.services[0]!.targets).toEqual([]);
  });

  it('rejects selectors that can never match, and a service with neither targets nor discovery', () => {
    const base = makeConfig().services[0];
    const problems = (discovery: unknown, targets: unknown[] = []) => {
      try {
        parseControllerConfig({ version: 1, services: [{ ...base, targets, discovery }] });
        return [];
      } catch (err) {
        return (err as { problems: { path: string; message: string }[] }).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems({ tags: { Role: [] } })).toEqual(['services[0].discovery.tags.Role: needs at least one value (an empty list can never match)']);
    expect(problems({ vpcId: 'vpc-1' })).toEqual(['services[0].discovery: give tags or instanceIds (or both)']);
    expect(problems({ instanceIds: ['i-xyz'] })[0]).toMatch(/instanceIds\[0\]: expected an EC2 instance id/);
    expect(problems(undefined)).toEqual(['services[0].targets: needs at least one target (or a discovery block)']);
  });

  it('state files without a discovered set stay valid; the set round-trips with its defaults', () => {
    const state = parseControllerState({ version: 1, services: { PACS: { targets: {}, overrides: {}, discovery: { instances: [], resolvedAt: 't' } } } });
    expect(state.services.PACS!.discovery).toEqual({ instances: [], resolvedAt: 't', suspiciousEmptyAnswers: 0 });
    expect(parseControllerState({ version: 1, services: { PACS: { targets: {}, overrides: {} } } }).services.PACS!.discovery).toBeUndefined();
  });
});
