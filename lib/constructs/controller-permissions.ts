/**
 * What the controller may do, and why the few exceptions to resource-level scoping are needed: its managed
 * policy's statements and their cdk-nag acknowledgement, and the acknowledgements of CDK's deploy-time provider.
 * Split from controller.ts so the construct keeps to wiring; the statements are the same data either way.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ClientCertificateReference } from '../../contract/check';

/** The site's resources the controller's policy names, each exactly. */
export interface ControllerGrants {
  /** The target groups the controller registers into. */
  readonly targetGroupArns: readonly string[];
  /** Client-certificate secrets (and their keys) the checks present. */
  readonly clientCertificates: readonly ClientCertificateReference[];
  /** EC2 discovery is used by some service. */
  readonly discoversInstances: boolean;
  /** The state table. */
  readonly tableArn: string;
  /** The site's KMS key. */
  readonly keyArn: string;
  /** The controller's dead-letter queue. */
  readonly deadLetterQueueArn: string;
  /** The controller's log group. */
  readonly logGroupArn: string;
  /** The append-only audit copy's stream. */
  readonly auditLogStreamArn: string;
  /** The viewer's fallback-page listener rule, when the site has a viewer with one. */
  readonly fallbackRuleArn?: string;
}

/** The statements of the controller's managed policy. */
export function controllerPolicyStatements(grants: ControllerGrants): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'RegisterIntoOwnedTargetGroups',
      actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      resources: [...grants.targetGroupArns],
    }),
    new iam.PolicyStatement({
      sid: 'ReadTargetHealth',
      actions: ['elasticloadbalancing:DescribeTargetHealth'],
      resources: ['*'],
    }),
    ...clientCertificateStatements(grants.clientCertificates),
    ...(grants.discoversInstances
      ? [
          new iam.PolicyStatement({
            sid: 'DiscoverInstances',
            actions: ['ec2:DescribeInstances'],
            resources: ['*'],
          }),
        ]
      : []),
    new iam.PolicyStatement({
      sid: 'StateTable',
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
      ],
      resources: [grants.tableArn],
    }),
    new iam.PolicyStatement({
      sid: 'SiteKey',
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: [grants.keyArn],
    }),
    new iam.PolicyStatement({
      sid: 'DeadLetterQueue',
      actions: ['sqs:SendMessage'],
      resources: [grants.deadLetterQueueArn],
    }),
    new iam.PolicyStatement({
      sid: 'Logs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [grants.logGroupArn],
    }),
    new iam.PolicyStatement({
      // Append only: no logs:Delete*, PutRetentionPolicy or CreateLogStream on the audit copy.
      sid: 'AppendAuditCopy',
      actions: ['logs:PutLogEvents'],
      resources: [grants.auditLogStreamArn],
    }),
    ...(grants.fallbackRuleArn !== undefined
      ? [
          new iam.PolicyStatement({
            // Only this rule: the listener, its default action and other rules stay CloudFormation's.
            sid: 'SwitchFallbackRule',
            actions: ['elasticloadbalancing:ModifyRule'],
            resources: [grants.fallbackRuleArn],
          }),
          new iam.PolicyStatement({ sid: 'ReadFallbackRule', actions: ['elasticloadbalancing:DescribeRules'], resources: ['*'] }),
        ]
      : []),
    new iam.PolicyStatement({
      // What AWSLambdaVPCAccessExecutionRole grants: the function's network interfaces in the VPC.
      sid: 'VpcNetworkInterfaces',
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
  ];
}

/** Why the policy's "*" resources are needed: only actions without resource-level permissions use it. */
export function wildcardResourceReason(grants: ControllerGrants): string {
  return (
    'Only actions without resource-level permissions use "*": elasticloadbalancing:DescribeTargetHealth, ' +
    (grants.fallbackRuleArn !== undefined ? 'elasticloadbalancing:DescribeRules (ModifyRule is scoped to the fallback rule), ' : '') +
    (grants.discoversInstances
      ? 'ec2:DescribeInstances (EC2 discovery of real servers; a read-only List-type action that supports no resource ARN or condition key narrowing) '
      : '') +
    'and the VPC network-interface actions Lambda needs in a VPC. ' +
    'RegisterTargets/DeregisterTargets are scoped to the site target-group ARNs, table actions to the table.'
  );
}

/**
 * CDK's singleton provider behind every AwsCustomResource of a stack: acknowledged once, on that function only.
 * It runs only while CloudFormation deploys (three SDK calls, no patient data), synchronously.
 */
export function acknowledgeCustomResourceProvider(stack: Stack): void {
  const provider = stack.node.tryFindChild(CUSTOM_RESOURCE_PROVIDER_ID);
  if (!provider || acknowledgedProviders.has(provider)) return;
  acknowledgedProviders.add(provider);
  const acknowledgements: Array<[string, string]> = [
    ['HIPAA.Security-LambdaConcurrency', 'deploy-time custom-resource handler: runs only during CloudFormation deployments'],
    ['HIPAA.Security-LambdaDLQ', 'invoked synchronously by CloudFormation, which reports failures itself; no async events to lose'],
    ['HIPAA.Security-LambdaInsideVPC', 'makes deploy-time AWS API calls only (DynamoDB PutItem, EC2 prefix-list lookup, Lambda Invoke); reaches no real server'],
    ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', "CDK's AwsCustomResource provider role; logging permissions only"],
    ['HIPAA.Security-CloudWatchLogGroupEncrypted', "CDK's AwsCustomResource provider log group, used only when none is passed"],
  ];
  for (const [id, reason] of acknowledgements) Validations.of(provider).acknowledge({ id, reason });
}

/** Construct id of CDK's AwsCustomResource singleton provider function. */
const CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';
const acknowledgedProviders = new WeakSet<object>();

/**
 * Read access to exactly the client-certificate secrets, and decryption with exactly their customer-managed keys
 * when Secrets Manager asks on the controller's behalf (kms:ViaService), so the keys cannot decrypt anything else
 * for it. Nothing when no check presents a client certificate.
 */
function clientCertificateStatements(references: readonly ClientCertificateReference[]): iam.PolicyStatement[] {
  const secretArns = [...new Set(references.map((reference) => reference.secretArn))].sort();
  if (secretArns.length === 0) return [];
  const keyArns = [...new Set(references.flatMap((reference) => (reference.kmsKeyArn !== undefined ? [reference.kmsKeyArn] : [])))].sort();
  // A key decrypts for Secrets Manager in its own region (validated: the key is in its secret's region).
  const viaServices = [
    ...new Set(keyArns.map((arn) => {
      const [, partition = 'aws', , region = ''] = arn.split(':');
      return `secretsmanager.${region}.${partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
    })),
  ].sort();
  return [
    new iam.PolicyStatement({ sid: 'ReadClientCertificates', actions: ['secretsmanager:GetSecretValue'], resources: secretArns }),
    ...(keyArns.length > 0
      ? [
          new iam.PolicyStatement({
            sid: 'DecryptClientCertificates',
            actions: ['kms:Decrypt'],
            resources: keyArns,
            conditions: { StringEquals: { 'kms:ViaService': viaServices } },
          }),
        ]
      : []),
  ];
}
