import { Duration, RemovalPolicy, Validations, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_ACCESS_LOG_NONCURRENT_RETENTION, DEFAULT_ACCESS_LOG_RETENTION } from './construct-defaults';
import { ProblemList } from './validation';

/** Props of {@link AccessLogsBucket}. */
export interface AccessLogsBucketProps {
  /** How long log objects are kept before S3 expires them. @default 365 days */
  readonly retention?: Duration;
  /** How long superseded versions of log objects are kept. @default 30 days */
  readonly noncurrentVersionRetention?: Duration;
  /** Bucket receiving this bucket's S3 server access logs. @default - none (acknowledged: this bucket is the terminal log sink) */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /** Key prefix of the server access logs in `serverAccessLogsBucket`. @default 'access-logs-bucket/' */
  readonly serverAccessLogsPrefix?: string;
  /** What happens to the bucket when the stack is deleted. @default RemovalPolicy.RETAIN (audit evidence) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Bucket for ELB access logs: SSE-S3 (the only encryption ELB log delivery supports), TLS-only,
 * no public access, bucket-owner-enforced objects, versioned, and expired by a lifecycle rule.
 */
export class AccessLogsBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id);
    const retention = props.retention ?? DEFAULT_ACCESS_LOG_RETENTION;
    const noncurrentRetention = props.noncurrentVersionRetention ?? DEFAULT_ACCESS_LOG_NONCURRENT_RETENTION;
    const problems = new ProblemList();
    problems.check(
      Number.isInteger(retention.toDays({ integral: false })) && retention.toDays() >= 1,
      `retention: ${retention.toHumanString()} must be a whole number of days, at least 1`,
    );
    problems.check(
      Number.isInteger(noncurrentRetention.toDays({ integral: false })) && noncurrentRetention.toDays() >= 1,
      `noncurrentVersionRetention: ${noncurrentRetention.toHumanString()} must be a whole number of days, at least 1`,
    );
    problems.throwIfAny(`AccessLogsBucket ${this.node.path}`);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? (props.serverAccessLogsPrefix ?? 'access-logs-bucket/') : undefined,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: retention,
          noncurrentVersionExpiration: noncurrentRetention,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    Validations.of(this.bucket).acknowledge({
      id: 'HIPAA.Security-S3DefaultEncryptionKMS',
      reason:
        'ELB access-log delivery supports only SSE-S3 (Amazon S3-managed keys) on the target bucket, not SSE-KMS ' +
        '(docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html); the bucket is ' +
        'encrypted with SSE-S3, TLS-only and not public.',
    });
    Validations.of(this.bucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason:
        'Holds only load-balancer access logs (no PHI payloads), versioned and retained by lifecycle; ELB logs are ' +
        'regional and a cross-region replica would add a second bucket without adding evidence.',
    });
    if (!props.serverAccessLogsBucket) {
      const reason =
        'This bucket is the terminal sink of ELB access logs, written only by the ELB log-delivery service; its own ' +
        'S3 server access logs would need another log bucket (pass serverAccessLogsBucket to enable them). ' +
        'Data-plane access is still auditable with CloudTrail S3 data events.';
      Validations.of(this.bucket).acknowledge({ id: 'AwsSolutions-S1', reason });
      Validations.of(this.bucket).acknowledge({ id: 'HIPAA.Security-S3BucketLoggingEnabled', reason });
    }
  }
}
