/**
 * One controller round (DESIGN.md §3.2), shared by the Lambda handler and `medlb reconcile`:
 *
 *   load state → probe every target ∥ describe every target group once → reconcile (pure)
 *     → apply actions per service (every register before any deregister) → save state + audit
 *
 * Probes run concurrently (hundreds at once), so silent targets cost one check timeout per round, not one per
 * target. One service's failure (a target group not found, a write that fails after retries) is isolated: the
 * other services are still reconciled and applied, and the round reports `failed`. `dryRun` probes, describes
 * and reports what it would do, and makes no ELB write and saves nothing.
 *
 * EC2 discovery (DESIGN.md §3.6): services with a `discovery` block are resolved with DescribeInstances at the
 * start of the round, alongside DescribeTargetHealth; the discovered targets (lambda/reconcile/discovery.ts)
 * are appended to the service's static ones and probed and reconciled like them. When EC2 fails, the last
 * known set (from the state) is used, registrations unknown to the config are kept, the service is reported
 * as failed (exit 1), and everything else proceeds as usual.
 */
import type { InstanceDiscoveryPort, ObservedTarget, TargetGroupPort, TargetRef } from '../reconcile/ports';
import { StateConflictError, type StateStore } from '../reconcile/ports';
import type { ProbeResult } from '../probes/types';
import type { ControllerConfig, ServiceConfig } from '../../contract/controller-config';
import { resolveDiscovery, withTargets, type DiscoveryAnswer, type TargetSource } from '../reconcile/discovery';
import {
  isRegistered,
  reconcile,
  type AwaitingReplacement,
  type ObservedTargetGroups,
  type PendingDeregistration,
  type ReconcileResult,
  type ServiceReport,
  type TargetGroupActions,
  type Verdicts,
} from '../reconcile/reconciler';
import { serviceState, type AuditRecord, type ControllerState, type DiscoveredInstance, type OperatorOverride } from '../reconcile/state';
import { ROUND_DEFAULTS } from './round-defaults';
import { loadDefaultProbe, probeTarget, type ProbeFunction } from './target-check';
import { configVersion } from '../../contract/config-version';

export type { ProbeFunction } from './target-check';

/** Structured logging sink; compatible with @aws-lambda-powertools/logger's Logger. */
export interface RoundLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** ELB API call counts (the adapter's, when it counts API attempts; otherwise the port calls of this round). */
export interface ElbCallSummary {
  readonly describeCalls: number;
  readonly writeCalls: number;
  readonly failedCalls: number;
  readonly throttledCalls: number;
}

/** DescribeInstances call counts of a round (when the discovery adapter counts them). */
export interface Ec2CallSummary {
  readonly describeCalls: number;
  readonly failedCalls: number;
  readonly throttledCalls: number;
}

/** A port that also counts its API calls (lambda/adapters/elbv2.ts does). */
interface CountingPort {
  readonly callCounts: ElbCallSummary;
}

/** What one round needs. */
export interface RoundProps {
  readonly config: ControllerConfig;
  readonly stateStore: StateStore;
  readonly elb: TargetGroupPort;
  /** EC2 discovery; needed when a service has a `discovery` block (without it, such a service fails). */
  readonly discovery?: InstanceDiscoveryPort;
  /** @default probe() from lambda/probes */
  readonly probe?: ProbeFunction;
  /** Clock. @default () => new Date() */
  readonly now?: () => Date;
  /** Probe, describe and report only: no ELB write, no state saved. @default false */
  readonly dryRun?: boolean;
  /** @default a logger that drops everything */
  readonly logger?: RoundLogger;
  /** Probes in flight at once. @default 512 */
  readonly probeConcurrency?: number;
  /** DescribeTargetHealth calls in flight at once. @default 8 */
  readonly describeConcurrency?: number;
  /** Services applied at once. @default 4 */
  readonly applyConcurrency?: number;
  /** DescribeInstances queries (services) in flight at once. @default 4 */
  readonly discoveryConcurrency?: number;
  /** Make before break (rule 6a); off only for the traffic model's control experiment. @default true */
  readonly makeBeforeBreak?: boolean;
}

/** One target group's writes as the summary shows them (`ip:port`). */
export interface ActionSummary {
  readonly targetGroupArn: string;
  readonly register: readonly string[];
  readonly deregister: readonly string[];
}

/** One target in the round summary. */
export interface TargetSummary {
  readonly name: string;
  readonly ip: string;
  /** `static`, `instance-id` (listed) or `tags` (matched the tag selector). */
  readonly source: TargetSource;
  /** Discovered targets only. */
  readonly instanceId?: string;
  readonly probe: { readonly healthy: boolean; readonly reason: string; readonly latencyMs: number } | null;
  readonly up: boolean;
  readonly passes: number;
  readonly failures: number;
  /** Registration observed before the round. */
  readonly registration: string;
  readonly desired: boolean;
  readonly inService: boolean;
  readonly drained: boolean;
  readonly override?: OperatorOverride;
  /** Kept registered until a replacement is healthy in ELB (make before break). */
  readonly awaiting?: AwaitingReplacement;
}

/** One service in the round summary. */
export interface ServiceSummary {
  readonly name: string;
  readonly mode: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly failOpen: boolean;
  readonly bootstrap: boolean;
  readonly keptByFailOpen: readonly string[];
  /** Writes decided (applied unless dry-run or failed). */
  readonly actions: readonly ActionSummary[];
  /** True when every decided write was made. */
  readonly applied: boolean;
  readonly targets: readonly TargetSummary[];
  readonly counts: ServiceReport['counts'];
  /** Services with a discovery block: what EC2 discovery decided this round. */
  readonly discovery?: DiscoverySummary;
  /** Targets kept until a replacement is healthy in ELB, in words (make before break). */
  readonly waiting: readonly string[];
  /** Manual failback: the first server recovered, the service stays on the standby until `medlb failback`. */
  readonly failbackPending?: string;
}

/** EC2 discovery of one service in the round summary. */
export interface DiscoverySummary {
  /** Instances in the set used this round. */
  readonly instances: number;
  /** When that set was resolved (earlier than this round when EC2 failed or an empty answer was not believed). */
  readonly resolvedAt: string;
  /** Consecutive empty answers not believed yet. */
  readonly suspiciousEmptyAnswers: number;
  /** Why the set is not this round's answer, skipped instances, ... */
  readonly notes: readonly string[];
  /** EC2 failed (the service is reported as failed). */
  readonly error?: string;
}

/** The JSON summary `medlb reconcile` prints. */
export interface RoundSummary {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly dryRun: boolean;
  /** False when any service failed (exit 1). */
  readonly ok: boolean;
  readonly services: readonly ServiceSummary[];
  readonly elb: ElbCallSummary;
  /** DescribeInstances calls, when a service uses discovery. */
  readonly ec2?: Ec2CallSummary;
  /** Up/down transitions decided by this round. */
  readonly transitions: readonly AuditRecord[];
  readonly stateSaved: boolean;
}

/** Everything a round produced. */
export interface RoundResult {
  readonly summary: RoundSummary;
  /** The reconciler's reports, with apply failures folded into `error` (for the §3.4 metrics). */
  readonly reports: readonly ServiceReport[];
  /** True when any service failed (→ exit 1 / ElbErrors alarm). */
  readonly failed: boolean;
  readonly durationMs: number;
  readonly elb: ElbCallSummary;
  /** Switches still waiting for a replacement to be healthy (follow them with followPendingSwitches). */
  readonly pending: readonly PendingDeregistration[];
}

const SILENT_LOGGER: RoundLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** Runs one round. Throws only when the state cannot be loaded or saved; everything else is reported. */
export async function runRound(props: RoundProps): Promise<RoundResult> {
  const clock = props.now ?? (() => new Date());
  const logger = props.logger ?? SILENT_LOGGER;
  const dryRun = props.dryRun ?? false;
  const started = clock();
  const startedMs = performance.now();
  const { config } = props;
  const elb = new CountedPort(props.elb);
  const probe = props.probe ?? loadDefaultProbe();

  const state = await props.stateStore.load();
  const usesDiscovery = config.services.some((service) => service.discovery !== undefined);
  const ec2Before = usesDiscovery ? ec2CountsOf(props.discovery) : undefined;
  let resolved: ResolvedRound;
  let verdicts: Verdicts;
  let observed: ObservedTargetGroups;
  if (usesDiscovery) {
    // The targets to probe depend on EC2's answer (and an empty answer on what ELB has in service).
    let answers: ReadonlyMap<string, DiscoveryAnswer>;
    [answers, observed] = await Promise.all([
      discoverAll(config, props.discovery, props.discoveryConcurrency ?? ROUND_DEFAULTS.discoveryConcurrency, logger),
      describeAll(config, elb, props.describeConcurrency ?? ROUND_DEFAULTS.describeConcurrency, logger),
    ]);
    resolved = resolveRound(config, state, answers, observed, started);
    verdicts = await probeAll(resolved.config, probe, props.probeConcurrency ?? ROUND_DEFAULTS.probeConcurrency);
  } else {
    resolved = { config, state, discovery: new Map(), failed: new Set() };
    [verdicts, observed] = await Promise.all([
      probeAll(config, probe, props.probeConcurrency ?? ROUND_DEFAULTS.probeConcurrency),
      describeAll(config, elb, props.describeConcurrency ?? ROUND_DEFAULTS.describeConcurrency, logger),
    ]);
  }
  const decision = reconcile({
    config: resolved.config,
    verdicts,
    state: resolved.state,
    observed,
    now: started,
    holdUnknownTargets: resolved.failed,
    makeBeforeBreak: props.makeBeforeBreak ?? true,
  });

  const applyErrors = new Map<string, string>();
  if (!dryRun) {
    const byService = groupActions(decision.actions);
    await mapConcurrent([...byService], props.applyConcurrency ?? ROUND_DEFAULTS.applyConcurrency, async ([service, actions]) => {
      try {
        await applyService(elb, actions);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        applyErrors.set(service, message);
        logger.error('applying actions failed', { service, error: message });
      }
    });
  }

  let stateSaved = false;
  if (!dryRun) {
    await saveState(props.stateStore, { ...decision.state, lastRoundAt: started.toISOString() }, logger);
    // Every record names the config in force (medlb audit shows it).
    const version = configVersion(props.config);
    await props.stateStore.appendAudit(decision.audit.map((record) => ({ ...record, configVersion: version })));
    stateSaved = true;
  }

  const durationMs = performance.now() - startedMs;
  const elbCounts = elb.summary();
  const reports = decision.services.map((report) => {
    const applyError = applyErrors.get(report.name);
    if (applyError !== undefined) return { ...report, error: applyError, counts: { ...report.counts, targetsInService: null } };
    // A discovery failure fails the service, but its decisions were made and applied: the counts stand.
    const discoveryError = resolved.discovery.get(report.name)?.error;
    if (discoveryError !== undefined) return { ...report, error: report.error === undefined ? discoveryError : `${discoveryError}; ${report.error}` };
    return report;
  });
  const ec2Counts = ec2Before ? difference(ec2CountsOf(props.discovery)!, ec2Before) : undefined;
  const summary = summarize(decision, reports, { started, durationMs, dryRun, elbCounts, ec2Counts, stateSaved, applyErrors, discovery: resolved.discovery });
  for (const service of summary.services) {
    for (const note of service.discovery?.notes ?? []) logger.warn('discovery', { service: service.name, note });
    if (service.error) logger.error('service failed', { service: service.name, error: service.error });
    if (service.failOpen) logger.warn('fail-open: no target is up, registrations kept', { service: service.name, kept: service.keptByFailOpen });
    for (const waiting of service.waiting) logger.info('make before break', { service: service.name, waiting });
    if (service.failbackPending) logger.info('manual failback', { service: service.name, pending: service.failbackPending });
  }
  logger.info('round finished', { durationMs: Math.round(durationMs), ok: summary.ok, dryRun, elb: elbCounts });
  const pending = dryRun ? [] : decision.pending.filter((p) => !applyErrors.has(p.service));
  return { summary, reports, failed: !summary.ok, durationMs, elb: elbCounts, pending };
}

/** The config and state a round reconciles once discovery is resolved. */
interface ResolvedRound {
  /** Static targets followed by discovered ones. */
  readonly config: ControllerConfig;
  /** The loaded state with each discovered service's set for this round. */
  readonly state: ControllerState;
  readonly discovery: ReadonlyMap<string, DiscoverySummary>;
  /** Services whose discovery failed. */
  readonly failed: ReadonlySet<string>;
}

/** Asks EC2 for every service with a discovery block; a failure becomes that service's answer. */
async function discoverAll(
  config: ControllerConfig,
  port: InstanceDiscoveryPort | undefined,
  limit: number,
  logger: RoundLogger,
): Promise<ReadonlyMap<string, DiscoveryAnswer>> {
  const services = config.services.filter((service) => service.discovery !== undefined);
  const answers = await mapConcurrent(services, limit, async (service): Promise<DiscoveryAnswer> => {
    if (!port) return { error: 'no EC2 discovery client is configured' };
    try {
      const found = await port.describeInstances(service.discovery!);
      return {
        instances: found.map((i): DiscoveredInstance => ({
          instanceId: i.instanceId,
          ...(i.name !== undefined ? { nameTag: i.name } : {}),
          privateIp: i.privateIp,
          ...(i.availabilityZone !== undefined ? { availabilityZone: i.availabilityZone } : {}),
          matchedBy: i.matchedById ? 'instance-id' : 'tags',
        })),
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.error('DescribeInstances failed', { service: service.name, error: message });
      return { error: message };
    }
  });
  return new Map(services.map((service, i) => [service.name, answers[i]!]));
}

/** Applies each service's discovery answer (DESIGN.md §3.6) to the config and the state. */
function resolveRound(
  config: ControllerConfig,
  state: ControllerState,
  answers: ReadonlyMap<string, DiscoveryAnswer>,
  observed: ObservedTargetGroups,
  now: Date,
): ResolvedRound {
  const discovery = new Map<string, DiscoverySummary>();
  const failed = new Set<string>();
  const services: Record<string, ControllerState['services'][string]> = { ...state.services };
  const resolvedServices = config.services.map((service) => {
    const answer = answers.get(service.name);
    if (answer === undefined) return service;
    const previous = serviceState(state, service.name);
    const resolution = resolveDiscovery({ service, previous: previous.discovery, answer, isInService: inServiceCheck(service, observed), now });
    services[service.name] = { ...previous, discovery: resolution.state };
    if (resolution.error !== undefined) failed.add(service.name);
    discovery.set(service.name, {
      instances: resolution.state.instances.length,
      resolvedAt: resolution.state.resolvedAt,
      suspiciousEmptyAnswers: resolution.state.suspiciousEmptyAnswers,
      notes: resolution.notes,
      ...(resolution.error !== undefined ? { error: resolution.error } : {}),
    });
    return withTargets(service, resolution.targets);
  });
  return { config: { ...config, services: resolvedServices }, state: { ...state, services }, discovery, failed };
}

/** Whether an address is registered (not draining) in one of the service's groups; undefined when ELB is unknown. */
function inServiceCheck(service: ServiceConfig, observed: ObservedTargetGroups): ((ip: string) => boolean) | undefined {
  const lists: (readonly ObservedTarget[])[] = [];
  for (const tg of service.targetGroups) {
    const seen = observed[tg.arn];
    if (!Array.isArray(seen)) return undefined;
    lists.push((seen as readonly ObservedTarget[]).filter((o) => o.port === tg.port && isRegistered(o.state)));
  }
  return (ip) => lists.some((list) => list.some((o) => o.ip === ip));
}

function ec2CountsOf(port: InstanceDiscoveryPort | undefined): Ec2CallSummary | undefined {
  const counts = (port as { callCounts?: Ec2CallSummary } | undefined)?.callCounts;
  return counts && typeof counts.describeCalls === 'number' ? counts : undefined;
}

function difference(now: Ec2CallSummary, before: Ec2CallSummary): Ec2CallSummary {
  return {
    describeCalls: now.describeCalls - before.describeCalls,
    failedCalls: now.failedCalls - before.failedCalls,
    throttledCalls: now.throttledCalls - before.throttledCalls,
  };
}

/** Probes every target of every service, `limit` at a time; a probe never rejects the round. */
async function probeAll(config: ControllerConfig, probe: ProbeFunction, limit: number): Promise<Verdicts> {
  const jobs = config.services.flatMap((service) => service.targets.map((target) => ({ service, target })));
  const results = await mapConcurrent(jobs, limit, ({ service, target }) => probeTarget(probe, service, target));
  const verdicts: Record<string, Record<string, ProbeResult>> = {};
  jobs.forEach(({ service, target }, i) => {
    (verdicts[service.name] ??= {})[target.name] = results[i]!;
  });
  return verdicts;
}

/** Describes every target group of the config once; a failure becomes that group's observation error. */
export async function describeAll(config: ControllerConfig, elb: TargetGroupPort, limit: number, logger: RoundLogger): Promise<ObservedTargetGroups> {
  const arns = [...new Set(config.services.flatMap((s) => s.targetGroups.map((tg) => tg.arn)))];
  const results = await mapConcurrent(arns, limit, async (arn): Promise<readonly ObservedTarget[] | { error: string }> => {
    try {
      return await elb.describeTargets(arn);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.error('DescribeTargetHealth failed', { targetGroupArn: arn, error: message });
      return { error: message };
    }
  });
  return Object.fromEntries(arns.map((arn, i) => [arn, results[i]!]));
}

function groupActions(actions: readonly TargetGroupActions[]): Map<string, TargetGroupActions[]> {
  const byService = new Map<string, TargetGroupActions[]>();
  for (const action of actions) {
    const list = byService.get(action.service) ?? [];
    list.push(action);
    byService.set(action.service, list);
  }
  return byService;
}

/**
 * Every register of the service (all its target groups) before any deregister, so a failback or replacement
 * never leaves a group empty; when a register fails, nothing is deregistered.
 */
async function applyService(elb: TargetGroupPort, actions: readonly TargetGroupActions[]): Promise<void> {
  for (const action of actions) {
    if (action.register.length > 0) await elb.registerTargets(action.targetGroupArn, action.register);
  }
  for (const action of actions) {
    if (action.deregister.length > 0) await elb.deregisterTargets(action.targetGroupArn, action.deregister);
  }
}

/**
 * Saves the round's state. When an operator changed the state meanwhile (StateConflictError), their
 * overrides win: reload, keep this round's health with the fresh overrides, and save once more.
 */
async function saveState(store: StateStore, state: ControllerState, logger: RoundLogger): Promise<void> {
  try {
    await store.save(state);
  } catch (err) {
    if (!(err instanceof StateConflictError)) throw err;
    logger.warn('state changed during the round; keeping the newer overrides', { subject: err.subject });
    const fresh = await store.load();
    const services = Object.fromEntries(
      Object.entries(state.services).map(([name, service]) => [
        name,
        { ...service, overrides: fresh.services[name]?.overrides ?? service.overrides },
      ]),
    );
    await store.save({ ...state, services });
  }
}

function refText(ref: TargetRef): string {
  return `${ref.ip}:${ref.port}`;
}

function summarize(
  decision: ReconcileResult,
  reports: readonly ServiceReport[],
  facts: {
    started: Date;
    durationMs: number;
    dryRun: boolean;
    elbCounts: ElbCallSummary;
    ec2Counts: Ec2CallSummary | undefined;
    stateSaved: boolean;
    applyErrors: ReadonlyMap<string, string>;
    discovery: ReadonlyMap<string, DiscoverySummary>;
  },
): RoundSummary {
  const services = reports.map((report, index): ServiceSummary => {
    const discovery = facts.discovery.get(report.name);
    const actions = decision.actions
      .filter((a) => a.service === report.name)
      .map((a) => ({ targetGroupArn: a.targetGroupArn, register: a.register.map(refText), deregister: a.deregister.map(refText) }));
    return {
      name: report.name,
      mode: report.mode,
      ok: report.error === undefined,
      ...(report.error !== undefined ? { error: report.error } : {}),
      failOpen: report.failOpen,
      bootstrap: report.bootstrap,
      keptByFailOpen: report.keptByFailOpen,
      actions,
      applied: !facts.dryRun && decision.services[index]!.error === undefined && !facts.applyErrors.has(report.name),
      targets: report.targets.map((t) => ({
        name: t.name,
        ip: t.ip,
        source: t.source,
        ...(t.instanceId !== undefined ? { instanceId: t.instanceId } : {}),
        probe: t.probe ? { healthy: t.probe.healthy, reason: t.probe.reason, latencyMs: round1(t.probe.latencyMs) } : null,
        up: t.up,
        passes: t.passes,
        failures: t.failures,
        registration: t.registration,
        desired: t.desired,
        inService: t.inService,
        drained: t.drained,
        ...(t.override ? { override: t.override } : {}),
        ...(t.awaiting ? { awaiting: t.awaiting } : {}),
      })),
      counts: report.counts,
      ...(discovery ? { discovery } : {}),
      waiting: waitingOf(report),
      ...(report.failbackPending ? { failbackPending: report.failbackPending } : {}),
    };
  });
  return {
    startedAt: facts.started.toISOString(),
    durationMs: Math.round(facts.durationMs),
    dryRun: facts.dryRun,
    ok: services.every((s) => s.ok),
    services,
    elb: facts.elbCounts,
    ...(facts.ec2Counts ? { ec2: facts.ec2Counts } : {}),
    transitions: decision.audit,
    stateSaved: facts.stateSaved,
  };
}

/** "HL72 kept: waiting for HL71 to become healthy in ELB (2575 initial) since 2026-11-27T10:00:00.000Z" */
export function describeWaiting(target: string, awaiting: AwaitingReplacement): string {
  const replacements = awaiting.replacements
    .map((r) => `${r.name} (${r.states.map((s) => `${s.port} ${s.state}`).join(', ')})`)
    .join(' or ');
  return `${target} kept: waiting for ${replacements} to become healthy in ELB since ${awaiting.since}`;
}

function waitingOf(report: ServiceReport): string[] {
  const lines = report.targets.flatMap((t) => (t.awaiting ? [describeWaiting(t.name, t.awaiting)] : []));
  const unknown = new Map(report.unknownTargets.flatMap((u) => (u.awaiting ? [[u.ip, u.awaiting] as const] : [])));
  for (const [ip, awaiting] of unknown) lines.push(describeWaiting(`${ip} (not in the config)`, awaiting));
  return lines;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Wraps a port to count its calls when the port itself does not count API attempts. */
class CountedPort implements TargetGroupPort {
  private counts = { describeCalls: 0, writeCalls: 0, failedCalls: 0, throttledCalls: 0 };
  private readonly baseline: ElbCallSummary | undefined;

  constructor(private readonly inner: TargetGroupPort) {
    this.baseline = countsOf(inner);
  }

  summary(): ElbCallSummary {
    const now = countsOf(this.inner);
    if (now && this.baseline) {
      return {
        describeCalls: now.describeCalls - this.baseline.describeCalls,
        writeCalls: now.writeCalls - this.baseline.writeCalls,
        failedCalls: now.failedCalls - this.baseline.failedCalls,
        throttledCalls: now.throttledCalls - this.baseline.throttledCalls,
      };
    }
    return { ...this.counts };
  }

  async describeTargets(arn: string): Promise<ObservedTarget[]> {
    this.counts.describeCalls += 1;
    return this.track(this.inner.describeTargets(arn));
  }

  async registerTargets(arn: string, targets: readonly TargetRef[]): Promise<void> {
    this.counts.writeCalls += 1;
    return this.track(this.inner.registerTargets(arn, targets));
  }

  async deregisterTargets(arn: string, targets: readonly TargetRef[]): Promise<void> {
    this.counts.writeCalls += 1;
    return this.track(this.inner.deregisterTargets(arn, targets));
  }

  private async track<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (err) {
      this.counts.failedCalls += 1;
      throw err;
    }
  }
}

function countsOf(port: TargetGroupPort): ElbCallSummary | undefined {
  const counts = (port as Partial<CountingPort>).callCounts;
  return counts && typeof counts.writeCalls === 'number' ? counts : undefined;
}

/** Maps with at most `limit` calls in flight; results keep input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
