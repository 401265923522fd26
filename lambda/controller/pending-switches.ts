/**
 * Following make-before-break switches between rounds (docs/architecture.md § Make before break).
 *
 * A round keeps a target that is no longer wanted until its replacement is `healthy` in ELB. Waiting a whole
 * interval for the next round would leave both servers taking new connections for up to that interval, so
 * between rounds the invocation re-reads only the waiting target groups every few seconds and deregisters each
 * kept target as soon as its replacement is healthy in every address the switch needs. Nothing else is decided
 * here: the next round sees the result (the target `draining`) and clears the switch from the state.
 */
import type { TargetGroupPort, TargetRef } from '../reconcile/ports';
import type { ObservationError, ObservedTargetGroups, PendingDeregistration } from '../reconcile/reconcile-types';
import { observedState } from '../reconcile/target-groups';
import { replacementIsHealthy } from '../reconcile/make-before-break';
import type { RoundLogger } from './round-logger';
import { observationErrorOf } from './elb-steps';

/** What following the switches needs. */
export interface FollowSwitchesProps {
  readonly elb: TargetGroupPort;
  readonly pending: readonly PendingDeregistration[];
  readonly logger: RoundLogger;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** One pass: what was completed and what still waits. */
export interface FollowSwitchesResult {
  readonly completed: readonly PendingDeregistration[];
  readonly waiting: readonly PendingDeregistration[];
  /** Target groups that could not be described or written (their switches wait for the next pass or round). */
  readonly errors: number;
}

/**
 * Describes the target groups the switches wait on (each once) and deregisters the kept targets whose
 * replacement is now healthy. Never throws: a failing call leaves its switch waiting.
 */
export async function followPendingSwitches(props: FollowSwitchesProps): Promise<FollowSwitchesResult> {
  const { elb, pending, logger } = props;
  const clock = props.clock ?? Date.now;
  const arns = [...new Set(pending.flatMap((p) => p.replacements.flatMap((r) => r.addresses.map((a) => a.targetGroupArn))))];
  const observed: Record<string, Awaited<ReturnType<TargetGroupPort['describeTargets']>> | ObservationError> = {};
  let errors = 0;
  await Promise.all(
    arns.map(async (arn) => {
      try {
        observed[arn] = await elb.describeTargets(arn);
      } catch (err) {
        errors += 1;
        observed[arn] = observationErrorOf(err);
      }
    }),
  );
  const view: ObservedTargetGroups = observed;
  const completed: PendingDeregistration[] = [];
  const waiting: PendingDeregistration[] = [];
  for (const entry of pending) {
    if (!replacementIsHealthy(entry.replacements, (ref) => observedState(view, ref))) {
      waiting.push(entry);
      continue;
    }
    try {
      for (const [arn, refs] of byTargetGroup(entry.leave)) await elb.deregisterTargets(arn, refs);
      completed.push(entry);
      logger.info('make before break: replacement healthy in ELB, kept target deregistered', {
        service: entry.service,
        target: entry.target,
        replacements: entry.replacements.map((r) => r.name),
        waitedMs: clock() - Date.parse(entry.since),
      });
    } catch (err) {
      errors += 1;
      waiting.push(entry);
      logger.error('make before break: deregistering the kept target failed', {
        service: entry.service,
        target: entry.target,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return { completed, waiting, errors };
}

function byTargetGroup(leave: PendingDeregistration['leave']): Map<string, TargetRef[]> {
  const groups = new Map<string, TargetRef[]>();
  for (const { targetGroupArn, ...ref } of leave) {
    const list = groups.get(targetGroupArn) ?? [];
    list.push(ref);
    groups.set(targetGroupArn, list);
  }
  return groups;
}
