/**
 * The {@link FallbackRulePort} over AWS SDK v3: DescribeRules of the one rule, and ModifyRule of its conditions
 * only (contract/viewer-fallback.ts). The controller's role may call ModifyRule on that rule's ARN and nothing
 * else of the listener. No retries of its own: a failed switch is tried again the next round.
 */
import { DescribeRulesCommand, ModifyRuleCommand, type ElasticLoadBalancingV2Client, type RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  FALLBACK_OFF_CONDITION,
  FALLBACK_SERVING_CONDITION,
  isServingCondition,
  type FallbackRuleCondition,
} from '../../contract/viewer-fallback';
import type { FallbackRulePort } from '../reconcile/ports';

export class Elbv2FallbackRule implements FallbackRulePort {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  async isServing(ruleArn: string): Promise<boolean> {
    const { Rules } = await this.client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
    const rule = Rules?.find((candidate) => candidate.RuleArn === ruleArn);
    if (!rule) throw new Error(`DescribeRules ${ruleArn}: the rule was not returned`);
    return isServingCondition((rule.Conditions ?? []).map(conditionOf));
  }

  async setServing(ruleArn: string, serving: boolean): Promise<void> {
    const condition = serving ? FALLBACK_SERVING_CONDITION : FALLBACK_OFF_CONDITION;
    await this.client.send(new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: [ruleConditionOf(condition)] }));
  }
}

/** An SDK condition as field and values; any field but path-pattern cannot be the serving condition. */
function conditionOf(condition: RuleCondition): FallbackRuleCondition {
  if (condition.Field === 'path-pattern') return { field: 'path-pattern', values: condition.PathPatternConfig?.Values ?? condition.Values ?? [] };
  return { field: 'host-header', values: condition.HostHeaderConfig?.Values ?? condition.Values ?? [] };
}

function ruleConditionOf(condition: FallbackRuleCondition): RuleCondition {
  const values = [...condition.values];
  return condition.field === 'path-pattern'
    ? { Field: 'path-pattern', PathPatternConfig: { Values: values } }
    : { Field: 'host-header', HostHeaderConfig: { Values: values } };
}
