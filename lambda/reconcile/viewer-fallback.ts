/**
 * When the viewer's listener serves the fallback page (README: Viewer fallback page). Pure.
 *
 * The page goes up only when both checks agree that nothing can serve: no viewer server is up in medlb's own
 * check (after rise/fall) AND the ALB reports no target healthy. Either alone is not enough: medlb's probe may
 * fail on its own path, and an ALB with no healthy target fails open to every registered one, which is exactly
 * the case the page replaces. It comes down as soon as one target is healthy in ELB again (the ALB health-checks
 * its targets whatever the listener's rules say), not when medlb's probe recovers: ELB's verdict is what
 * forwarding will meet. An unknown view (a failed describe) changes nothing.
 */

/** What the decision looks at, for one service with a fallback rule. */
export interface ViewerFallbackInputs {
  /** Targets up after rise/fall in medlb's check this round. */
  readonly targetsUp: number;
  /** Targets ELB reports `healthy` in the service's target groups; undefined when a group could not be described. */
  readonly elbHealthy: number | undefined;
  /** Whether the rule serves the page now; undefined when the rule could not be described. */
  readonly serving: boolean | undefined;
}

/** The decision: whether the page should be served, whether that is a change, and why. */
export interface ViewerFallbackDecision {
  readonly serve: boolean | undefined;
  /** `on`/`off` when the rule must be switched; absent when it stays as it is. */
  readonly change?: 'on' | 'off';
  readonly reason: string;
}

export function decideViewerFallback(inputs: ViewerFallbackInputs): ViewerFallbackDecision {
  const { targetsUp, elbHealthy, serving } = inputs;
  if (serving === undefined) return { serve: undefined, reason: 'the fallback rule could not be described: left as it is' };
  if (elbHealthy === undefined) return { serve: serving, reason: "ELB's target health is unknown this round: fallback page left as it is" };
  if (serving) {
    if (elbHealthy > 0) return { serve: false, change: 'off', reason: `${elbHealthy} viewer server(s) healthy in ELB again: forwarding restored` };
    return { serve: true, reason: 'no viewer server is healthy in ELB: fallback page kept' };
  }
  if (targetsUp === 0 && elbHealthy === 0) {
    return { serve: true, change: 'on', reason: "no viewer server passes medlb's check and none is healthy in ELB: fallback page served (HTTP 503)" };
  }
  return { serve: false, reason: `${targetsUp} up in medlb's check, ${elbHealthy} healthy in ELB: forwarding` };
}
