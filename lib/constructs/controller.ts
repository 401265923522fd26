import { createHash } from 'node:crypto';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ClientCertificateReference } from '../../contract/check';
import { acknowledgeCustomResourceProvider, controllerPolicyStatements, wildcardResourceReason, type ControllerGrants } from './controller-permissions';
import { CONTROLLER_BUNDLING, CONTROLLER_ENTRY, CONTROLLER_NODE_OPTIONS, CONTROLLER_RUNTIME } from './controller-bundling';
import { CONTROLLER_ENV, CONTROLLER_SERVICE_NAME, POST_DEPLOY_EVENT_SOURCE } from '../../contract/environment';
import { METRICS_NAMESPACE } from '../../contract/metrics';
import { CONFIG_DOCUMENT_ATTRIBUTE, CONFIG_ITEM_KEY, STATE_TABLE_KEYS, TTL_ATTRIBUTE } from '../../contract/state-table';
import {
  DEFAULT_AUDIT_RETENTION,
  DEFAULT_CONTROLLER_MEMORY_MB,
  DEFAULT_CONTROLLER_TIMEOUT,
  DEFAULT_LOG_RETENTION,
} from './controller-defaults';

/** One egress rule of the controller's security group: a check port on a network of real servers. */
export interface CheckEgressRule {
  /** IPv4 CIDR of the real servers (a /32 or an aggregate). */
  readonly cidr: string;
  /** The health-check port probed on those servers. */
  readonly port: number;
}

/**
 * How the controller, inside the VPC, reaches the AWS APIs it calls (ELBv2, EC2, DynamoDB):
 * - `create-endpoints`: this construct creates an ELBv2 interface endpoint, an EC2 one only when the site uses
 *   discovery (private DNS: a second EC2 endpoint would collide with one the VPC may have), and a DynamoDB
 *   gateway endpoint (the subnets' route tables must be known); egress goes to those endpoints only.
 * - `existing-endpoints`: the VPC already has them (private DNS); egress is HTTPS to the VPC CIDR and DynamoDB's
 *   prefix list.
 * - `nat`: a NAT gateway routes API calls; egress is HTTPS to anywhere.
 */
export type AwsApiAccess = 'create-endpoints' | 'existing-endpoints' | 'nat';

export interface ControllerProps {
  /** Site name: the `Site` metric dimension and part of resource descriptions. */
  readonly siteName: string;
  /** The VPC the controller runs in (it must reach the real servers' check ports). */
  readonly vpc: ec2.IVpc;
  /** Subnets for the controller's network interfaces. */
  readonly subnets: ec2.ISubnet[];
  /**
   * The controller config v1 document (docs/architecture.md#controller-config). It may hold deploy-time tokens (target-group ARNs):
   * it is stored in the state table at deploy time, so its size is bounded by DynamoDB's 400 KB item, not by
   * Lambda's 4 KB of environment variables.
   */
  readonly config: unknown;
  /** Hash of the config as synthesized; a change triggers a post-deploy round. */
  readonly configFingerprint: string;
  /** ARNs of the target groups the controller owns: the only resources it may register into or deregister from. */
  readonly targetGroupArns: string[];
  /** Egress to the real servers' check ports; nothing else leaves the controller except AWS API traffic. */
  readonly checkEgress: CheckEgressRule[];
  /**
   * The config has `discovery` blocks (docs/architecture.md#discovery): the controller may call ec2:DescribeInstances.
   * @default false
   */
  readonly discoversInstances?: boolean;
  /**
   * The client certificates (mutual TLS) the checks present: the controller may read exactly these secrets
   * (secretsmanager:GetSecretValue) and decrypt with exactly these customer-managed keys, only through Secrets
   * Manager (kms:ViaService); with `create-endpoints` a Secrets Manager interface endpoint is created.
   * @default none: no Secrets Manager or KMS statement, no endpoint
   */
  readonly clientCertificates?: readonly ClientCertificateReference[];
  /**
   * How the controller reaches AWS APIs from the VPC (see {@link AwsApiAccess}).
   * @default 'create-endpoints'
   */
  readonly awsApiAccess?: AwsApiAccess;
  /** Customer-managed key for the table, the log group and the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /**
   * How long audit records are kept: the table's TTL, and the append-only CloudWatch Logs copy (the next
   * retention CloudWatch offers at or above it).
   * @default Duration.days(2190)
   */
  readonly auditRetention?: Duration;
  /**
   * Retention of the controller's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The viewer's fallback-page listener rule: the controller may describe rules and modify this one only.
   * @default - no fallback rule, no listener-rule permission
   */
  readonly fallbackRuleArn?: string;
}

/**
 * The health controller: a Lambda that probes every real server with its protocol check and registers or
 * deregisters it in the target groups (docs/architecture.md#reconcile-rules, docs/architecture.md#runtime). Runs every minute with reserved concurrency 1,
 * once right after every deploy, and keeps its state and audit trail in an encrypted DynamoDB table.
 */
export class Controller extends Construct {
  /** The controller function. */
  public readonly function: nodejs.NodejsFunction;
  /** State, overrides, audit records and the controller config. */
  public readonly table: dynamodb.TableV2;
  /** The controller's security group (egress: check ports and AWS APIs only). */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The schedule that starts an invocation every minute. */
  public readonly schedule: events.Rule;
  /** The controller function's log group (a stack output: the heartbeat runbook reads it). */
  public readonly logGroup: logs.LogGroup;
  /** Every permission of the controller function (a customer-managed policy: no inline or AWS-managed ones). */
  public readonly policy: iam.ManagedPolicy;
  /** The append-only copy of every audit record (KMS-encrypted; writers may only append). */
  public readonly auditLogGroup: logs.LogGroup;
  /** The stream in {@link auditLogGroup} every writer appends to (created here: writers need no CreateLogStream). */
  public readonly auditLogStream: logs.LogStream;
  /** Log group of the deploy-time custom resources (config writer, prefix-list lookup, post-deploy round). */
  private readonly deployTimeLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ControllerProps) {
    super(scope, id);
    const awsApiAccess = props.awsApiAccess ?? 'create-endpoints';
    this.deployTimeLogGroup = new logs.LogGroup(this, 'DeployTimeLogGroup', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.TableV2(this, 'StateTable', {
      partitionKey: { name: STATE_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATE_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `medlb ${props.siteName} controller: egress to real-server check ports and AWS APIs only`,
      allowAllOutbound: false,
    });
    for (const rule of dedupeEgress(props.checkEgress)) {
      this.securityGroup.addEgressRule(
        ec2.Peer.ipv4(rule.cidr),
        ec2.Port.tcp(rule.port),
        `health check ${rule.cidr}:${rule.port}`,
      );
    }
    this.allowAwsApiAccess(props, awsApiAccess);

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup = logGroup;

    const auditRetention = props.auditRetention ?? DEFAULT_AUDIT_RETENTION;
    this.auditLogGroup = new logs.LogGroup(this, 'AuditLogGroup', {
      encryptionKey: props.encryptionKey,
      retention: cloudWatchRetentionAtLeast(auditRetention.toDays()),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.auditLogStream = new logs.LogStream(this, 'AuditLogStream', {
      logGroup: this.auditLogGroup,
      logStreamName: AUDIT_LOG_STREAM_NAME,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the controller function; it needs no DLQ of its own.',
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `medlb ${props.siteName} controller`,
    });
    this.policy = this.leastPrivilegePolicy(props, logGroup, deadLetterQueue);
    role.addManagedPolicy(this.policy);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      // Every permission is in `policy`, written out; CDK's implicit grants (which land in an inline default
      // policy) are dropped.
      role: role.withoutPolicyUpdates(),
      entry: CONTROLLER_ENTRY,
      handler: 'handler',
      runtime: CONTROLLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: DEFAULT_CONTROLLER_MEMORY_MB,
      timeout: DEFAULT_CONTROLLER_TIMEOUT,
      reservedConcurrentExecutions: 1,
      vpc: props.vpc,
      vpcSubnets: { subnets: props.subnets },
      securityGroups: [this.securityGroup],
      logGroup,
      deadLetterQueue,
      environment: {
        [CONTROLLER_ENV.site]: props.siteName,
        [CONTROLLER_ENV.tableName]: this.table.tableName,
        [CONTROLLER_ENV.auditRetentionSeconds]: String(auditRetention.toSeconds()),
        [CONTROLLER_ENV.auditLogGroup]: this.auditLogGroup.logGroupName,
        [CONTROLLER_ENV.auditLogStream]: AUDIT_LOG_STREAM_NAME,
        // The principal of the rounds' audit records, without an STS call from the VPC.
        [CONTROLLER_ENV.roleArn]: role.roleArn,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_SERVICE_NAME: CONTROLLER_SERVICE_NAME,
        NODE_OPTIONS: CONTROLLER_NODE_OPTIONS,
      },
      bundling: {
        ...CONTROLLER_BUNDLING,
        externalModules: [...CONTROLLER_BUNDLING.externalModules],
        forceDockerBundling: false,
      },
      description: `medlb ${props.siteName}: protocol health checks and target registration`,
    });

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `medlb ${props.siteName}: start a controller invocation every minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new eventsTargets.LambdaFunction(this.function, {
          // A missed minute is covered by the next one; retrying a stale start would only collide with it.
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });

    const configWriter = this.writeConfig(props);
    this.invokeAfterDeploy(props, configWriter);
  }

  private allowAwsApiAccess(props: ControllerProps, access: AwsApiAccess): void {
    if (access === 'nat') {
      this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs through the NAT gateway');
      return;
    }
    if (access === 'existing-endpoints') {
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(props.vpc.vpcCidrBlock), ec2.Port.tcp(443), "AWS APIs: the VPC's interface endpoints");
    } else {
      const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: props.vpc,
        description: `medlb ${props.siteName}: interface endpoints reachable by the controller only`,
        allowAllOutbound: false,
      });
      endpointSg.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'controller to AWS APIs');
      // EC2 only for discovery: an EC2 endpoint with private DNS collides with one the VPC may already have.
      // CloudWatch Logs always: the append-only audit copy (PutLogEvents).
      const discovers = props.discoversInstances === true;
      this.securityGroup.addEgressRule(
        endpointSg,
        ec2.Port.tcp(443),
        discovers ? 'ELBv2, EC2 and CloudWatch Logs interface endpoints' : 'ELBv2 and CloudWatch Logs interface endpoints',
      );
      const endpoints: Array<readonly [string, ec2.InterfaceVpcEndpointAwsService]> = [
        ['Elbv2Endpoint', ec2.InterfaceVpcEndpointAwsService.ELASTIC_LOAD_BALANCING],
        ['LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
      ];
      if (discovers) endpoints.push(['Ec2Endpoint', ec2.InterfaceVpcEndpointAwsService.EC2]);
      // Secrets Manager only for client certificates: like EC2, a second endpoint with private DNS would collide.
      if ((props.clientCertificates ?? []).length > 0) endpoints.push(['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER]);
      for (const [id, service] of endpoints) {
        new ec2.InterfaceVpcEndpoint(this, id, {
          vpc: props.vpc,
          service,
          subnets: { subnets: props.subnets },
          securityGroups: [endpointSg],
          privateDnsEnabled: true,
          open: false,
        });
      }
      new ec2.GatewayVpcEndpoint(this, 'DynamoDbEndpoint', {
        vpc: props.vpc,
        service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
        subnets: [{ subnets: props.subnets }],
      });
    }
    // DynamoDB is reached through a gateway endpoint, i.e. the region's managed prefix list; its id is looked up
    // at deploy time (synth stays offline) so the egress rule names exactly DynamoDB, not the internet.
    const region = Stack.of(this).region;
    const prefixListLookup = this.deployTimeCall('DynamoDbPrefixList', {
      onCreate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${region}.dynamodb`] }] },
        physicalResourceId: cr.PhysicalResourceId.of(`medlb-dynamodb-prefix-list-${region}`),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      statements: [new iam.PolicyStatement({ actions: ['ec2:DescribeManagedPrefixLists'], resources: ['*'] })],
    });
    Validations.of(prefixListLookup).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeManagedPrefixLists has no resource-level permissions; read-only, at deploy time.',
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.prefixList(prefixListLookup.getResponseField('PrefixLists.0.PrefixListId')),
      ec2.Port.tcp(443),
      'DynamoDB gateway endpoint',
    );
  }

  private leastPrivilegePolicy(props: ControllerProps, logGroup: logs.ILogGroup, deadLetterQueue: sqs.IQueue): iam.ManagedPolicy {
    const grants: ControllerGrants = {
      targetGroupArns: props.targetGroupArns,
      clientCertificates: props.clientCertificates ?? [],
      discoversInstances: props.discoversInstances === true,
      tableArn: this.table.tableArn,
      keyArn: props.encryptionKey.keyArn,
      deadLetterQueueArn: deadLetterQueue.queueArn,
      logGroupArn: logGroup.logGroupArn,
      auditLogStreamArn: auditLogStreamArn(this.auditLogGroup),
      fallbackRuleArn: props.fallbackRuleArn,
    };
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `medlb ${props.siteName} controller: its target groups, its table, its logs`,
      statements: controllerPolicyStatements(grants),
    });
    Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: wildcardResourceReason(grants) });
    return policy;
  }

  /**
   * An SDK call made by CloudFormation at deploy time (AwsCustomResource). All of them share CDK's singleton
   * provider function, which gets an encrypted log group here.
   */
  private deployTimeCall(id: string, props: { onCreate: cr.AwsSdkCall; onUpdate?: cr.AwsSdkCall; statements: iam.PolicyStatement[] }): cr.AwsCustomResource {
    const resource = new cr.AwsCustomResource(this, id, {
      onCreate: props.onCreate,
      onUpdate: props.onUpdate,
      installLatestAwsSdk: false,
      logGroup: this.deployTimeLogGroup,
      policy: cr.AwsCustomResourcePolicy.fromStatements(props.statements),
    });
    const policy = resource.node.tryFindChild('CustomResourcePolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'HIPAA.Security-IAMNoInlinePolicy',
        reason: `AwsCustomResource attaches its per-call policy inline; it allows only the deploy-time call of ${id}.`,
      });
    }
    acknowledgeCustomResourceProvider(Stack.of(this));
    return resource;
  }

  private writeConfig(props: ControllerProps): cr.AwsCustomResource {
    const stack = Stack.of(this);
    const item = {
      [STATE_TABLE_KEYS.partitionKey]: { S: CONFIG_ITEM_KEY.pk },
      [STATE_TABLE_KEYS.sortKey]: { S: CONFIG_ITEM_KEY.sk },
      fingerprint: { S: props.configFingerprint },
      [CONFIG_DOCUMENT_ATTRIBUTE]: { S: stack.toJsonString(props.config) },
    };
    const call: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'putItem',
      parameters: { TableName: this.table.tableName, Item: item },
      physicalResourceId: cr.PhysicalResourceId.of(`medlb-config-${props.configFingerprint}`),
    };
    return this.deployTimeCall('ConfigWriter', {
      onCreate: call,
      onUpdate: call,
      statements: [
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [this.table.tableArn] }),
        new iam.PolicyStatement({
          actions: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.encryptionKey.keyArn],
        }),
      ],
    });
  }

  private invokeAfterDeploy(props: ControllerProps, after: Construct): void {
    const call: cr.AwsSdkCall = {
      service: 'Lambda',
      action: 'invoke',
      parameters: {
        FunctionName: this.function.functionName,
        // Asynchronous: a collision with a scheduled run (reserved concurrency 1) is retried by Lambda itself.
        InvocationType: 'Event',
        Payload: JSON.stringify({ source: POST_DEPLOY_EVENT_SOURCE, configFingerprint: props.configFingerprint }),
      },
      physicalResourceId: cr.PhysicalResourceId.of(`medlb-post-deploy-${props.configFingerprint}`),
      ignoreErrorCodesMatching: 'TooManyRequestsException|ResourceConflictException|ServiceException',
    };
    const invoke = this.deployTimeCall('PostDeployRound', {
      onCreate: call,
      onUpdate: call,
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] })],
    });
    invoke.node.addDependency(after);
  }
}

/** Fingerprint of a config document as synthesized (tokens included), to trigger a post-deploy round on change. */
export function fingerprintOf(configJson: string): string {
  return createHash('sha256').update(configJson).digest('hex').slice(0, 16);
}

function dedupeEgress(rules: readonly CheckEgressRule[]): CheckEgressRule[] {
  const seen = new Map<string, CheckEgressRule>();
  for (const rule of rules) seen.set(`${rule.cidr}:${rule.port}`, rule);
  return [...seen.values()].sort((a, b) => a.port - b.port || a.cidr.localeCompare(b.cidr));
}

/** Name of the audit copy's stream; fixed so the CLI and the controller append to the same one. */
const AUDIT_LOG_STREAM_NAME = 'medlb-audit';

/** The ARN of the audit stream (PutLogEvents is authorized on the stream). */
export function auditLogStreamArn(group: logs.LogGroup): string {
  return Stack.of(group).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `${group.logGroupName}:log-stream:${AUDIT_LOG_STREAM_NAME}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** CloudWatch Logs offers fixed retentions: the smallest one that keeps records at least `days`. */
export function cloudWatchRetentionAtLeast(days: number): logs.RetentionDays {
  const offered = Object.values(logs.RetentionDays)
    .filter((value): value is logs.RetentionDays => typeof value === 'number' && value !== logs.RetentionDays.INFINITE)
    .sort((a, b) => a - b);
  const retention = offered.find((value) => Number(value) >= days);
  if (retention === undefined) throw new RangeError(`audit retention of ${days} days exceeds CloudWatch Logs' longest fixed retention (${offered.at(-1)} days)`);
  return retention;
}
