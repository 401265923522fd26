import {
  Duration,
  Stack,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type ControllerMetricName } from '../../contract/metrics';
import { DEFAULT_CONTROLLER_INTERVAL_SECONDS } from '../site/site-defaults';
import { AlarmWindow, MonitoringSettings, MonitoringSettingsInput, monitoringSchema } from '../site/monitoring-schema';
import { DASHBOARD_TITLE, DEFAULT_DASHBOARD_RANGE_HOURS } from './monitoring-defaults';
import { ProblemList } from './validation';

/** What every monitored service has, whatever its load balancer. */
export interface MonitoredServiceBase {
  /** Service label: the `Service` dimension of the controller's metrics (e.g. `DICOM-Modalities`). */
  readonly name: string;
  /** VIP addresses (or DNS names) clients use, for the dashboard header. */
  readonly vips: readonly string[];
  /** Listener ports, one per target group and in the same order. */
  readonly ports: readonly number[];
  /** Real server names: the `Target` dimension (per-server widgets and alarms). */
  readonly targets: readonly string[];
  /** Mode shown in the header (`balanced` or `failover`). @default - not shown */
  readonly mode?: string;
  /** The `medlb probe` command that checks one server, with `<server-ip>` as placeholder. @default - a generic hint */
  readonly probeCommand?: string;
}

/** A TCP service on an NLB. */
export interface MonitoredNlbService extends MonitoredServiceBase {
  /** Network load balancer. */
  readonly kind: 'nlb';
  /** The NLB: flow, reset and fail-open (UnhealthyRoutingFlowCount) metrics. */
  readonly loadBalancer: elbv2.INetworkLoadBalancer;
  /** One target group per port, each attached to a listener of `loadBalancer`. */
  readonly targetGroups: readonly elbv2.INetworkTargetGroup[];
}

/** An HTTPS service (the viewer) on an ALB. */
export interface MonitoredAlbService extends MonitoredServiceBase {
  /** Application load balancer. */
  readonly kind: 'alb';
  /** The ALB. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** One target group per port, each attached to a listener of `loadBalancer`. */
  readonly targetGroups: readonly elbv2.IApplicationTargetGroup[];
}

/** A service the controller balances, with its load balancer. */
export type MonitoredService = MonitoredNlbService | MonitoredAlbService;

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /** Site name: the `Site` metric dimension, and the prefix of alarm, topic and dashboard names. */
  readonly siteName: string;
  /** Every service of the site (viewer included). */
  readonly services: readonly MonitoredService[];
  /** The controller function (errors, throttles). */
  readonly controllerFunction: lambda.IFunction;
  /** Seconds between controller rounds (the round-duration threshold is a fraction of it). @default 10 */
  readonly controllerIntervalSeconds?: number;
  /** Alarm periods, windows and thresholds (validated with `monitoringSchema`). @default - every default */
  readonly settings?: MonitoringSettingsInput;
  /** Topic for alarm and OK notifications. @default - a new topic encrypted with `encryptionKey` (or `existingTopicArn`) */
  readonly topic?: sns.ITopic;
  /** ARN of an existing topic to notify instead of creating one; its key must let CloudWatch publish. @default - a new topic */
  readonly existingTopicArn?: string;
  /** E-mail addresses subscribed to the topic. @default - none */
  readonly emails?: readonly string[];
  /** Key of the new topic; its policy gets a narrow grant for CloudWatch. Required when no topic is given. @default - none */
  readonly encryptionKey?: kms.IKey;
}

/** How urgent an alarm is; it leads the alarm's name, so it is in every e-mail subject. */
export type AlarmSeverity = 'CRITICAL' | 'WARNING';

/** One alarm of the site and what it watches. */
export interface MonitoringAlarm {
  /** The CloudWatch alarm. */
  readonly alarm: cloudwatch.Alarm;
  /** How urgent it is. */
  readonly severity: AlarmSeverity;
  /** What it watches: a service label, `<service>:<listener port>`, `<service>/<server>`, or `controller`. */
  readonly subject: string;
  /** Short kind, e.g. `outage`, `heartbeat` (the runbook's section). */
  readonly kind: string;
}

/** Runbook of every alarm (docs/operating.md); alarm descriptions point at its sections. */
const RUNBOOK = 'docs/operating.md';

/**
 * Alarms, notifications and the "System Overview" dashboard of one medlb site.
 *
 * Built with plain aws-cloudwatch rather than cdk-monitoring-constructs: every alarm here needs its own runbook
 * description, an explicit missing-data treatment and the exact §3.4 dimension sets of the controller's EMF
 * metrics, and the dashboard mixes those with per-target-group NLB/ALB metrics in one body; the library's facade
 * names and describes alarms by its own conventions and monitors one NLB + one target group per section.
 */
export class Monitoring extends Construct {
  /** The topic that receives alarm and OK notifications. */
  public readonly topic: sns.ITopic;
  /** Every alarm, in creation order (services in order, then the controller). */
  public readonly alarms: readonly MonitoringAlarm[];
  /** The System Overview dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The settings in force (every default resolved). */
  public readonly settings: MonitoringSettings;

  private readonly siteName: string;
  private readonly period: Duration;
  private readonly alarmAction: cloudwatch.IAlarmAction;
  private readonly createdAlarms: MonitoringAlarm[] = [];
  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const parsed = validateProps(props);
    parsed.problems.throwIfAny(`Monitoring (${this.node.path})`);
    this.settings = parsed.settings!;
    this.siteName = props.siteName;
    this.period = Duration.seconds(this.settings.periodSeconds);
    this.stackName = Stack.of(this).stackName;

    this.topic = this.notificationTopic(props);
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    this.alarmAction = new cloudwatchActions.SnsAction(this.topic);

    const intervalSeconds = props.controllerIntervalSeconds ?? DEFAULT_CONTROLLER_INTERVAL_SECONDS;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `medlb-${props.siteName}-${DASHBOARD_TITLE.replace(/ /g, '-')}`,
      defaultInterval: Duration.hours(DEFAULT_DASHBOARD_RANGE_HOURS),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# medlb ${props.siteName} — ${DASHBOARD_TITLE}\n` +
          'Each virtual service with its real servers (1 = last probe passed), its load balancer, then the health controller. ' +
          `Now: \`npx medlb status --stack ${this.stackName}\` · what each alarm means and what to do: ${RUNBOOK}`,
        width: 24,
        height: 2,
      }),
    );
    for (const service of props.services) this.monitorService(service);
    this.monitorController(props.controllerFunction, intervalSeconds);
    this.alarms = this.createdAlarms;
  }

  // ---- notifications ------------------------------------------------------------------------------

  private notificationTopic(props: MonitoringProps): sns.ITopic {
    if (props.topic) return props.topic;
    if (props.existingTopicArn) return sns.Topic.fromTopicArn(this, 'AlarmTopic', props.existingTopicArn);
    const stack = Stack.of(this);
    const key = props.encryptionKey!;
    const topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `medlb-${props.siteName}-alarms`,
      displayName: `medlb ${props.siteName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // CloudWatch publishes as a service principal: it needs the topic key, and only for this site's alarms
    // in this account and region (confused-deputy guard). SNS docs: "compatibility with AWS services".
    const alarmArnPattern = `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${this.alarmNamePrefix()}*`;
    const fromThisSitesAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': alarmArnPattern },
    };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `CloudWatchAlarmsOf${props.siteName.replace(/-/g, '')}UseTheAlarmTopicKey`,
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisSitesAlarms,
      }),
    );
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromThisSitesAlarms,
      }),
    );
    return topic;
  }

  private alarmNamePrefix(): string {
    return `medlb-${this.siteName}-`;
  }

  // ---- services -----------------------------------------------------------------------------------

  private monitorService(service: MonitoredService): void {
    const scope = new Construct(this, service.name);
    const settings = this.settings;
    const before = this.createdAlarms.length;
    const status = `npx medlb status --stack ${this.stackName}`;
    const probe = service.probeCommand ?? 'npx medlb probe <protocol> <server-ip>:<port>';
    const where = `${service.name} (VIP ${service.vips.join(', ')}, ports ${service.ports.join(', ')})`;

    this.addAlarm(scope, 'Outage', {
      severity: 'CRITICAL',
      subject: service.name,
      kind: 'outage',
      metric: this.serviceMetric(service.name, 'TargetsRoutable', 'Maximum'),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      window: settings.outage,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      description:
        `${where} has NO real server that ELB reports healthy: clients of the VIP are refused. ` +
        `Run \`${status}\` (which servers are down, drained or halted?), then \`${probe}\` for each. ` +
        `If servers were drained or halted by mistake: \`npx medlb online ${service.name}/<server> --stack ${this.stackName}\`. ` +
        'Otherwise check the servers and the path to them (security groups, VPN/Direct Connect). ' +
        'Missing data keeps the state (a silent controller raises the heartbeat alarm).',
    });
    this.addAlarm(scope, 'ReplacementNotHealthy', {
      severity: 'WARNING',
      subject: service.name,
      kind: 'replacement-not-healthy',
      metric: this.serviceMetric(service.name, 'TargetsAwaitingHealthy', 'Maximum'),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      window: settings.replacementNotHealthy,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      description:
        `${where}: a planned switch (failback, drain, replaced server) is waiting: the old server stays registered ` +
        'because its replacement is not healthy in ELB. Traffic still flows. ' +
        `Run \`${status}\` (what is kept, for which replacement, in which ELB state), then ` +
        '`aws elbv2 describe-target-health --target-group-arn <arn>` for the reason: usually the NLB cannot reach the ' +
        "replacement's check port (security group, route, firewall). To force the switch: " +
        `\`npx medlb halt ${service.name}/<old server> --stack ${this.stackName} --reason "..."\`.`,
    });
    this.addAlarm(scope, 'Redundancy', {
      severity: 'WARNING',
      subject: service.name,
      kind: 'redundancy',
      metric: new cloudwatch.MathExpression({
        expression: 'expected - up',
        usingMetrics: {
          up: this.serviceMetric(service.name, 'TargetsUp', 'Maximum'),
          expected: this.serviceMetric(service.name, 'TargetsExpected', 'Minimum'),
        },
        label: 'servers expected but not up',
        period: this.period,
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      window: settings.redundancy,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      description:
        `${where}: fewer real servers are up than expected (TargetsUp < TargetsExpected); it still serves, without spare. ` +
        `Run \`${status}\` to see which server is down and why, and \`${probe}\` to check it. ` +
        `Planned work? Drain it first: \`npx medlb drain ${service.name}/<server> --stack ${this.stackName} --reason "..."\` ` +
        '(a drained server is not expected, so this clears).',
    });
    this.addAlarm(scope, 'FailOpen', {
      severity: 'CRITICAL',
      subject: service.name,
      kind: 'fail-open',
      metric: this.serviceMetric(service.name, 'FailOpen', 'Maximum'),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      window: settings.failOpen,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      description:
        `${where}: EVERY real server fails its protocol probe; the controller keeps the registrations (fail-open) ` +
        'so traffic still flows to servers that may not answer. ' +
        `Run \`${probe}\` against each server: the reason names the failing step (refused, AE rejected, no ACK...). ` +
        'All failing at once points at the network path, the controller security group, or a changed AE title/check. ' +
        `\`${status}\` shows the last verdicts.`,
    });
    if (settings.perTargetAlarms.enabled) {
      for (const target of service.targets) {
        this.addAlarm(scope, `ProbeSuccess-${target}`, {
          severity: 'WARNING',
          subject: `${service.name}/${target}`,
          kind: 'real-server',
          metric: this.medlbMetric('ProbeSuccess', { Site: this.siteName, Service: service.name, Target: target }, 'Maximum'),
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          threshold: 1,
          window: settings.perTargetAlarms,
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
          description:
            `Real server ${target} of ${where} failed every protocol probe for ${settings.perTargetAlarms.datapointsToAlarm} ` +
            `period(s). Run \`${probe}\` with ${target}'s address for the reason, and \`${status}\`. ` +
            `To take it out on purpose: \`npx medlb drain ${service.name}/${target} --stack ${this.stackName} --reason "..."\`.`,
        });
      }
    }

    if (service.kind === 'nlb') this.monitorNlb(scope, service, where);
    else this.monitorAlb(scope, service, where);

    this.addServiceWidgets(service, this.createdAlarms.slice(before).map((entry) => entry.alarm));
  }

  private monitorNlb(scope: Construct, service: MonitoredNlbService, where: string): void {
    service.targetGroups.forEach((targetGroup, index) => {
      const port = service.ports[index];
      this.addAlarm(scope, `UnhealthyHosts${port}`, {
        severity: 'WARNING',
        subject: `${service.name}:${port}`,
        kind: 'nlb-unhealthy-hosts',
        // Minimum across the NLB's nodes: one node's passing view does not make a target unhealthy (AWS guidance).
        metric: targetGroup.metrics.unHealthyHostCount({ statistic: 'Minimum', period: this.period }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        window: this.settings.nlbUnhealthyHosts,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `${where}, port ${port}: the NLB's own TCP health check finds a registered server unhealthy although ` +
          'the controller registered it (its protocol probe passed, or fail-open keeps it). Look at the target group in ' +
          "the console or `aws elbv2 describe-target-health`: usually the server's firewall or the NLB security group " +
          `blocks the health-check port. \`npx medlb status --stack ${this.stackName}\` shows both views.`,
      });
    });
    this.addAlarm(scope, 'NlbFailOpen', {
      severity: 'CRITICAL',
      subject: service.name,
      kind: 'nlb-fail-open',
      metric: service.loadBalancer.metrics.custom('UnhealthyRoutingFlowCount', { statistic: 'Sum', period: this.period }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      window: this.settings.nlbFailOpen,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `${where}: the NLB routes flows with its fail-open (UnhealthyRoutingFlowCount > 0) because every registered ` +
        'target fails its TCP health check: clients reach servers that do not answer. Treat as an outage: ' +
        `\`npx medlb status --stack ${this.stackName}\`, probe each server, check the path to the servers.`,
    });
  }

  private monitorAlb(scope: Construct, service: MonitoredAlbService, where: string): void {
    const settings = this.settings;
    service.targetGroups.forEach((targetGroup, index) => {
      const port = service.ports[index];
      this.addAlarm(scope, `Target5xxRate${port}`, {
        severity: 'WARNING',
        subject: `${service.name}:${port}`,
        kind: 'alb-5xx',
        metric: new cloudwatch.MathExpression({
          // 5xx counts are only reported when non-zero; quiet periods give no verdict.
          expression: `IF(requests >= ${settings.alb5xxRate.minimumRequests}, 100 * FILL(errors, 0) / requests, 0)`,
          usingMetrics: {
            errors: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum', period: this.period }),
            requests: targetGroup.metrics.requestCount({ statistic: 'Sum', period: this.period }),
          },
          label: 'target 5xx (% of requests)',
          period: this.period,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: settings.alb5xxRate.thresholdPercent,
        window: settings.alb5xxRate,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `${where}: more than ${settings.alb5xxRate.thresholdPercent}% of requests get a 5xx from the viewer servers. ` +
          "Check the viewer application's logs and its back end (PACS, database); the ALB access logs name the server " +
          `(target:port) per request. If one server is bad, drain it: \`npx medlb drain ${service.name}/<server> --stack ${this.stackName} --reason "..."\`.`,
      });
      this.addAlarm(scope, `ResponseTimeP99${port}`, {
        severity: 'WARNING',
        subject: `${service.name}:${port}`,
        kind: 'alb-latency',
        metric: targetGroup.metrics.targetResponseTime({ statistic: 'p99', period: this.period }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: settings.albResponseTime.p99Seconds,
        window: settings.albResponseTime,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `${where}: the slowest 1% of viewer responses take more than ${settings.albResponseTime.p99Seconds} s ` +
          '(TargetResponseTime p99). Check load and storage latency on the viewer servers and their PACS back end; the ' +
          `ALB access logs show which server is slow; \`npx medlb status --stack ${this.stackName}\` shows probe latency per server.`,
      });
      this.addAlarm(scope, `HealthyHosts${port}`, {
        severity: 'CRITICAL',
        subject: `${service.name}:${port}`,
        kind: 'alb-healthy-hosts',
        metric: targetGroup.metrics.healthyHostCount({ statistic: 'Maximum', period: this.period }),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 1,
        window: settings.albHealthyHosts,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `${where}: the ALB's own health check finds no healthy viewer server: viewer users get 503. ` +
          `Run \`npx medlb status --stack ${this.stackName}\` and \`${service.probeCommand ?? 'npx medlb probe https <server-ip>:443 --path /'}\`; ` +
          'if the controller sees them healthy, the ALB health-check path or the ALB security group is wrong.',
      });
    });
  }

  // ---- controller ---------------------------------------------------------------------------------

  private monitorController(fn: lambda.IFunction, intervalSeconds: number): void {
    const scope = new Construct(this, 'Controller');
    const settings = this.settings;
    const before = this.createdAlarms.length;
    const logs = `the controller's log group (function ${fn.functionName})`;
    const roundThresholdMs = Math.round(settings.roundDuration.fractionOfInterval * intervalSeconds * 1000);

    this.addAlarm(scope, 'Heartbeat', {
      severity: 'CRITICAL',
      subject: 'controller',
      kind: 'heartbeat',
      metric: this.siteMetric('Heartbeat', 'Sum'),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      window: settings.heartbeat,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      description:
        `The medlb controller of site ${this.siteName} completed no round for ${settings.heartbeat.datapointsToAlarm} period(s): ` +
        'nobody is health-checking the real servers, so a failed server stays registered (traffic itself still flows). ' +
        `Check ${logs}, its Errors/Throttles, the EventBridge schedule rule (enabled?) and the function's reserved concurrency. ` +
        `Meanwhile \`npx medlb reconcile --stack ${this.stackName}\` runs a round from a terminal.`,
    });
    this.addAlarm(scope, 'Errors', {
      severity: 'WARNING',
      subject: 'controller',
      kind: 'lambda-errors',
      metric: fn.metricErrors({ statistic: 'Sum', period: this.period }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      window: settings.controllerErrors,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `The medlb controller function of site ${this.siteName} failed an invocation (crash, timeout or bad config). ` +
        `Read ${logs} for the error; failed events go to its dead-letter queue. A config problem is fixed in the ` +
        `site file and redeployed; \`npx medlb reconcile --stack ${this.stackName} --dry-run\` runs the same round from a terminal. ` +
        'Several failures in a row also raise the heartbeat alarm.',
    });
    this.addAlarm(scope, 'Throttles', {
      severity: 'WARNING',
      subject: 'controller',
      kind: 'lambda-throttles',
      metric: fn.metricThrottles({ statistic: 'Sum', period: this.period }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      window: settings.controllerThrottles,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `The medlb controller of site ${this.siteName} is throttled in ${settings.controllerThrottles.datapointsToAlarm} of ` +
        `${settings.controllerThrottles.evaluationPeriods} periods (one collision after a deploy is normal and ignored). ` +
        'Invocations overlap: is someone invoking it by hand in a loop, or does an invocation run past the next minute? ' +
        `Check its Duration and ${logs}; reserved concurrency must stay 1. \`npx medlb status --stack ${this.stackName}\` ` +
        'shows whether the servers are still tracked meanwhile.',
    });
    this.addAlarm(scope, 'RoundDuration', {
      severity: 'WARNING',
      subject: 'controller',
      kind: 'round-duration',
      metric: this.siteMetric('RoundDuration', 'Maximum'),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: roundThresholdMs,
      window: settings.roundDuration,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `medlb ${this.siteName} rounds take more than ${roundThresholdMs} ms of the ${intervalSeconds} s interval: ` +
        'checks and failover get slower. Usually many silent servers (each costs one probe timeout) or slow ELB calls. ' +
        `Find slow servers on the dashboard (probe latency) or with \`npx medlb status --stack ${this.stackName}\`; ` +
        'lower check timeouts or raise controller.intervalSeconds in the site file.',
    });
    this.addAlarm(scope, 'ElbErrors', {
      severity: 'WARNING',
      subject: 'controller',
      kind: 'elb-errors',
      metric: this.siteMetric('ElbErrors', 'Sum'),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      window: settings.elbErrors,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `The medlb controller of site ${this.siteName} gets errors from the ELB API (after retries): registrations may ` +
        `not follow the servers' health. Read ${logs} for the error (AccessDenied, TargetGroupNotFound, throttling, ` +
        'endpoint unreachable); check the ELBv2 VPC endpoint and the controller security group. ' +
        `\`npx medlb reconcile --stack ${this.stackName} --dry-run\` shows the same error from a terminal.`,
    });

    this.addControllerWidgets(fn, intervalSeconds, roundThresholdMs, this.createdAlarms.slice(before).map((entry) => entry.alarm));
  }

  // ---- alarms and metrics -------------------------------------------------------------------------

  private addAlarm(
    scope: Construct,
    id: string,
    spec: {
      readonly severity: AlarmSeverity;
      readonly subject: string;
      readonly kind: string;
      readonly metric: cloudwatch.IMetric;
      readonly comparisonOperator: cloudwatch.ComparisonOperator;
      readonly threshold: number;
      readonly window: AlarmWindow;
      readonly treatMissingData: cloudwatch.TreatMissingData;
      readonly description: string;
    },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmName: `${this.alarmNamePrefix()}${spec.severity}-${spec.subject.replace(/[/:]/g, '-')}-${spec.kind}`,
      alarmDescription: `${spec.severity}. ${spec.description} Runbook: ${RUNBOOK} (${spec.kind}).`,
      metric: spec.metric,
      comparisonOperator: spec.comparisonOperator,
      threshold: spec.threshold,
      evaluationPeriods: spec.window.evaluationPeriods,
      datapointsToAlarm: spec.window.datapointsToAlarm,
      treatMissingData: spec.treatMissingData,
      actionsEnabled: true,
    });
    alarm.addAlarmAction(this.alarmAction);
    alarm.addOkAction(this.alarmAction);
    this.createdAlarms.push({ alarm, severity: spec.severity, subject: spec.subject, kind: spec.kind });
    return alarm;
  }

  private medlbMetric(metricName: ControllerMetricName, dimensionsMap: Record<string, string>, statistic: string, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap, statistic, period: this.period, label });
  }

  private siteMetric(metricName: ControllerMetricName, statistic: string, label?: string): cloudwatch.Metric {
    return this.medlbMetric(metricName, { Site: this.siteName }, statistic, label);
  }

  private serviceMetric(service: string, metricName: ControllerMetricName, statistic: string, label?: string): cloudwatch.Metric {
    return this.medlbMetric(metricName, { Site: this.siteName, Service: service }, statistic, label);
  }

  private targetMetric(service: string, target: string, metricName: ControllerMetricName, statistic: string): cloudwatch.Metric {
    return this.medlbMetric(metricName, { Site: this.siteName, Service: service, Target: target }, statistic, target);
  }

  // ---- dashboard ----------------------------------------------------------------------------------

  private addServiceWidgets(service: MonitoredService, alarms: cloudwatch.IAlarm[]): void {
    const kind = service.kind === 'nlb' ? 'NLB (TCP)' : 'ALB (HTTPS)';
    const header = [
      `## ${service.name}`,
      `**${kind}**${service.mode ? ` · ${service.mode}` : ''} · VIP ${service.vips.map((vip) => `\`${vip}\``).join(', ')} · ports ${service.ports.join(', ')}`,
      `Real servers: ${service.targets.join(', ') || '(none)'}`,
      service.probeCommand ? `Check one: \`${service.probeCommand}\`` : '',
    ].filter((line) => line !== '');
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: header.join('\n\n'), width: 12, height: 4 }),
      new cloudwatch.AlarmStatusWidget({ title: `${service.name} alarms`, alarms, width: 12, height: 4 }),
    );

    const probeSuccess = service.targets.map((target) => this.targetMetric(service.name, target, 'ProbeSuccess', 'Minimum'));
    const trafficWidget =
      service.kind === 'nlb'
        ? new cloudwatch.GraphWidget({
            title: 'Flows (active avg, new per period)',
            left: [service.loadBalancer.metrics.activeFlowCount({ statistic: 'Average', period: this.period, label: 'ActiveFlowCount' })],
            right: [service.loadBalancer.metrics.newFlowCount({ statistic: 'Sum', period: this.period, label: 'NewFlowCount' })],
            width: 6,
            height: 6,
          })
        : new cloudwatch.GraphWidget({
            title: 'Requests and target 5xx',
            left: service.targetGroups.map((group, index) =>
              group.metrics.requestCount({ statistic: 'Sum', period: this.period, label: `requests :${service.ports[index]}` }),
            ),
            right: service.targetGroups.map((group, index) =>
              group.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
                statistic: 'Sum',
                period: this.period,
                label: `target 5xx :${service.ports[index]}`,
              }),
            ),
            width: 6,
            height: 6,
          });
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Real servers up now (1 = probe passed)',
        metrics: probeSuccess,
        width: 6,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Probe latency (ms)',
        left: service.targets.map((target) => this.targetMetric(service.name, target, 'ProbeLatency', 'Average')),
        leftYAxis: { min: 0, showUnits: false },
        width: 6,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Servers routable / in service / up / expected',
        left: [
          this.serviceMetric(service.name, 'TargetsRoutable', 'Minimum', 'routable (min)'),
          this.serviceMetric(service.name, 'TargetsInService', 'Minimum', 'in service (min)'),
          this.serviceMetric(service.name, 'TargetsUp', 'Minimum', 'up (min)'),
          this.serviceMetric(service.name, 'TargetsExpected', 'Maximum', 'expected (max)'),
        ],
        right: [
          this.serviceMetric(service.name, 'FailOpen', 'Maximum', 'fail-open'),
          this.serviceMetric(service.name, 'TargetsAwaitingHealthy', 'Maximum', 'awaiting healthy'),
        ],
        leftYAxis: { min: 0, showUnits: false },
        rightYAxis: { min: 0, showUnits: false },
        width: 6,
        height: 6,
      }),
      trafficWidget,
    );

    const upHistory = new cloudwatch.GraphWidget({
      title: 'Real servers up (ProbeSuccess, min per period)',
      left: probeSuccess,
      leftYAxis: { min: 0, max: 1, showUnits: false },
      width: 8,
      height: 6,
    });
    if (service.kind === 'nlb') {
      const lb = service.loadBalancer.metrics;
      this.dashboard.addWidgets(
        upHistory,
        new cloudwatch.GraphWidget({
          title: 'TCP resets',
          left: [
            lb.tcpTargetResetCount({ statistic: 'Sum', period: this.period, label: 'TCP_Target_Reset_Count' }),
            lb.tcpElbResetCount({ statistic: 'Sum', period: this.period, label: 'TCP_ELB_Reset_Count' }),
            lb.tcpClientResetCount({ statistic: 'Sum', period: this.period, label: 'TCP_Client_Reset_Count' }),
          ],
          width: 8,
          height: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'NLB target health and fail-open',
          left: service.targetGroups.flatMap((group, index) => [
            group.metrics.healthyHostCount({ statistic: 'Maximum', period: this.period, label: `healthy :${service.ports[index]}` }),
            group.metrics.unHealthyHostCount({ statistic: 'Minimum', period: this.period, label: `unhealthy :${service.ports[index]}` }),
          ]),
          right: [lb.custom('UnhealthyRoutingFlowCount', { statistic: 'Sum', period: this.period, label: 'UnhealthyRoutingFlowCount' })],
          leftYAxis: { min: 0, showUnits: false },
          width: 8,
          height: 6,
        }),
      );
    } else {
      this.dashboard.addWidgets(
        upHistory,
        new cloudwatch.GraphWidget({
          title: 'Target response time (s)',
          left: service.targetGroups.flatMap((group, index) => [
            group.metrics.targetResponseTime({ statistic: 'p50', period: this.period, label: `p50 :${service.ports[index]}` }),
            group.metrics.targetResponseTime({ statistic: 'p99', period: this.period, label: `p99 :${service.ports[index]}` }),
          ]),
          leftAnnotations: [{ value: this.settings.albResponseTime.p99Seconds, label: 'p99 alarm' }],
          width: 8,
          height: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'ALB target health',
          left: service.targetGroups.flatMap((group, index) => [
            group.metrics.healthyHostCount({ statistic: 'Maximum', period: this.period, label: `healthy :${service.ports[index]}` }),
            group.metrics.unhealthyHostCount({ statistic: 'Maximum', period: this.period, label: `unhealthy :${service.ports[index]}` }),
          ]),
          leftYAxis: { min: 0, showUnits: false },
          width: 8,
          height: 6,
        }),
      );
    }
  }

  private addControllerWidgets(fn: lambda.IFunction, intervalSeconds: number, roundThresholdMs: number, alarms: cloudwatch.IAlarm[]): void {
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `## Health controller\n\nOne Lambda, every minute, a round every ${intervalSeconds} s: probes every real server, ` +
          `registers/deregisters. Heartbeat = completed rounds. Logs: function \`${fn.functionName}\`.`,
        width: 12,
        height: 4,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Controller alarms', alarms, width: 12, height: 4 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Heartbeat (rounds per period)',
        left: [this.siteMetric('Heartbeat', 'Sum', 'rounds')],
        leftYAxis: { min: 0, showUnits: false },
        width: 6,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Round duration (ms)',
        left: [this.siteMetric('RoundDuration', 'Maximum', 'max'), this.siteMetric('RoundDuration', 'Average', 'average')],
        leftAnnotations: [
          { value: roundThresholdMs, label: 'alarm' },
          { value: intervalSeconds * 1000, label: 'interval' },
        ],
        leftYAxis: { min: 0, showUnits: false },
        width: 6,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'ELB register/deregister calls and errors',
        left: [this.siteMetric('ElbWrites', 'Sum', 'ElbWrites'), this.siteMetric('ElbErrors', 'Sum', 'ElbErrors')],
        leftYAxis: { min: 0, showUnits: false },
        width: 6,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda invocations, errors, throttles',
        left: [
          fn.metricInvocations({ statistic: 'Sum', period: this.period, label: 'invocations' }),
          fn.metricErrors({ statistic: 'Sum', period: this.period, label: 'errors' }),
          fn.metricThrottles({ statistic: 'Sum', period: this.period, label: 'throttles' }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        width: 6,
        height: 6,
      }),
    );
  }
}

/** Every problem with the props at once; the resolved settings when they parse. */
function validateProps(props: MonitoringProps): { problems: ProblemList; settings?: MonitoringSettings } {
  const problems = new ProblemList();
  problems.check(/^[A-Za-z0-9-]{1,32}$/.test(props.siteName), `siteName: "${props.siteName}" must be 1–32 letters, digits or "-"`);
  const given = [props.topic, props.existingTopicArn].filter((value) => value !== undefined).length;
  problems.check(given <= 1, 'topic and existingTopicArn: give at most one');
  problems.check(
    given === 1 || props.encryptionKey !== undefined,
    'encryptionKey: required to create the alarm topic (alarm notifications are encrypted); or give topic/existingTopicArn',
  );
  const interval = props.controllerIntervalSeconds;
  if (interval !== undefined) problems.check(Number.isFinite(interval) && interval > 0, `controllerIntervalSeconds: ${interval} must be positive`);

  const names = new Set<string>();
  props.services.forEach((service, index) => {
    const path = `services[${index}] (${service.name})`;
    problems.check(/^[A-Za-z0-9-]{1,32}$/.test(service.name), `${path}.name: must be 1–32 letters, digits or "-"`);
    problems.check(!names.has(service.name), `${path}.name: "${service.name}" is used twice`);
    names.add(service.name);
    problems.check(service.targetGroups.length > 0, `${path}.targetGroups: at least one target group is required`);
    problems.check(
      service.ports.length === service.targetGroups.length,
      `${path}.ports: ${service.ports.length} port(s) for ${service.targetGroups.length} target group(s); give one port per target group, in order`,
    );
    problems.check(new Set(service.ports).size === service.ports.length, `${path}.ports: a port is listed twice`);
    const targets = new Set<string>();
    for (const target of service.targets) {
      problems.check(!targets.has(target), `${path}.targets: "${target}" is listed twice`);
      problems.check(!target.includes('/'), `${path}.targets: "${target}" must not contain "/"`);
      targets.add(target);
    }
  });

  const parsed = monitoringSchema.safeParse(props.settings ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.add(`settings.${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return { problems };
  }
  return { problems, settings: parsed.data };
}
