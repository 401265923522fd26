/** The JSON summary of a round that `medlb reconcile` prints and the Lambda logs, built from its reports. */
import type { TargetSource } from '../reconcile/discovery';
import type { AwaitingReplacement, ReconcileResult, ServiceReport } from '../reconcile/reconcile-types';
import type { TargetRef } from '../reconcile/ports';
import type { AuditRecord, OperatorOverride } from '../reconcile/state';
import type { Ec2CallSummary, ElbCallSummary } from './call-counts';

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

function refText(ref: TargetRef): string {
  return `${ref.ip}:${ref.port}`;
}

export function summarize(
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
      applied: !facts.dryRun && decision.services[index]?.error === undefined && !facts.applyErrors.has(report.name),
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
function describeWaiting(target: string, awaiting: AwaitingReplacement): string {
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
