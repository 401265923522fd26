import {
  Duration,
  Stack,
  Tags,
  Token,
  Validations,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_elasticloadbalancingv2_targets as elbv2Targets,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AccessLogsBucket } from './access-logs-bucket';
import {
  FALLBACK_CONTENT_TYPE,
  FALLBACK_MAX_LENGTH,
  FALLBACK_OFF_CONDITION,
  FALLBACK_RULE_PRIORITY,
  FALLBACK_STATUS_CODE,
} from '../../contract/viewer-fallback';
import {
  DEFAULT_ALB_HEALTH_CHECK,
  DEFAULT_CROSS_ZONE_ENABLED,
  DEFAULT_DELETION_PROTECTION,
  DEFAULT_DEREGISTRATION_DELAY,
  DEFAULT_VIEWER_ACCESS_LOG_PREFIX,
  DEFAULT_VIEWER_COOKIE_DURATION,
  DEFAULT_VIEWER_HEALTHY_HTTP_CODES,
  DEFAULT_VIEWER_IDLE_TIMEOUT,
  DEFAULT_VIEWER_SSL_POLICY_ENUM,
  DEREGISTRATION_DELAY_RANGE_SECONDS,
  SECURITY_GROUP_RULES_PER_DIRECTION,
} from './construct-defaults';
import {
  ALB_IDLE_TIMEOUT_RANGE,
  DEFAULT_VIEWER_HEALTH_CHECK_PATH,
  DEFAULT_VIEWER_TARGET_PORT,
  VIEWER_COOKIE_STICKINESS_RANGE,
  VIEWER_LISTENER_PORT,
} from '../site/site-defaults';
import { ProblemList, checkCidr, checkPort, checkSeconds, securityGroupQuotaProblems } from './validation';
import { VipSubnetMapping, checkVipSubnetMappings } from './vip-subnet-mapping';

/** Props of {@link Viewer}. */
export interface ViewerProps {
  /** The VPC of the ALB and its target group. */
  readonly vpc: ec2.IVpc;
  /** Service label, used in descriptions, tags and messages. @default 'HTTPS-Viewer' */
  readonly serviceName?: string;
  /** Subnets of the ALB (at least two, in different AZs). */
  readonly subnets: readonly ec2.ISubnet[];
  /** ARN of the ACM certificate the HTTPS listener presents. */
  readonly certificateArn: string;
  /** TLS policy of the HTTPS listener; must be a TLS 1.3 policy (`ELBSecurityPolicy-TLS13-…`). @default ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 */
  readonly sslPolicy?: elbv2.SslPolicy | string;
  /** Client networks allowed to reach the viewer; nothing else gets in. */
  readonly allowedClientCidrs: readonly string[];
  /** Viewer servers' networks the ALB may reach on the target port. @default - none; add them with `allowTrafficToRealServers` before synth */
  readonly realServerCidrs?: readonly string[];
  /** HTTPS listener port. @default 443 */
  readonly port?: number;
  /** HTTPS port on the viewer servers. @default 443 */
  readonly targetPort?: number;
  /**
   * Ports some viewer servers listen on instead of `targetPort` (a per-server port, registered with
   * `TargetDescription.Port`; the ALB's health check runs on the traffic port, so each where it is registered):
   * egress allows them too. @default - none
   */
  readonly realServerPorts?: readonly number[];
  /** `lb_cookie` stickiness duration (1 s – 7 days). @default 1 hour */
  readonly stickinessCookieDuration?: Duration;
  /** Path of the ALB's HTTPS health check on the servers. @default '/' */
  readonly healthCheckPath?: string;
  /** HTTP codes that count as healthy. @default '200-399' */
  readonly healthyHttpCodes?: string;
  /** ALB `idle_timeout.timeout_seconds` (1–4000 s). @default 3600 seconds */
  readonly idleTimeout?: Duration;
  /** Deregistration delay of the target group (0–3600 s). @default 300 seconds */
  readonly deregistrationDelay?: Duration;
  /** Deletion protection of the ALB (and of the static-VIP NLB). @default true */
  readonly deletionProtection?: boolean;
  /** Bucket for the ALB access logs (SSE-S3 only: ELB cannot write to SSE-KMS buckets). @default - a new AccessLogsBucket */
  readonly accessLogsBucket?: s3.IBucket;
  /** Key prefix of the ALB access logs. @default 'viewer-alb' */
  readonly accessLogsPrefix?: string;
  /** Retention of the access logs when this construct creates the bucket. @default 365 days */
  readonly accessLogRetention?: Duration;
  /** Static private VIPs: an internal NLB in front of the ALB (ALB IPs change; some clients need fixed ones). @default - no static VIP */
  readonly staticVips?: readonly VipSubnetMapping[];
  /**
   * The fallback page (text/html, at most 1,024 characters): a listener rule answering HTTP 503 with it, created
   * switched off; the controller switches its conditions (contract/viewer-fallback.ts). @default - no fallback rule
   */
  readonly fallbackPage?: string;
}

/**
 * The HTTPS viewer on an internal ALB: TLS 1.3 listener with the site's ACM certificate, an empty HTTPS IP
 * target group with `lb_cookie` stickiness (the controller owns membership), access logs to an encrypted
 * bucket, and optionally an NLB with static VIPs whose only target is the ALB.
 */
export class Viewer extends Construct {
  /** The internal ALB. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The ALB's security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The HTTPS listener. */
  public readonly listener: elbv2.ApplicationListener;
  /** The HTTPS IP target group (created empty; the controller owns membership). */
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** Real-server port targets are registered with. */
  public readonly port: number;
  /** HTTPS listener port (on the ALB and on the static VIP). */
  public readonly listenerPort: number;
  /** DNS name clients use: the static-VIP NLB's when there is one, else the ALB's. */
  public readonly dnsName: string;
  /** DNS name of the ALB itself. */
  public readonly albDnsName: string;
  /** Static VIP addresses (empty without `staticVips`). */
  public readonly staticVipAddresses: readonly string[];
  /** The static-VIP NLB, when `staticVips` is given. */
  public readonly staticVipLoadBalancer?: elbv2.NetworkLoadBalancer;
  /** Its ALB-type target group, whose only target is the ALB (CloudFormation-managed, never in the controller config). */
  public readonly staticVipTargetGroup?: elbv2.NetworkTargetGroup;
  /** The bucket receiving the ALB access logs. */
  public readonly accessLogsBucket: s3.IBucket;
  /** The fallback-page rule (priority 1, created off), when `fallbackPage` is given: the one rule the controller may modify. */
  public readonly fallbackRule?: elbv2.ApplicationListenerRule;

  private readonly serviceName: string;
  private readonly realServerCidrs = new Set<string>();
  /** Servers' own ports besides `port` (deduplicated). */
  private readonly realServerPorts: readonly number[];

  constructor(scope: Construct, id: string, props: ViewerProps) {
    super(scope, id);
    this.serviceName = props.serviceName ?? 'HTTPS-Viewer';
    this.listenerPort = props.port ?? VIEWER_LISTENER_PORT;
    this.port = props.targetPort ?? DEFAULT_VIEWER_TARGET_PORT;
    this.realServerPorts = [...new Set(props.realServerPorts ?? [])].filter((port) => port !== this.port);
    const sslPolicy = props.sslPolicy ?? DEFAULT_VIEWER_SSL_POLICY_ENUM;
    const problems = validateProps(props, sslPolicy);
    problems.check(
      !Token.isUnresolved(Stack.of(this).region),
      'the stack has no explicit region: ALB access-log delivery is granted to a region-specific principal, so give the stack env.region',
    );
    problems.throwIfAny(`Viewer "${this.serviceName}" (${this.node.path})`);

    Tags.of(this).add('medlb:service', this.serviceName);
    const deletionProtection = props.deletionProtection ?? DEFAULT_DELETION_PROTECTION;
    const idleTimeout = props.idleTimeout ?? DEFAULT_VIEWER_IDLE_TIMEOUT;
    const healthCheckPath = props.healthCheckPath ?? DEFAULT_VIEWER_HEALTH_CHECK_PATH;
    const healthyHttpCodes = props.healthyHttpCodes ?? DEFAULT_VIEWER_HEALTHY_HTTP_CODES;

    // GroupDescription forces replacement: both groups name the construct id (fixed with the logical ids), not the label.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `medlb ${this.node.id} ALB: allowed clients in on HTTPS, viewer servers out`,
      allowAllOutbound: false,
    });
    for (const cidr of props.allowedClientCidrs) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(this.listenerPort), `${this.serviceName} clients`);
    }

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: false,
      vpcSubnets: { subnets: [...props.subnets] },
      securityGroup: this.securityGroup,
      deletionProtection,
      dropInvalidHeaderFields: true,
      idleTimeout,
    });
    this.albDnsName = this.loadBalancer.loadBalancerDnsName;

    this.accessLogsBucket =
      props.accessLogsBucket ?? new AccessLogsBucket(this, 'AccessLogs', { retention: props.accessLogRetention }).bucket;
    this.loadBalancer.logAccessLogs(this.accessLogsBucket, props.accessLogsPrefix ?? DEFAULT_VIEWER_ACCESS_LOG_PREFIX);

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      port: this.port,
      stickinessCookieDuration: props.stickinessCookieDuration ?? DEFAULT_VIEWER_COOKIE_DURATION,
      deregistrationDelay: props.deregistrationDelay ?? DEFAULT_DEREGISTRATION_DELAY,
      healthCheck: {
        enabled: true,
        protocol: elbv2.Protocol.HTTPS,
        path: healthCheckPath,
        healthyHttpCodes,
        ...DEFAULT_ALB_HEALTH_CHECK,
      },
      // No `targets`: created empty, the controller registers and deregisters the viewer servers.
    });

    this.listener = this.loadBalancer.addListener('Https', {
      port: this.listenerPort,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- validated above to be a TLS 1.3 member of the enum; the cast only narrows a site-file string
      sslPolicy: sslPolicy as elbv2.SslPolicy,
      // Ingress is the explicit client CIDRs above, never 0.0.0.0/0.
      open: false,
      defaultTargetGroups: [this.targetGroup],
    });

    if (props.fallbackPage !== undefined) {
      this.fallbackRule = new elbv2.ApplicationListenerRule(this, 'FallbackRule', {
        listener: this.listener,
        priority: FALLBACK_RULE_PRIORITY,
        // Created off: the condition matches no real request. The controller changes only the conditions.
        conditions: [elbv2.ListenerCondition.hostHeaders([...FALLBACK_OFF_CONDITION.values])],
        action: elbv2.ListenerAction.fixedResponse(FALLBACK_STATUS_CODE, { contentType: FALLBACK_CONTENT_TYPE, messageBody: props.fallbackPage }),
      });
    }

    for (const cidr of props.realServerCidrs ?? []) this.allowTrafficToRealServers(cidr);
    this.node.addValidation({
      validate: () => {
        const problems: string[] = [];
        if (this.realServerCidrs.size === 0) {
          problems.push(
            `Viewer "${this.serviceName}": the ALB security group allows no outbound traffic, so neither requests nor ` +
              'health checks reach the viewer servers; give realServerCidrs or call allowTrafficToRealServers()',
          );
        }
        problems.push(
          ...securityGroupQuotaProblems(
            `Viewer "${this.serviceName}"`,
            {
              // The static VIP's rule towards the ALB counts against the ALB group's inbound quota too.
              inbound: props.allowedClientCidrs.length + (this.staticVipLoadBalancer ? 1 : 0),
              outbound: this.realServerCidrs.size * (1 + this.realServerPorts.length),
            },
            SECURITY_GROUP_RULES_PER_DIRECTION,
            'give fewer, aggregated CIDRs',
          ),
        );
        return problems;
      },
    });

    if (props.staticVips && props.staticVips.length > 0) {
      const { loadBalancer, targetGroup } = this.addStaticVip(props, props.staticVips, {
        deletionProtection,
        idleTimeout,
        healthCheckPath,
      });
      this.staticVipLoadBalancer = loadBalancer;
      this.staticVipTargetGroup = targetGroup;
      this.staticVipAddresses = props.staticVips.map((mapping) => mapping.privateIpv4Address);
      this.dnsName = loadBalancer.loadBalancerDnsName;
    } else {
      this.staticVipAddresses = [];
      this.dnsName = this.albDnsName;
    }
  }

  /** Lets the ALB reach viewer servers in `cidr` on the target port and servers' own ports (requests and health checks). */
  public allowTrafficToRealServers(cidr: string): void {
    const problems = new ProblemList();
    checkCidr(problems, 'realServerCidrs', cidr);
    problems.throwIfAny(`Viewer "${this.serviceName}" (${this.node.path})`);
    if (this.realServerCidrs.has(cidr)) return;
    this.realServerCidrs.add(cidr);
    for (const port of [this.port, ...this.realServerPorts]) {
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), `${this.serviceName} servers`);
    }
  }

  private addStaticVip(
    props: ViewerProps,
    staticVips: readonly VipSubnetMapping[],
    settings: { readonly deletionProtection: boolean; readonly idleTimeout: Duration; readonly healthCheckPath: string },
  ): { loadBalancer: elbv2.NetworkLoadBalancer; targetGroup: elbv2.NetworkTargetGroup } {
    const securityGroup = new ec2.SecurityGroup(this, 'StaticVipSecurityGroup', {
      vpc: props.vpc,
      description: `medlb ${this.node.id} static-VIP NLB: allowed clients in on HTTPS, the ALB out`,
      allowAllOutbound: false,
    });
    for (const cidr of props.allowedClientCidrs) {
      securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(this.listenerPort), `${this.serviceName} clients`);
    }
    // NLB → ALB (traffic and health checks); separate rule resources, so the two groups do not form a cycle.
    securityGroup.connections.allowTo(this.securityGroup, ec2.Port.tcp(this.listenerPort), `${this.serviceName} static VIP to ALB`);

    const loadBalancer = new elbv2.NetworkLoadBalancer(this, 'StaticVipLoadBalancer', {
      vpc: props.vpc,
      internetFacing: false,
      subnetMappings: staticVips.map((mapping) => ({ subnet: mapping.subnet, privateIpv4Address: mapping.privateIpv4Address })),
      securityGroups: [securityGroup],
      crossZoneEnabled: DEFAULT_CROSS_ZONE_ENABLED,
      deletionProtection: settings.deletionProtection,
    });
    const targetGroup = new elbv2.NetworkTargetGroup(this, 'StaticVipTargetGroup', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.ALB,
      protocol: elbv2.Protocol.TCP,
      port: this.listenerPort,
      // The one CloudFormation-managed membership in medlb: the ALB itself.
      targets: [new elbv2Targets.AlbListenerTarget(this.listener)],
      healthCheck: { enabled: true, protocol: elbv2.Protocol.HTTPS, path: settings.healthCheckPath },
    });
    const listener = loadBalancer.addListener('Https', {
      port: this.listenerPort,
      protocol: elbv2.Protocol.TCP,
      tcpIdleTimeout: settings.idleTimeout,
      defaultTargetGroups: [targetGroup],
    });

    const loggingReason =
      `The ${this.serviceName} static-VIP NLB has only a TCP listener passing TLS through to the ALB, and NLB access ` +
      'logs are created only for TLS listeners (docs.aws.amazon.com/elasticloadbalancing/latest/network/' +
      'load-balancer-access-logs.html); every request is logged by the ALB behind it.';
    Validations.of(loadBalancer).acknowledge({ id: 'AwsSolutions-ELB2', reason: loggingReason });
    Validations.of(loadBalancer).acknowledge({ id: 'HIPAA.Security-ELBLoggingEnabled', reason: loggingReason });
    Validations.of(listener).acknowledge({
      id: 'HIPAA.Security-ELBv2ACMCertificateRequired',
      reason:
        `TCP passthrough to the ${this.serviceName} ALB, which terminates TLS with the site's ACM certificate and a ` +
        'TLS 1.3 policy; terminating TLS twice would add nothing.',
    });
    return { loadBalancer, targetGroup };
  }
}

function validateProps(props: ViewerProps, sslPolicy: string): ProblemList {
  const problems = new ProblemList();
  const zones = new Set<string>();
  for (const subnet of props.subnets) {
    try {
      if (!Token.isUnresolved(subnet.availabilityZone)) zones.add(subnet.availabilityZone);
    } catch {
      // An imported subnet without an AZ: cannot check, AWS will.
    }
  }
  problems.check(props.subnets.length >= 2, `subnets: an ALB needs at least two subnets in different AZs (got ${props.subnets.length})`);
  if (props.subnets.length >= 2 && zones.size > 0) {
    problems.check(zones.size >= 2, `subnets: all in ${[...zones].join(', ')}; an ALB needs subnets in at least two AZs`);
  }
  if (!Token.isUnresolved(props.certificateArn)) {
    problems.check(
      /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/.test(props.certificateArn),
      `certificateArn: ${props.certificateArn} is not an ACM certificate ARN`,
    );
  }
  const knownPolicies: string[] = Object.values(elbv2.SslPolicy);
  if (!knownPolicies.includes(sslPolicy)) {
    problems.add(`sslPolicy: ${sslPolicy} is not an ELB security policy known to this aws-cdk-lib`);
  } else {
    problems.check(
      sslPolicy.startsWith('ELBSecurityPolicy-TLS13-'),
      `sslPolicy: ${sslPolicy} is not a TLS 1.3 policy (use an ELBSecurityPolicy-TLS13-… policy, e.g. ${DEFAULT_VIEWER_SSL_POLICY_ENUM})`,
    );
  }
  problems.check(props.allowedClientCidrs.length > 0, 'allowedClientCidrs: at least one client network is required (nothing could connect)');
  props.allowedClientCidrs.forEach((cidr, index) => checkCidr(problems, `allowedClientCidrs[${index}]`, cidr));
  (props.realServerCidrs ?? []).forEach((cidr, index) => checkCidr(problems, `realServerCidrs[${index}]`, cidr));
  if (props.port !== undefined) checkPort(problems, 'port', props.port);
  if (props.targetPort !== undefined) checkPort(problems, 'targetPort', props.targetPort);
  (props.realServerPorts ?? []).forEach((port, index) => checkPort(problems, `realServerPorts[${index}]`, port));
  checkSeconds(problems, 'stickinessCookieDuration', props.stickinessCookieDuration, VIEWER_COOKIE_STICKINESS_RANGE);
  checkSeconds(problems, 'idleTimeout', props.idleTimeout, ALB_IDLE_TIMEOUT_RANGE);
  checkSeconds(problems, 'deregistrationDelay', props.deregistrationDelay, DEREGISTRATION_DELAY_RANGE_SECONDS);
  if (props.healthCheckPath !== undefined) {
    problems.check(
      /^\/[\x21-\x7e]*$/.test(props.healthCheckPath) && props.healthCheckPath.length <= 1024,
      `healthCheckPath: ${props.healthCheckPath} must start with / and hold printable characters only (max 1024)`,
    );
  }
  if (props.staticVips && props.staticVips.length > 0) checkVipSubnetMappings(problems, 'staticVips', props.staticVips);
  if (props.fallbackPage !== undefined) {
    problems.check(
      props.fallbackPage.length >= 1 && props.fallbackPage.length <= FALLBACK_MAX_LENGTH,
      `fallbackPage: ${props.fallbackPage.length} characters; an ALB fixed response holds 1–${FALLBACK_MAX_LENGTH}`,
    );
  }
  return problems;
}
