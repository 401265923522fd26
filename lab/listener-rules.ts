/**
 * Listener rules of the lab's ELBv2 endpoint: what DescribeRules answers and ModifyRule changes, in the real
 * Query-API shapes (`Conditions.member.N.Field`, `...PathPatternConfig.Values.member.M`, the legacy
 * `...Values.member.M`; `Actions.member.N.*`). Rules are created by the test (as CloudFormation would) and only
 * their conditions and actions change through the API. No traffic is routed by them: the lab's VIPs are TCP.
 */
import { escapeXml, QueryApiError } from './query-api-server';

/** One condition: a field and its values. */
export interface LabRuleCondition {
  readonly field: string;
  readonly values: readonly string[];
}

/** One action: forward to a target group, or a fixed response. */
export type LabRuleAction =
  | { readonly type: 'forward'; readonly targetGroupArn: string }
  | { readonly type: 'fixed-response'; readonly statusCode: string; readonly contentType?: string; readonly messageBody?: string };

/** A listener rule as the endpoint holds it. */
export interface LabListenerRule {
  readonly ruleArn: string;
  readonly listenerArn: string;
  /** `default` for the listener's default rule, else a number as text (the API's form). */
  readonly priority: string;
  readonly conditions: readonly LabRuleCondition[];
  readonly actions: readonly LabRuleAction[];
}

/** The fields whose values live in a `<Field>Config` block besides the legacy `Values`. */
const CONFIG_BLOCK: Readonly<Record<string, string>> = {
  'host-header': 'HostHeaderConfig',
  'path-pattern': 'PathPatternConfig',
};

/** `Conditions.member.N.*` of a request; undefined when the request names none. */
export function parseConditions(params: Readonly<Record<string, string>>): LabRuleCondition[] | undefined {
  const conditions: LabRuleCondition[] = [];
  for (let n = 1; ; n += 1) {
    const field = params[`Conditions.member.${n}.Field`];
    if (field === undefined) break;
    const block = CONFIG_BLOCK[field];
    const values = [
      ...listOf(params, `Conditions.member.${n}.Values.member`),
      ...(block ? listOf(params, `Conditions.member.${n}.${block}.Values.member`) : []),
    ];
    if (values.length === 0) throw new QueryApiError('ValidationError', `A condition value must be specified for field '${field}'`);
    conditions.push({ field, values });
  }
  return conditions.length > 0 ? conditions : undefined;
}

/** `Actions.member.N.*` of a request; undefined when the request names none. */
export function parseActions(params: Readonly<Record<string, string>>): LabRuleAction[] | undefined {
  const actions: LabRuleAction[] = [];
  for (let n = 1; ; n += 1) {
    const type = params[`Actions.member.${n}.Type`];
    if (type === undefined) break;
    if (type === 'forward') {
      const arn = params[`Actions.member.${n}.TargetGroupArn`] ?? params[`Actions.member.${n}.ForwardConfig.TargetGroups.member.1.TargetGroupArn`];
      if (!arn) throw new QueryApiError('ValidationError', 'A target group ARN must be specified for a forward action');
      actions.push({ type, targetGroupArn: arn });
    } else if (type === 'fixed-response') {
      const prefix = `Actions.member.${n}.FixedResponseConfig`;
      const statusCode = params[`${prefix}.StatusCode`];
      if (!statusCode) throw new QueryApiError('ValidationError', 'A status code must be specified for a fixed-response action');
      actions.push({ type, statusCode, contentType: params[`${prefix}.ContentType`], messageBody: params[`${prefix}.MessageBody`] });
    } else {
      throw new QueryApiError('ValidationError', `The action type '${type}' is not supported by the lab endpoint`);
    }
  }
  return actions.length > 0 ? actions : undefined;
}

/** A rule as a `<member>` of `<Rules>`. */
export function ruleXml(rule: LabListenerRule): string {
  const conditions = rule.conditions
    .map((condition) => {
      const values = condition.values.map((value) => `<member>${escapeXml(value)}</member>`).join('');
      const block = CONFIG_BLOCK[condition.field];
      const config = block ? `<${block}><Values>${values}</Values></${block}>` : '';
      return `<member><Field>${escapeXml(condition.field)}</Field><Values>${values}</Values>${config}</member>`;
    })
    .join('');
  const actions = rule.actions
    .map((action, index) => {
      const order = `<Order>${index + 1}</Order>`;
      if (action.type === 'forward') {
        return `<member><Type>forward</Type>${order}<TargetGroupArn>${escapeXml(action.targetGroupArn)}</TargetGroupArn></member>`;
      }
      const contentType = action.contentType ? `<ContentType>${escapeXml(action.contentType)}</ContentType>` : '';
      const body = action.messageBody !== undefined ? `<MessageBody>${escapeXml(action.messageBody)}</MessageBody>` : '';
      return `<member><Type>fixed-response</Type>${order}<FixedResponseConfig><StatusCode>${escapeXml(action.statusCode)}</StatusCode>${contentType}${body}</FixedResponseConfig></member>`;
    })
    .join('');
  return (
    `<member><RuleArn>${escapeXml(rule.ruleArn)}</RuleArn><Priority>${escapeXml(rule.priority)}</Priority>` +
    `<IsDefault>${rule.priority === 'default'}</IsDefault><Conditions>${conditions}</Conditions><Actions>${actions}</Actions></member>`
  );
}

function listOf(params: Readonly<Record<string, string>>, prefix: string): string[] {
  const values: string[] = [];
  for (let m = 1; ; m += 1) {
    const value = params[`${prefix}.${m}`];
    if (value === undefined) break;
    values.push(value);
  }
  return values;
}
