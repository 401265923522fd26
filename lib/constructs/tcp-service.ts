import {
  Duration,
  Tags,
  Validations,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  DEFAULT_CROSS_ZONE_ENABLED,
  DEFAULT_DELETION_PROTECTION,
  DEFAULT_DEREGISTRATION_DELAY,
  DEFAULT_NLB_HEALTH_CHECK,
  DEFAULT_PERSISTENCE,
  DEFAULT_TCP_IDLE_TIMEOUT,
  DEFAULT_UNHEALTHY_CONNECTION_TERMINATION,
  DEREGISTRATION_DELAY_RANGE_SECONDS,
  NLB_HEALTH_CHECK_INTERVAL_RANGE_SECONDS,
  NLB_HEALTH_CHECK_THRESHOLD_RANGE,
  NLB_HEALTH_CHECK_TIMEOUT_RANGE_SECONDS,
  SECURITY_GROUP_RULES_PER_DIRECTION,
  TCP_IDLE_TIMEOUT_RANGE_SECONDS,
  UNHEALTHY_DRAINING_INTERVAL_RANGE_SECONDS,
} from './construct-defaults';
import { ProblemList, checkCidr, checkPort, checkSeconds, securityGroupQuotaProblems } from './validation';
import { VipSubnetMapping, checkVipSubnetMappings } from './vip-subnet-mapping';

/** Session persistence of a TCP service: NLB `source_ip` stickiness, or none. */
export type TcpPersistence = 'source-ip' | 'none';

/** One port of a TCP service: the NLB listener port and the real servers' port behind it. */
export interface TcpServicePort {
  /** Listener port on the VIP. */
  readonly port: number;
  /** Port on the real servers. @default - the listener port */
  readonly targetPort?: number;
}

/** The NLB's native TCP health check (a second layer under the controller's protocol probes). */
export interface NlbHealthCheckSettings {
  /** Time between checks (5–300 s). @default 5 seconds */
  readonly interval?: Duration;
  /** Time to wait for a connection (2–120 s, less than the interval). @default 4 seconds */
  readonly timeout?: Duration;
  /** Consecutive passes before a target is healthy (2–10); a new target gets no connections before. @default 2 */
  readonly healthyThresholdCount?: number;
  /** Consecutive failures before a target is unhealthy (2–10). @default 3 */
  readonly unhealthyThresholdCount?: number;
}

/** Props of {@link TcpService}. */
export interface TcpServiceProps {
  /** The VPC of the NLB and its IP target groups. */
  readonly vpc: ec2.IVpc;
  /** Service label (e.g. `DICOM-Modalities`), used in descriptions, tags and messages. */
  readonly serviceName: string;
  /** Static private VIPs, one per subnet/AZ; the first is the guide's VIP. */
  readonly subnetMappings: readonly VipSubnetMapping[];
  /** Listener ports (one listener and one target group each). */
  readonly ports: readonly TcpServicePort[];
  /** Client networks allowed to reach the listener ports; nothing else gets in. */
  readonly allowedClientCidrs: readonly string[];
  /** Real servers' networks the NLB may reach on the target and health-check ports (more with `allowTrafficToRealServers`). @default - none; add them before synth */
  readonly realServerCidrs?: readonly string[];
  /** Transparent mode (Layer 4 DR/NAT): real servers see the client IP (`preserve_client_ip.enabled`). */
  readonly transparent: boolean;
  /** Send a PROXY protocol v2 header to the real servers (for non-transparent services that need the client IP). @default - attribute not set (AWS default: off) */
  readonly proxyProtocolV2?: boolean;
  /** Session persistence. @default 'source-ip' */
  readonly persistence?: TcpPersistence;
  /** Listener `tcp.idle_timeout.seconds` (60–6000 s). @default 3600 seconds */
  readonly idleTimeout?: Duration;
  /** Deregistration delay: how long open connections may finish after drain/halt (0–3600 s). @default 300 seconds */
  readonly deregistrationDelay?: Duration;
  /** Real-server port of the NLB's native TCP health check. @default - the first port's target port */
  readonly healthCheckPort?: number;
  /**
   * Ports some real servers listen on instead of their target group's port (the appliance's per-server "real server
   * port", registered with `TargetDescription.Port`). The NLB's health check then runs on `traffic-port` — each target
   * on the port it is registered with — instead of `healthCheckPort`, and egress allows these ports too.
   * @default - none: every target on its group's port
   */
  readonly realServerPorts?: readonly number[];
  /** NLB health-check timing. @default - see DEFAULT_NLB_HEALTH_CHECK */
  readonly healthCheck?: NlbHealthCheckSettings;
  /**
   * How long a target that fails the NLB's own check keeps its open connections (`unhealthy.draining`, no new
   * ones) instead of having them reset (0–360000 s). @default - the deregistration delay
   */
  readonly unhealthyDrainingInterval?: Duration;
  /** Cross-zone load balancing (one VIP reaches servers in every AZ). @default true */
  readonly crossZoneEnabled?: boolean;
  /** Deletion protection of the NLB (it owns the static VIPs). @default true */
  readonly deletionProtection?: boolean;
  /** Bucket for NLB access logs (AWS writes them only for TLS listeners). @default - no access logs */
  readonly accessLogsBucket?: s3.IBucket;
  /** Key prefix of the access logs in `accessLogsBucket`. @default - the service name */
  readonly accessLogsPrefix?: string;
}

/** One listener port of a TCP service and its (initially empty) target group. */
export interface TcpServiceTargetGroup {
  /** The IP target group; the controller owns its membership. */
  readonly targetGroup: elbv2.NetworkTargetGroup;
  /** Real-server port targets are registered with. */
  readonly port: number;
  /** NLB listener port forwarding to this target group. */
  readonly listenerPort: number;
  /** The listener. */
  readonly listener: elbv2.NetworkListener;
}

/**
 * One virtual service of the appliance on an internal NLB: static VIPs, a security group that only lets the
 * allowed clients in on the service ports, one TCP listener and one empty IP target group per port. The
 * controller Lambda owns target membership, so CloudFormation never fights it.
 */
export class TcpService extends Construct {
  /** The internal NLB. */
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The NLB's security group (given at creation: an NLB created without one can never get one). */
  public readonly securityGroup: ec2.SecurityGroup;
  /** One entry per listener port, in the order of `ports`. */
  public readonly targetGroups: readonly TcpServiceTargetGroup[];
  /** The static VIP addresses, in the order of `subnetMappings`. */
  public readonly vipAddresses: readonly string[];
  /** DNS name of the NLB (resolves to the VIPs). */
  public readonly dnsName: string;
  /** Real-server port the NLB's health check connects to; `traffic-port` when some servers have their own port. */
  public readonly healthCheckPort: number | 'traffic-port';

  private readonly serviceName: string;
  private readonly realServerCidrs = new Set<string>();
  /** Servers' own ports (deduplicated). */
  private readonly realServerPorts: readonly number[];

  constructor(scope: Construct, id: string, props: TcpServiceProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    const resolvedPorts = props.ports.map((port) => ({ listenerPort: port.port, targetPort: port.targetPort ?? port.port }));
    const fixedHealthCheckPort = props.healthCheckPort ?? resolvedPorts[0]?.targetPort;
    this.realServerPorts = [...new Set(props.realServerPorts ?? [])];
    // A fixed check port would check a server with its own port somewhere it does not listen.
    // Without ports there is no fixed check port; validateProps below rejects such props.
    this.healthCheckPort = this.realServerPorts.length > 0 || fixedHealthCheckPort === undefined ? 'traffic-port' : fixedHealthCheckPort;
    validateProps(props, fixedHealthCheckPort).throwIfAny(`TcpService "${props.serviceName}" (${this.node.path})`);

    Tags.of(this).add('medlb:service', props.serviceName);
    this.vipAddresses = props.subnetMappings.map((mapping) => mapping.privateIpv4Address);

    // GroupDescription cannot change without replacing the group (and swapping it on the NLB): it names the construct
    // id, which fixes the logical ids anyway, not the label a person may restyle (the stack passes `id ?? label`).
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `medlb ${id} NLB: allowed clients in on the service ports, real servers out`,
      allowAllOutbound: false,
    });
    for (const cidr of props.allowedClientCidrs) {
      for (const { listenerPort } of resolvedPorts) {
        this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(listenerPort), `${props.serviceName} clients`);
      }
    }

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: false,
      subnetMappings: props.subnetMappings.map((mapping) => ({
        subnet: mapping.subnet,
        privateIpv4Address: mapping.privateIpv4Address,
      })),
      securityGroups: [this.securityGroup],
      crossZoneEnabled: props.crossZoneEnabled ?? DEFAULT_CROSS_ZONE_ENABLED,
      deletionProtection: props.deletionProtection ?? DEFAULT_DELETION_PROTECTION,
    });
    this.dnsName = this.loadBalancer.loadBalancerDnsName;

    if (props.accessLogsBucket) {
      this.loadBalancer.logAccessLogs(props.accessLogsBucket, props.accessLogsPrefix ?? props.serviceName);
    } else {
      const reason =
        `${props.serviceName} has only plain TCP listeners, and NLB access logs are "created only if the load balancer ` +
        'has a TLS listener" and contain only TLS requests (docs.aws.amazon.com/elasticloadbalancing/latest/network/' +
        'load-balancer-access-logs.html): there is nothing to log. Connections are visible in VPC flow logs and the ' +
        "controller's audit log.";
      Validations.of(this.loadBalancer).acknowledge({ id: 'AwsSolutions-ELB2', reason });
      Validations.of(this.loadBalancer).acknowledge({ id: 'HIPAA.Security-ELBLoggingEnabled', reason });
    }

    const persistence = props.persistence ?? DEFAULT_PERSISTENCE;
    const healthCheck = { ...DEFAULT_NLB_HEALTH_CHECK, ...props.healthCheck };
    const deregistrationDelay = props.deregistrationDelay ?? DEFAULT_DEREGISTRATION_DELAY;
    const unhealthyDrainingInterval = props.unhealthyDrainingInterval ?? deregistrationDelay;
    this.targetGroups = resolvedPorts.map(({ listenerPort, targetPort }) => {
      const targetGroup = new elbv2.NetworkTargetGroup(this, `TargetGroup${listenerPort}`, {
        vpc: props.vpc,
        targetType: elbv2.TargetType.IP,
        protocol: elbv2.Protocol.TCP,
        port: targetPort,
        preserveClientIp: props.transparent,
        proxyProtocolV2: props.proxyProtocolV2,
        deregistrationDelay,
        connectionTermination: true,
        healthCheck: {
          enabled: true,
          protocol: elbv2.Protocol.TCP,
          port: String(this.healthCheckPort),
          interval: healthCheck.interval,
          timeout: healthCheck.timeout,
          healthyThresholdCount: healthCheck.healthyThresholdCount,
          unhealthyThresholdCount: healthCheck.unhealthyThresholdCount,
        },
        // No `targets`: created empty, the controller registers and deregisters real servers.
      });
      // A brief failure of the NLB's TCP check must not reset hour-long associations: drain instead (docs/architecture.md#aws-facts).
      targetGroup.setAttribute('target_health_state.unhealthy.connection_termination.enabled', String(DEFAULT_UNHEALTHY_CONNECTION_TERMINATION));
      targetGroup.setAttribute('target_health_state.unhealthy.draining_interval_seconds', String(unhealthyDrainingInterval.toSeconds()));
      if (persistence === 'source-ip') {
        // No L2 prop for NLB source-IP stickiness (aws-cdk#17491).
        targetGroup.setAttribute('stickiness.enabled', 'true');
        targetGroup.setAttribute('stickiness.type', 'source_ip');
      } else {
        // Explicit off: CloudFormation does not reset an attribute that merely disappears from the template.
        targetGroup.setAttribute('stickiness.enabled', 'false');
      }
      const listener = this.loadBalancer.addListener(`Listener${listenerPort}`, {
        port: listenerPort,
        protocol: elbv2.Protocol.TCP,
        tcpIdleTimeout: props.idleTimeout ?? DEFAULT_TCP_IDLE_TIMEOUT,
        defaultTargetGroups: [targetGroup],
      });
      Validations.of(listener).acknowledge({
        id: 'HIPAA.Security-ELBv2ACMCertificateRequired',
        reason:
          `${props.serviceName} port ${listenerPort} is TCP passthrough: the NLB does not terminate TLS, so there is no ` +
          'certificate to attach; clients that use TLS (e.g. DICOM TLS) negotiate it end to end with the real server.',
      });
      return { targetGroup, port: targetPort, listenerPort, listener };
    });

    for (const cidr of props.realServerCidrs ?? []) this.allowTrafficToRealServers(cidr);
    this.node.addValidation({
      validate: () => {
        const problems: string[] = [];
        if (this.realServerCidrs.size === 0) {
          problems.push(
            `TcpService "${this.serviceName}": the NLB security group allows no outbound traffic, so neither traffic nor ` +
              'health checks reach the real servers; give realServerCidrs or call allowTrafficToRealServers()',
          );
        }
        problems.push(
          ...securityGroupQuotaProblems(
            `TcpService "${this.serviceName}"`,
            {
              inbound: props.allowedClientCidrs.length * resolvedPorts.length,
              outbound: this.realServerCidrs.size * this.egressPorts().length,
            },
            SECURITY_GROUP_RULES_PER_DIRECTION,
            'give fewer, aggregated CIDRs (rules = CIDRs × ports)',
          ),
        );
        return problems;
      },
    });
  }

  /**
   * Lets the NLB reach real servers in `cidr` on every target port and the health-check port.
   * NLB security groups filter outbound traffic, health checks included (docs/architecture.md#aws-facts).
   */
  public allowTrafficToRealServers(cidr: string): void {
    const problems = new ProblemList();
    checkCidr(problems, 'realServerCidrs', cidr);
    problems.throwIfAny(`TcpService "${this.serviceName}" (${this.node.path})`);
    if (this.realServerCidrs.has(cidr)) return;
    this.realServerCidrs.add(cidr);
    for (const port of this.egressPorts()) {
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), `${this.serviceName} real servers`);
    }
  }

  /** Real-server ports the NLB connects to: every target port, every server's own port and the health-check port. */
  private egressPorts(): number[] {
    const checkPort = this.healthCheckPort === 'traffic-port' ? [] : [this.healthCheckPort];
    return [...new Set([...this.targetGroups.map((group) => group.port), ...this.realServerPorts, ...checkPort])];
  }
}

function validateProps(props: TcpServiceProps, healthCheckPort: number | undefined): ProblemList {
  const problems = new ProblemList();
  problems.check(props.serviceName.trim().length > 0, 'serviceName: must not be empty');
  checkVipSubnetMappings(problems, 'subnetMappings', props.subnetMappings);

  problems.check(props.ports.length > 0, 'ports: at least one port is required');
  const listenerPorts = new Set<number>();
  props.ports.forEach((port, index) => {
    checkPort(problems, `ports[${index}].port`, port.port);
    if (port.targetPort !== undefined) checkPort(problems, `ports[${index}].targetPort`, port.targetPort);
    problems.check(!listenerPorts.has(port.port), `ports[${index}].port: ${port.port} is listed twice`);
    listenerPorts.add(port.port);
  });

  problems.check(props.allowedClientCidrs.length > 0, 'allowedClientCidrs: at least one client network is required (nothing could connect)');
  props.allowedClientCidrs.forEach((cidr, index) => checkCidr(problems, `allowedClientCidrs[${index}]`, cidr));
  (props.realServerCidrs ?? []).forEach((cidr, index) => checkCidr(problems, `realServerCidrs[${index}]`, cidr));

  if (healthCheckPort !== undefined) checkPort(problems, 'healthCheckPort', healthCheckPort);
  (props.realServerPorts ?? []).forEach((port, index) => checkPort(problems, `realServerPorts[${index}]`, port));
  problems.check(
    props.realServerPorts === undefined || props.realServerPorts.length === 0 || props.ports.length === 1,
    'realServerPorts: a server port of its own needs a single-port service (one target group); this one has ' + String(props.ports.length),
  );
  checkSeconds(problems, 'idleTimeout', props.idleTimeout, TCP_IDLE_TIMEOUT_RANGE_SECONDS);
  checkSeconds(problems, 'deregistrationDelay', props.deregistrationDelay, DEREGISTRATION_DELAY_RANGE_SECONDS);
  checkSeconds(problems, 'unhealthyDrainingInterval', props.unhealthyDrainingInterval, UNHEALTHY_DRAINING_INTERVAL_RANGE_SECONDS);
  const check = props.healthCheck ?? {};
  checkSeconds(problems, 'healthCheck.interval', check.interval, NLB_HEALTH_CHECK_INTERVAL_RANGE_SECONDS);
  checkSeconds(problems, 'healthCheck.timeout', check.timeout, NLB_HEALTH_CHECK_TIMEOUT_RANGE_SECONDS);
  const interval = (check.interval ?? DEFAULT_NLB_HEALTH_CHECK.interval).toSeconds();
  const timeout = (check.timeout ?? DEFAULT_NLB_HEALTH_CHECK.timeout).toSeconds();
  problems.check(timeout < interval, `healthCheck.timeout: ${timeout} s must be less than the interval (${interval} s)`);
  for (const key of ['healthyThresholdCount', 'unhealthyThresholdCount'] as const) {
    const count = check[key];
    if (count !== undefined) {
      const { min, max } = NLB_HEALTH_CHECK_THRESHOLD_RANGE;
      problems.check(Number.isInteger(count) && count >= min && count <= max, `healthCheck.${key}: ${count} must be an integer ${min}–${max}`);
    }
  }
  return problems;
}
