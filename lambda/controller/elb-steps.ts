/** The round's ELB steps: describe every target group once, then apply each service's writes. */
import type { ObservedTarget, TargetGroupPort } from '../reconcile/ports';
import type { ControllerConfig } from '../../contract/controller-config';
import type { ObservationError, ObservedTargetGroups, TargetGroupActions } from '../reconcile/reconcile-types';
import { codeOf, messageOf, propertyOf } from '../../contract/thrown';
import { mapConcurrent } from './concurrency';
import type { RoundLogger } from './round-logger';

/** Describes every target group of the config once; a failure becomes that group's observation error. */
export async function describeAll(config: ControllerConfig, elb: TargetGroupPort, limit: number, logger: RoundLogger): Promise<ObservedTargetGroups> {
  const arns = [...new Set(config.services.flatMap((s) => s.targetGroups.map((tg) => tg.arn)))];
  const observed = await mapConcurrent(arns, limit, async (arn): Promise<[string, readonly ObservedTarget[] | ObservationError]> => {
    try {
      return [arn, await elb.describeTargets(arn)];
    } catch (err) {
      const observation = observationErrorOf(err);
      logger.error('DescribeTargetHealth failed', { targetGroupArn: arn, error: observation.error, code: observation.code });
      return [arn, observation];
    }
  });
  return Object.fromEntries(observed);
}

/**
 * A failed DescribeTargetHealth as an observation: the code travels as the adapter's error carries it, so
 * nothing downstream has to parse it back out of the message.
 */
export function observationErrorOf(thrown: unknown): ObservationError {
  const name = propertyOf(thrown, 'name');
  return { error: messageOf(thrown), code: codeOf(thrown) ?? (typeof name === 'string' ? name : 'Error') };
}

export function groupActions(actions: readonly TargetGroupActions[]): Map<string, TargetGroupActions[]> {
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
export async function applyService(elb: TargetGroupPort, actions: readonly TargetGroupActions[]): Promise<void> {
  for (const action of actions) {
    if (action.register.length > 0) await elb.registerTargets(action.targetGroupArn, action.register);
  }
  for (const action of actions) {
    if (action.deregister.length > 0) await elb.deregisterTargets(action.targetGroupArn, action.deregister);
  }
}
