import { CfnOutput, Duration, Stack, StackProps, Tags } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { Controller, auditLogStreamArn, cloudWatchRetentionAtLeast, fingerprintOf } from './constructs/controller';
import { ConnectionLogs } from './constructs/connection-logs';
import { StateTableTrail } from './constructs/state-table-trail';
import { OperatorPolicies } from './constructs/operator-policies';
import { medlbProbeCommand } from '../contract/probe-command';
import { AUDIT_LOG_GROUP_OUTPUT, AUDIT_LOG_STREAM_OUTPUT, CONFIG_ITEM_KEY, STATE_TABLE_OUTPUT } from '../contract/state-table';
import { Monitoring } from './constructs/monitoring';
import { PlaceholderGuard } from './constructs/placeholder-guard';
import { SiteNetwork } from './constructs/site-network';
import { SECURITY_GROUP_RULES_PER_DIRECTION } from './constructs/construct-defaults';
import { TcpService } from './constructs/tcp-service';
import { Viewer } from './constructs/viewer';
import type { VipSubnetMapping } from './constructs/vip-subnet-mapping';
import { checkEgressOf, clientCertificatesOf, deriveControllerConfig, OwnedTargetGroup, usesDiscovery } from './controller-config';
import type { Site } from './site';
import { findPlaceholderIds } from './site/placeholders';
import { ownServerPortsOf, realServerCidrsOf, staticVipAddressesOf, vipAddressesOf } from './site';

export interface MedlbStackProps extends StackProps {
  /** The parsed site definition (see lib/site): everything the stack builds comes from it. */
  readonly site: Site;
}

/**
 * One medlb site: an internal NLB per TCP virtual service, the HTTPS viewer on an internal ALB, and the health
 * controller that owns every real-server target group. Composes the constructs from a parsed site definition.
 */
export class MedlbStack extends Stack {
  /** The TCP services, by label. */
  public readonly services: ReadonlyMap<string, TcpService>;
  /** The viewer, when the site has one. */
  public readonly viewer?: Viewer;
  /** The health controller. */
  public readonly controller: Controller;
  /** The site's customer-managed key (controller state, logs, dead-letter queue). */
  public readonly key: kms.Key;
  /** Alarms, the encrypted alarm topic and the System Overview dashboard. */
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MedlbStackProps) {
    super(scope, id, {
      description: `medlb site ${props.site.name}: imaging load balancers and protocol-aware health controller`,
      ...props,
    });
    const site = props.site;
    // The example (and a copied site not yet filled in) synthesizes, but CloudFormation refuses to deploy it.
    const placeholderIds = findPlaceholderIds(site);
    if (placeholderIds.length > 0) new PlaceholderGuard(this, 'PlaceholderGuard', { siteName: site.name, placeholderIds });
    for (const [key, value] of Object.entries(site.tags)) Tags.of(this).add(key, value);

    this.key = new kms.Key(this, 'SiteKey', {
      description: `medlb ${site.name}: controller state, logs and queues`,
      enableKeyRotation: true,
    });
    // CloudWatch Logs encrypts the controller's log group with this key, limited to this account's log groups.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:*` },
        },
      }),
    );

    const network = new SiteNetwork(this, 'Network', {
      existingVpc: site.network.existingVpc,
      // The controller creates the endpoints it needs; a new VPC gets none of its own.
      newVpc: site.network.newVpc && { ...site.network.newVpc, interfaceEndpoints: [], dynamoDbGatewayEndpoint: false },
      flowLogRetention: cloudWatchRetentionAtLeast(site.flowLogs.retentionDays),
    });
    // Every subnet that holds a load balancer: the connection logs record these.
    const loadBalancerSubnets = new Map<string, ec2.ISubnet>();
    const mappingsOf = (vips: readonly string[], owner: string): VipSubnetMapping[] =>
      vips.map((ip) => {
        const subnet = network.subnetFor(ip);
        if (!subnet) throw new Error(`${owner}: VIP ${ip} is in no subnet of the site network`);
        loadBalancerSubnets.set(subnet.subnetId, subnet);
        return { subnet, privateIpv4Address: ip };
      });

    const targetGroups = new Map<string, OwnedTargetGroup[]>();
    const services = new Map<string, TcpService>();
    for (const service of site.services) {
      // Named by the resource id, not the label: restyling a label must not replace the NLB holding its VIPs.
      const tcp = new TcpService(this, service.id ?? service.label, {
        vpc: network.vpc,
        serviceName: service.label,
        subnetMappings: mappingsOf(vipAddressesOf(service), `services ${service.label}`),
        ports: service.ports,
        allowedClientCidrs: service.allowedClientCidrs ?? site.allowedClientCidrs,
        // Each real-server network needs one egress rule per target/check port: widen the networks of a large
        // pool so the NLB's security group stays within its rule quota.
        realServerCidrs: realServerCidrsOf(
          service,
          site,
          Math.floor(SECURITY_GROUP_RULES_PER_DIRECTION / new Set([...service.ports.map((p) => p.targetPort), service.healthCheck.port, ...ownServerPortsOf(service)]).size),
        ),
        transparent: service.transparent,
        proxyProtocolV2: service.proxyProtocolV2 || undefined,
        persistence: service.persistence,
        idleTimeout: Duration.seconds(service.idleTimeoutSeconds),
        deregistrationDelay: Duration.seconds(service.deregistrationDelaySeconds),
        healthCheckPort: service.healthCheck.port,
        realServerPorts: ownServerPortsOf(service),
        healthCheck: {
          interval: Duration.seconds(service.nlbHealthCheck.intervalSeconds),
          timeout: Duration.seconds(service.nlbHealthCheck.timeoutSeconds),
          healthyThresholdCount: service.nlbHealthCheck.healthyThresholdCount,
          unhealthyThresholdCount: service.nlbHealthCheck.unhealthyThresholdCount,
        },
        unhealthyDrainingInterval: Duration.seconds(service.nlbHealthCheck.unhealthyDrainingIntervalSeconds ?? service.deregistrationDelaySeconds),
      });
      services.set(service.label, tcp);
      targetGroups.set(
        service.label,
        tcp.targetGroups.map((group) => ({ arn: group.targetGroup.targetGroupArn, port: group.port })),
      );
      new CfnOutput(this, `${service.label}Vips`, {
        description: `${service.label}: static VIP addresses (ports ${service.ports.map((p) => p.port).join(', ')})`,
        value: tcp.vipAddresses.join(','),
      });
      new CfnOutput(this, `${service.label}DnsName`, {
        description: `${service.label}: NLB DNS name`,
        value: tcp.dnsName,
      });
    }
    this.services = services;

    if (site.viewer) {
      const viewerSite = site.viewer;
      const viewer = new Viewer(this, viewerSite.id ?? viewerSite.label, {
        vpc: network.vpc,
        serviceName: viewerSite.label,
        subnets: network.subnets,
        certificateArn: viewerSite.certificateArn,
        sslPolicy: viewerSite.sslPolicy,
        allowedClientCidrs: viewerSite.allowedClientCidrs ?? site.allowedClientCidrs,
        realServerCidrs: realServerCidrsOf(viewerSite, site, Math.floor(SECURITY_GROUP_RULES_PER_DIRECTION / (1 + ownServerPortsOf(viewerSite).length))),
        realServerPorts: ownServerPortsOf(viewerSite),
        targetPort: viewerSite.targetPort,
        stickinessCookieDuration: Duration.seconds(viewerSite.cookieStickinessSeconds),
        healthCheckPath: viewerSite.healthCheckPath,
        idleTimeout: Duration.seconds(viewerSite.idleTimeoutSeconds),
        deregistrationDelay: Duration.seconds(viewerSite.deregistrationDelaySeconds),
        staticVips: viewerSite.staticVip ? mappingsOf(staticVipAddressesOf(viewerSite), viewerSite.label) : undefined,
        fallbackPage: viewerSite.fallbackPage.enabled ? viewerSite.fallbackPage.body : undefined,
      });
      this.viewer = viewer;
      for (const subnet of network.subnets) loadBalancerSubnets.set(subnet.subnetId, subnet);
      targetGroups.set(viewerSite.label, [{ arn: viewer.targetGroup.targetGroupArn, port: viewer.port }]);
      new CfnOutput(this, `${viewerSite.label}DnsName`, {
        description: `${viewerSite.label}: DNS name (HTTPS ${viewer.listenerPort})`,
        value: viewer.dnsName,
      });
      if (viewer.staticVipAddresses.length > 0) {
        new CfnOutput(this, `${viewerSite.label}Vips`, {
          description: `${viewerSite.label}: static VIP addresses`,
          value: viewer.staticVipAddresses.join(','),
        });
      }
    }

    const fallbackRuleArn = this.viewer?.fallbackRule?.listenerRuleArn;
    const config = deriveControllerConfig(site, targetGroups, { vpcId: network.vpc.vpcId, viewerFallbackRuleArn: fallbackRuleArn });
    this.controller = new Controller(this, 'Controller', {
      siteName: site.name,
      vpc: network.vpc,
      subnets: [...network.subnets],
      config,
      configFingerprint: fingerprintOf(JSON.stringify(this.resolve(config))),
      targetGroupArns: [...targetGroups.values()].flat().map((group) => group.arn),
      checkEgress: checkEgressOf(site),
      discoversInstances: usesDiscovery(site),
      clientCertificates: clientCertificatesOf(site),
      encryptionKey: this.key,
      awsApiAccess: site.controller.awsApiAccess,
      auditRetention: Duration.days(site.audit.retentionDays),
      fallbackRuleArn,
    });
    new CfnOutput(this, STATE_TABLE_OUTPUT, {
      description: `medlb state table: controller config (${CONFIG_ITEM_KEY.pk}/${CONFIG_ITEM_KEY.sk}), counters, overrides, audit records`,
      value: this.controller.table.tableName,
    });
    new CfnOutput(this, AUDIT_LOG_GROUP_OUTPUT, {
      description: 'medlb append-only audit copy (CloudWatch Logs group): every audit record, kept audit.retentionDays',
      value: this.controller.auditLogGroup.logGroupName,
    });
    new CfnOutput(this, AUDIT_LOG_STREAM_OUTPUT, {
      description: 'the stream of the audit copy that the controller and medlb overrides append to',
      value: this.controller.auditLogStream.logStreamName,
    });
    new CfnOutput(this, 'ControllerFunctionName', {
      description: 'medlb controller function (medlb run --stack invokes it)',
      value: this.controller.function.functionName,
    });
    // The heartbeat runbook (docs/operating.md) needs these by name: aws logs tail, aws events describe-rule.
    new CfnOutput(this, 'ControllerLogGroupName', {
      description: "medlb controller function's log group (round summaries, errors)",
      value: this.controller.logGroup.logGroupName,
    });
    new CfnOutput(this, 'ControllerScheduleRuleName', {
      description: 'EventBridge rule that starts a controller invocation every minute',
      value: this.controller.schedule.ruleName,
    });

    const connectionLogGroup =
      network.flowLogGroup ??
      (site.flowLogs.enabled
        ? new ConnectionLogs(this, 'ConnectionLogs', {
            subnets: [...loadBalancerSubnets.values()],
            encryptionKey: this.key,
            retention: cloudWatchRetentionAtLeast(site.flowLogs.retentionDays),
          }).logGroup
        : undefined);
    if (connectionLogGroup) {
      new CfnOutput(this, 'ConnectionLogGroupName', {
        description: "VPC flow logs of the load balancers' subnets (README: Connection logs)",
        value: connectionLogGroup.logGroupName,
      });
    }
    if (site.audit.cloudTrailDataEvents) {
      const trail = new StateTableTrail(this, 'StateTableTrail', {
        siteName: site.name,
        table: this.controller.table,
        encryptionKey: this.key,
        retention: Duration.days(site.audit.retentionDays),
        logRetention: cloudWatchRetentionAtLeast(site.audit.retentionDays),
      });
      new CfnOutput(this, 'StateTableTrailLogGroupName', {
        description: 'CloudTrail data events of the state table (who read or wrote which item), as CloudWatch Logs',
        value: trail.logGroup.logGroupName,
      });
      new CfnOutput(this, 'StateTableTrailBucketName', {
        description: 'CloudTrail data events of the state table: the trail\'s log files (log-file validation on)',
        value: trail.bucket.bucketName,
      });
    }

    const roles = new OperatorPolicies(this, 'OperatorPolicies', {
      siteName: site.name,
      table: this.controller.table,
      encryptionKey: this.key,
      controllerFunction: this.controller.function,
      auditLogGroup: this.controller.auditLogGroup,
      auditLogStreamArn: auditLogStreamArn(this.controller.auditLogGroup),
    });
    for (const [output, policy, allows] of [
      ['ReadOnlyPolicyArn', roles.readOnly, 'medlb status, medlb audit'],
      ['OperatorPolicyArn', roles.operator, 'status, audit, drain/halt/online, windows, pin, failback, medlb run'],
      ['AdministratorPolicyArn', roles.administrator, 'cdk deploy and medlb diff of this stack'],
    ] as const) {
      new CfnOutput(this, output, { description: `IAM managed policy to attach for: ${allows} (docs/deploying.md)`, value: policy.managedPolicyArn });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      siteName: site.name,
      services: [
        ...site.services.map((service) => {
          // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- every service got its TcpService in the loop above, by label
          const tcp = services.get(service.label)!;
          return {
            kind: 'nlb' as const,
            name: service.label,
            loadBalancer: tcp.loadBalancer,
            targetGroups: tcp.targetGroups.map((group) => group.targetGroup),
            ports: tcp.targetGroups.map((group) => group.listenerPort),
            vips: tcp.vipAddresses,
            targets: service.realServers.map((server) => server.label),
            mode: service.mode,
            probeCommand: medlbProbeCommand(service.healthCheck),
            sourceNatToOnPremises: !service.transparent && service.realServers.some((server) => server.onPremises),
          };
        }),
        ...(site.viewer && this.viewer
          ? [{
              kind: 'alb' as const,
              name: site.viewer.label,
              loadBalancer: this.viewer.loadBalancer,
              targetGroups: [this.viewer.targetGroup],
              ports: [this.viewer.listenerPort],
              vips: this.viewer.staticVipAddresses.length > 0 ? this.viewer.staticVipAddresses : [this.viewer.dnsName],
              targets: site.viewer.realServers.map((server) => server.label),
              mode: site.viewer.mode,
              probeCommand: medlbProbeCommand(site.viewer.healthCheck),
            }]
          : []),
      ],
      controllerFunction: this.controller.function,
      controllerIntervalSeconds: site.controller.intervalSeconds,
      settings: site.monitoring,
      existingTopicArn: site.notifications.existingTopicArn,
      emails: site.notifications.emails,
      encryptionKey: this.key,
    });
  }
}
