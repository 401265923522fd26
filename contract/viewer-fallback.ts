/**
 * The viewer's fallback page (README: Viewer fallback page): one ALB listener rule the stack creates and the
 * controller switches by changing only the rule's conditions. Off, its condition matches no real request (a host
 * name under the reserved `.invalid` TLD); serving, it matches every path, so the listener answers every request
 * with the page (HTTP 503) instead of forwarding. The rule's action (the page) and the listener's default action
 * are CloudFormation's; the controller never touches them.
 */

/** One listener-rule condition as ELBv2 takes it (field and values). */
export interface FallbackRuleCondition {
  readonly field: 'host-header' | 'path-pattern';
  readonly values: readonly string[];
}

/** The rule's condition while the page is off: no browser sends this host (RFC 2606 reserves `.invalid`). */
export const FALLBACK_OFF_CONDITION: FallbackRuleCondition = { field: 'host-header', values: ['medlb-fallback-off.invalid'] };

/** The rule's condition while the page is served: every request. */
const FALLBACK_SERVING_PATTERN = '/*';
export const FALLBACK_SERVING_CONDITION: FallbackRuleCondition = { field: 'path-pattern', values: [FALLBACK_SERVING_PATTERN] };

/** HTTP status of the page: the service is unavailable, so clients and the static-VIP NLB's check see it as such. */
export const FALLBACK_STATUS_CODE = 503;

/** Content type of the page. */
export const FALLBACK_CONTENT_TYPE = 'text/html';

/** ALB fixed-response bodies hold at most 1,024 characters. */
export const FALLBACK_MAX_LENGTH = 1024;

/** The listener-rule priority of the fallback rule: first, so it wins over any rule added later. */
export const FALLBACK_RULE_PRIORITY = 1;

/** True when the rule's conditions are the serving ones (anything else counts as off). */
export function isServingCondition(conditions: readonly FallbackRuleCondition[]): boolean {
  return conditions.some(
    (condition) => condition.field === FALLBACK_SERVING_CONDITION.field && condition.values.includes(FALLBACK_SERVING_PATTERN),
  );
}
