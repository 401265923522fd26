import { Duration, RemovalPolicy, Stack, Validations, aws_cloudtrail as cloudtrail, aws_iam as iam, aws_logs as logs, aws_s3 as s3 } from 'aws-cdk-lib';
import type { aws_dynamodb as dynamodb, aws_kms as kms } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Props of {@link StateTableTrail}. */
export interface StateTableTrailProps {
  /** Site name: the trail's name `medlb-<site>-state-table`. */
  readonly siteName: string;
  /** The one table whose data events (GetItem, PutItem, DeleteItem, Query ...) the trail records. */
  readonly table: dynamodb.ITableV2;
  /** Key of the trail's objects, its bucket and its log group; CloudTrail gets a grant for this trail only. */
  readonly encryptionKey: kms.Key;
  /** How long the trail's records are kept (bucket lifecycle; the log group gets the next CloudWatch retention at or above). */
  readonly retention: Duration;
  /** Retention CloudWatch Logs offers for `retention`. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * A CloudTrail trail of the DynamoDB data events of exactly one table (advanced event selectors), delivered to a
 * KMS-encrypted, versioned S3 bucket with log-file validation and to a KMS-encrypted CloudWatch Logs group. It is
 * the record of who wrote what to the state table that the table's writers cannot alter (README: Audit trail and
 * trust): CloudTrail, not the writer, names the caller.
 */
export class StateTableTrail extends Construct {
  /** The trail. */
  public readonly trail: cloudtrail.CfnTrail;
  /** The bucket receiving the trail's log files. */
  public readonly bucket: s3.Bucket;
  /** The CloudWatch Logs copy of the trail's events. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StateTableTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const trailName = `medlb-${props.siteName}-state-table`;
    const trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: trailName });
    const fromThisTrail = { StringEquals: { 'aws:SourceArn': trailArn, 'aws:SourceAccount': stack.account } };
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-trail', expiration: props.retention, noncurrentVersionExpiration: Duration.days(30) }],
    });
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: fromThisTrail,
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: fromThisTrail,
      }),
    );
    const terminalSink =
      'Terminal sink of the state-table trail, written only by CloudTrail (log-file validation on, versioned, KMS); ' +
      'its own server access logs would need yet another bucket, and reads of it are themselves CloudTrail management events.';
    Validations.of(this.bucket).acknowledge({ id: 'AwsSolutions-S1', reason: terminalSink });
    Validations.of(this.bucket).acknowledge({ id: 'HIPAA.Security-S3BucketLoggingEnabled', reason: terminalSink });
    Validations.of(this.bucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason: 'The trail also delivers every event to a retained CloudWatch Logs group: the second copy; a cross-region replica would add a third.',
    });

    props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `CloudTrail${props.siteName.replace(/-/g, '')}StateTableTrailEncrypts`,
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: fromThisTrail,
      }),
    );

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A customer-managed policy on this one group instead of the inline policy the L2 Trail would attach.
    const deliveryPolicy = new iam.ManagedPolicy(this, 'DeliveryPolicy', {
      description: `Lets CloudTrail deliver the ${trailName} trail to its log group`,
      statements: [
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
      ],
    });
    const deliveryRole = new iam.Role(this, 'DeliveryRole', {
      assumedBy: cloudTrail,
      description: `CloudTrail delivery of ${trailName} to CloudWatch Logs`,
      managedPolicies: [deliveryPolicy],
    });

    this.trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName,
      isLogging: true,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      enableLogFileValidation: true,
      kmsKeyId: props.encryptionKey.keyArn,
      s3BucketName: this.bucket.bucketName,
      cloudWatchLogsLogGroupArn: this.logGroup.logGroupArn,
      cloudWatchLogsRoleArn: deliveryRole.roleArn,
      // Data events of exactly this table; no management events (the account's own trail records those).
      advancedEventSelectors: [
        {
          name: `DynamoDB data events of the medlb ${props.siteName} state table`,
          fieldSelectors: [
            { field: 'eventCategory', equalTo: ['Data'] },
            { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
            { field: 'resources.ARN', equalTo: [props.table.tableArn] },
          ],
        },
      ],
    });
    const policy = this.bucket.policy;
    if (policy) this.trail.node.addDependency(policy);
    this.trail.node.addDependency(deliveryRole);
  }
}
