/**
 * One controller round (docs/architecture.md#reconcile-rules), shared by the Lambda handler and `medlb reconcile`:
 *
 *   load state → probe every target ∥ describe every target group once → reconcile (pure)
 *     → apply actions per service (every register before any deregister) → save state + audit
 *
 * Probes run concurrently (hundreds at once), so silent targets cost one check timeout per round, not one per
 * target. One service's failure (a target group not found, a write that fails after retries) is isolated: the
 * other services are still reconciled and applied, and the round reports `failed`. `dryRun` probes, describes
 * and reports what it would do, and makes no ELB write and saves nothing.
 *
 * EC2 discovery (docs/architecture.md#discovery): services with a `discovery` block are resolved with DescribeInstances at the
 * start of the round, alongside DescribeTargetHealth; the discovered targets (lambda/reconcile/discovery.ts)
 * are appended to the service's static ones and probed and reconciled like them. When EC2 fails, the last
 * known set (from the state) is used, registrations unknown to the config are kept, the service is reported
 * as failed (exit 1), and everything else proceeds as usual.
 */
import { StateConflictError, type FallbackRulePort, type InstanceDiscoveryPort, type StateStore, type TargetGroupPort } from '../reconcile/ports';
import { applyViewerFallbacks, type FallbackOutcome } from './viewer-fallback-step';
import type { ControllerConfig } from '../../contract/controller-config';
import type { DiscoveryAnswer } from '../reconcile/discovery';
import { reconcileWithSchedule, type ScheduledServiceReport } from '../reconcile/scheduled-reconcile';
import type { ObservedTargetGroups, PendingDeregistration, Verdicts } from '../reconcile/reconcile-types';
import type { ControllerState } from '../reconcile/state';
import { ROUND_DEFAULTS } from './round-defaults';
import { configVersion } from '../../contract/config-version';
import { CountedPort, ec2CallsSince, ec2CountsOf, type ElbCallSummary } from './call-counts';
import { mapConcurrent } from './concurrency';
import { discoverAll, resolveRound, type ResolvedRound } from './discovery-step';
import { applyService, describeAll, groupActions } from './elb-steps';
import { probeAll } from './probe-step';
import { loadDefaultProbe, type ProbeFunction } from './target-check';
import type { RoundLogger } from './round-logger';
import { summarize, type RoundSummary } from './round-summary';

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
  /** The viewer's fallback-page rule (services with `fallbackRuleArn`). @default - such services report it unknown */
  readonly fallbackRules?: FallbackRulePort;
}

/** Everything a round produced. */
export interface RoundResult {
  readonly summary: RoundSummary;
  /** The reconciler's reports, with apply failures folded into `error` (for the metrics, docs/architecture.md#metrics). */
  readonly reports: readonly ScheduledServiceReport[];
  /** True when any service failed (→ exit 1 / ElbErrors alarm). */
  readonly failed: boolean;
  readonly durationMs: number;
  readonly elb: ElbCallSummary;
  /** Switches still waiting for a replacement to be healthy (follow them with followPendingSwitches). */
  readonly pending: readonly PendingDeregistration[];
  /** The fallback page of each service that has one. */
  readonly fallback: readonly FallbackOutcome[];
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
  // Pins and maintenance windows in force at the round's start (docs/architecture.md#pins-and-maintenance-windows).
  const decision = reconcileWithSchedule({
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

  const fallback = await applyViewerFallbacks({ config, reports: decision.services, observed, port: props.fallbackRules, dryRun, now: started, logger });

  let stateSaved = false;
  if (!dryRun) {
    await saveState(props.stateStore, { ...decision.state, lastRoundAt: started.toISOString() }, logger);
    // Every record names the config in force (medlb audit shows it).
    const version = configVersion(props.config);
    await props.stateStore.appendAudit([...decision.audit, ...fallback.audit].map((record) => ({ ...record, configVersion: version })));
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
  const ec2After = ec2Before ? ec2CountsOf(props.discovery) : undefined;
  const ec2Counts = ec2Before && ec2After ? ec2CallsSince(ec2After, ec2Before) : undefined;
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
  return { summary, reports, failed: !summary.ok, durationMs, elb: elbCounts, pending, fallback: fallback.outcomes };
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
