import { DefaultStackSynthesizer, Stack, Validations, aws_iam as iam } from 'aws-cdk-lib';
import type { aws_dynamodb as dynamodb, aws_kms as kms, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Props of {@link OperatorPolicies}: the site's resources the three roles work on, each by its exact ARN. */
export interface OperatorPoliciesProps {
  /** Site name, used in the policies' descriptions. */
  readonly siteName: string;
  /** The state table (config item, health, overrides, audit records). */
  readonly table: dynamodb.ITableV2;
  /** The site key that encrypts the table and the audit copy. */
  readonly encryptionKey: kms.IKey;
  /** The controller function (`medlb run --stack` invokes it). */
  readonly controllerFunction: lambda.IFunction;
  /** The append-only audit copy (read by the read-only role). */
  readonly auditLogGroup: logs.ILogGroup;
  /** ARN of the audit copy's stream, the only one an operator appends to. */
  readonly auditLogStreamArn: string;
}

/**
 * Three customer-managed IAM policies for the people who run a site, each scoped to this site's resources by
 * exact ARN (docs/deploying.md#roles): read-only (`medlb status`, `medlb audit`), operator (the read-only
 * rights plus overrides, windows, pin, failback and `medlb run`) and administrator (`cdk deploy`, `medlb diff`).
 * They are attached to whatever identities the hospital uses (IAM Identity Center permission sets, roles);
 * medlb creates no users or roles for people.
 */
export class OperatorPolicies extends Construct {
  /** `medlb status`, `medlb audit`, reading the audit copy. */
  public readonly readOnly: iam.ManagedPolicy;
  /** Everything `readOnly` allows, plus `drain/halt/online/pin/failback` and `medlb run`. */
  public readonly operator: iam.ManagedPolicy;
  /** `cdk deploy` through the CDK bootstrap roles and `medlb diff` on this stack. */
  public readonly administrator: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPoliciesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const readStatements = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({
        sid: 'FindTheSiteByStackOutputs',
        actions: ['cloudformation:DescribeStacks'],
        resources: [stack.stackId],
      }),
      new iam.PolicyStatement({
        sid: 'ReadStateTable',
        actions: ['dynamodb:GetItem', 'dynamodb:Query'],
        resources: [props.table.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'DecryptWithSiteKey',
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [props.encryptionKey.keyArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadAuditCopy',
        actions: ['logs:DescribeLogStreams', 'logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:StartQuery'],
        resources: [props.auditLogGroup.logGroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'DescribeElb',
        actions: ['elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeRules'],
        resources: ['*'],
      }),
    ];

    this.readOnly = new iam.ManagedPolicy(this, 'ReadOnly', {
      description: `medlb ${props.siteName} read-only: medlb status, medlb audit, the audit copy`,
      statements: readStatements(),
    });
    this.operator = new iam.ManagedPolicy(this, 'Operator', {
      description: `medlb ${props.siteName} operator: status and audit, overrides (drain/halt/online, windows, pin, failback), medlb run`,
      statements: [
        ...readStatements(),
        new iam.PolicyStatement({
          // Overrides, windows, pins and failback requests are items of the state table, each with its audit record.
          sid: 'WriteOverrides',
          actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          resources: [props.table.tableArn],
        }),
        new iam.PolicyStatement({
          sid: 'EncryptWithSiteKey',
          actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [props.encryptionKey.keyArn],
        }),
        new iam.PolicyStatement({
          // Append only, as the controller: no CreateLogStream, Delete* or PutRetentionPolicy.
          sid: 'AppendAuditCopy',
          actions: ['logs:PutLogEvents'],
          resources: [props.auditLogStreamArn],
        }),
        new iam.PolicyStatement({
          sid: 'RunControllerRounds',
          actions: ['lambda:InvokeFunction'],
          resources: [props.controllerFunction.functionArn],
        }),
      ],
    });

    const bootstrapRole = (kind: string): string =>
      `arn:${stack.partition}:iam::${stack.account}:role/cdk-${bootstrapQualifierOf(stack)}-${kind}-role-${stack.account}-${stack.region}`;
    this.administrator = new iam.ManagedPolicy(this, 'Administrator', {
      description: `medlb ${props.siteName} administrator: cdk deploy and medlb diff of this stack`,
      statements: [
        new iam.PolicyStatement({
          // cdk deploy drives CloudFormation through the deploy role; diff, status of a deploy and rollback
          // inspection are read on the stack itself.
          sid: 'DeployThisStack',
          actions: [
            'cloudformation:DescribeStacks',
            'cloudformation:DescribeStackEvents',
            'cloudformation:DescribeStackResources',
            'cloudformation:GetTemplate',
            'cloudformation:CreateChangeSet',
            'cloudformation:DescribeChangeSet',
            'cloudformation:ExecuteChangeSet',
            'cloudformation:DeleteChangeSet',
          ],
          resources: [stack.stackId],
        }),
        new iam.PolicyStatement({
          sid: 'AssumeCdkBootstrapRoles',
          actions: ['sts:AssumeRole'],
          resources: ['deploy', 'file-publishing', 'lookup'].map(bootstrapRole),
        }),
        new iam.PolicyStatement({
          sid: 'ReadBootstrapVersion',
          actions: ['ssm:GetParameter'],
          resources: [
            `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter/cdk-bootstrap/${bootstrapQualifierOf(stack)}/version`,
          ],
        }),
      ],
    });

    for (const policy of [this.readOnly, this.operator]) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only elasticloadbalancing:DescribeTargetHealth and DescribeRules use "*": ELB Describe actions support no ' +
          'resource-level permissions. Every other statement names this site\'s stack, table, key, log group, stream or function.',
      });
    }
  }
}

/** The CDK bootstrap qualifier the stack deploys with (`hnb659fds` unless the site's app sets another). */
function bootstrapQualifierOf(stack: Stack): string {
  const synthesizer = stack.synthesizer;
  const qualifier = synthesizer instanceof DefaultStackSynthesizer ? synthesizer.bootstrapQualifier : undefined;
  return qualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
}
