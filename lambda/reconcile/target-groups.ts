/**
 * How the reconciler reads ELB's view of a service's target groups: which states count as registered, the
 * addresses of a target per group, and which groups could not be described. Pure.
 */
import type { ElbTargetState, ObservedTarget, TargetRef } from './ports';
import type { ServiceConfig } from '../../contract/controller-config';
import type { ResolvedTarget } from './discovery';
import type { ObservedTargetGroups, TargetGroupMembership, TargetGroupRef } from './reconcile-types';

/** One target group of a service with what DescribeTargetHealth listed in it, keyed by `ip:port`. */
export interface ObservedGroup {
  readonly tg: ServiceConfig['targetGroups'][number];
  readonly list: readonly ObservedTarget[];
  readonly byKey: ReadonlyMap<string, ElbTargetState>;
}

/**
 * True for a target on its way out (deregistered, draining: counts as not registered). `unhealthy.draining` is
 * not: it is a registered target that failed the NLB's own check and keeps its open connections because the
 * target group does not terminate them (docs/architecture.md) — still registered, so a down one is deregistered.
 */
export function isDraining(state: ElbTargetState | 'unregistered'): boolean {
  return state === 'draining';
}

/** True when the target is registered and not draining. */
export function isRegistered(state: ElbTargetState | 'unregistered'): boolean {
  return state !== 'unregistered' && !isDraining(state);
}

/**
 * The port a target is registered with in a group: its own (config `targets[].port`, the appliance's "real server
 * port"; single-group services only), else the group's. ELB knows a target by address and port.
 */
export function registrationPortOf(target: { readonly port?: number }, tg: { readonly port: number }): number {
  return target.port ?? tg.port;
}

export function refKey(ip: string, port: number): string {
  return `${ip}:${port}`;
}

export function targetRef(target: ResolvedTarget, port: number): TargetRef {
  return target.availabilityZone ? { ip: target.ip, port, availabilityZone: target.availabilityZone } : { ip: target.ip, port };
}

/** The ELB state of an address in observations (`unregistered` when not listed or not described). */
export function observedState(observed: ObservedTargetGroups, ref: TargetGroupRef): ElbTargetState | 'unregistered' {
  const list = observed[ref.targetGroupArn];
  if (list === undefined || 'error' in list) return 'unregistered';
  return list.find((o) => o.ip === ref.ip && o.port === ref.port)?.state ?? 'unregistered';
}

/** Why the service's target groups cannot all be used this round; undefined when every one was described. */
export function describeError(service: ServiceConfig, observed: ObservedTargetGroups): string | undefined {
  const problems: string[] = [];
  for (const tg of service.targetGroups) {
    const seen = observed[tg.arn];
    if (seen === undefined) problems.push(`target group ${tg.arn} was not described`);
    else if ('error' in seen) problems.push(`target group ${tg.arn}: ${seen.error}`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** The service's groups with their observed targets; only for a service whose groups were all described. */
export function observedGroupsOf(service: ServiceConfig, observed: ObservedTargetGroups): ObservedGroup[] {
  return service.targetGroups.map((tg) => {
    const seen = observed[tg.arn];
    // Only called once describeError found every group described.
    const list = seen === undefined || 'error' in seen ? [] : seen;
    return { tg, list, byKey: new Map(list.map((o) => [refKey(o.ip, o.port), o.state] as const)) };
  });
}

/** A target's ELB state in each of the service's groups, at the port it is registered with there. */
export function membershipOf(target: ResolvedTarget, groups: readonly ObservedGroup[]): TargetGroupMembership[] {
  return groups.map(({ tg, byKey }) => ({
    targetGroupArn: tg.arn,
    port: registrationPortOf(target, tg),
    state: byKey.get(refKey(target.ip, registrationPortOf(target, tg))) ?? 'unregistered',
  }));
}
