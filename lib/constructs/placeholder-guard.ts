/**
 * Refuses to deploy a site that still has placeholder ids, before CloudFormation creates anything.
 *
 * CloudFormation evaluates a template's `Rules` when it creates a change set or a stack, before any resource:
 * a failed assertion stops the deploy with its description. Rules must test parameters, so the construct adds
 * a parameter whose only allowed value is the list of placeholders (it cannot be overridden to slip past) and
 * a rule asserting that list is empty. `cdk synth` is unaffected (offline, no CloudFormation), so the example
 * keeps synthesizing; a site without placeholders gets neither the parameter nor the rule.
 */
import { CfnParameter, CfnRule, Fn } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Properties of {@link PlaceholderGuard}. */
export interface PlaceholderGuardProps {
  /** The site's name, for the message. */
  readonly siteName: string;
  /** The placeholder ids found in the site (lib/site/placeholders.ts); at least one. */
  readonly placeholderIds: readonly string[];
}

/** CloudFormation limits an assertion description; the list is cut to fit, the count says how many there are. */
const MAX_LISTED = 8;

export class PlaceholderGuard extends Construct {
  /** The message CloudFormation shows when it refuses the deploy. */
  public readonly message: string;

  constructor(scope: Construct, id: string, props: PlaceholderGuardProps) {
    super(scope, id);
    if (props.placeholderIds.length === 0) throw new Error('PlaceholderGuard needs at least one placeholder id');
    const listed = props.placeholderIds.slice(0, MAX_LISTED).join(', ');
    const more = props.placeholderIds.length > MAX_LISTED ? ` and ${props.placeholderIds.length - MAX_LISTED} more` : '';
    this.message =
      `medlb site ${props.siteName} still has ${props.placeholderIds.length} placeholder id(s): ${listed}${more}. ` +
      'Replace them with your VPC, subnet, route-table and certificate ids in the site file (docs/deploying.md); nothing was created.';
    const placeholders = new CfnParameter(this, 'PlaceholderIds', {
      type: 'String',
      description: 'Placeholder ids still in the site: the deploy is refused until the site names real resources',
      default: props.placeholderIds.join(','),
      allowedValues: [props.placeholderIds.join(',')],
    });
    new CfnRule(this, 'RefusePlaceholderIds', {
      assertions: [{ assert: Fn.conditionEquals(placeholders.valueAsString, ''), assertDescription: this.message }],
    });
  }
}
