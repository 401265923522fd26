/**
 * The alarm catalogue of a medlb site: which alarms each service, load balancer and the controller get, their
 * thresholds and windows (from the site's monitoring settings) and the runbook text every description carries
 * (what it means, what to run first). The alarms are built by the factory (monitoring-alarm-factory.ts).
 */
import { aws_cloudwatch as cloudwatch, aws_elasticloadbalancingv2 as elbv2, aws_lambda as lambda } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { roundDurationThresholdMs, type MonitoringContext } from './monitoring-alarm-factory';
import type { MonitoredAlbService, MonitoredNlbService, MonitoredService } from './monitoring-types';
import { addOverrideAlarms } from './monitoring-override-alarms';

/** The alarms of one service (its own scope), with runbook text; returns them for the dashboard. */
export function addServiceAlarms(ctx: MonitoringContext, service: MonitoredService): cloudwatch.IAlarm[] {
  const scope = new Construct(ctx.owner, service.name);
  const settings = ctx.settings;
  const before = ctx.createdAlarms.length;
  const status = `npx medlb status --stack ${ctx.stackName}`;
  const probe = service.probeCommand ?? 'npx medlb probe <protocol> <server-ip>:<port>';
  const where = `${service.name} (VIP ${service.vips.join(', ')}, ports ${service.ports.join(', ')})`;

  ctx.addAlarm(scope, 'Outage', {
    severity: 'CRITICAL',
    subject: service.name,
    kind: 'outage',
    metric: ctx.serviceMetric(service.name, 'TargetsRoutable', 'Maximum'),
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    threshold: 1,
    window: settings.outage,
    treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    description:
      `${where} has NO real server that ELB reports healthy: clients of the VIP are refused. ` +
      `Run \`${status}\` (which servers are down, drained or halted?), then \`${probe}\` for each. ` +
      `If servers were drained or halted by mistake: \`npx medlb online ${service.name}/<server> --stack ${ctx.stackName}\`. ` +
      'Otherwise check the servers and the path to them (security groups, VPN/Direct Connect). ' +
      'Missing data keeps the state (a silent controller raises the heartbeat alarm).',
  });
  ctx.addAlarm(scope, 'ReplacementNotHealthy', {
    severity: 'WARNING',
    subject: service.name,
    kind: 'replacement-not-healthy',
    metric: ctx.serviceMetric(service.name, 'TargetsAwaitingHealthy', 'Maximum'),
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
      `\`npx medlb halt ${service.name}/<old server> --stack ${ctx.stackName} --reason "..."\`.`,
  });
  ctx.addAlarm(scope, 'Redundancy', {
    severity: 'WARNING',
    subject: service.name,
    kind: 'redundancy',
    metric: new cloudwatch.MathExpression({
      expression: 'expected - up',
      usingMetrics: {
        up: ctx.serviceMetric(service.name, 'TargetsUp', 'Maximum'),
        expected: ctx.serviceMetric(service.name, 'TargetsExpected', 'Minimum'),
      },
      label: 'servers expected but not up',
      period: ctx.period,
    }),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 0,
    window: settings.redundancy,
    treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    description:
      `${where}: fewer real servers are up than expected (TargetsUp < TargetsExpected); it still serves, without spare. ` +
      `Run \`${status}\` to see which server is down and why, and \`${probe}\` to check it. ` +
      `Planned work? Drain it first: \`npx medlb drain ${service.name}/<server> --stack ${ctx.stackName} --reason "..."\` ` +
      '(a drained server is not expected, so this clears).',
  });
  ctx.addAlarm(scope, 'FailOpen', {
    severity: 'CRITICAL',
    subject: service.name,
    kind: 'fail-open',
    metric: ctx.serviceMetric(service.name, 'FailOpen', 'Maximum'),
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
      ctx.addAlarm(scope, `ProbeSuccess-${target}`, {
        severity: 'WARNING',
        subject: `${service.name}/${target}`,
        kind: 'real-server',
        metric: ctx.medlbMetric('ProbeSuccess', { Site: ctx.siteName, Service: service.name, Target: target }, 'Maximum'),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 1,
        window: settings.perTargetAlarms,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        description:
          `Real server ${target} of ${where} failed every protocol probe for ${settings.perTargetAlarms.datapointsToAlarm} ` +
          `period(s). Run \`${probe}\` with ${target}'s address for the reason, and \`${status}\`. ` +
          `To take it out on purpose: \`npx medlb drain ${service.name}/${target} --stack ${ctx.stackName} --reason "..."\`.`,
      });
    }
  }

  addOverrideAlarms(ctx, scope, service, where);
  if (service.kind === 'nlb') addNlbAlarms(ctx, scope, service, where);
  else addAlbAlarms(ctx, scope, service, where);
  return ctx.alarmsSince(before);
}

function addNlbAlarms(ctx: MonitoringContext, scope: Construct, service: MonitoredNlbService, where: string): void {
  service.targetGroups.forEach((targetGroup, index) => {
    const port = service.ports[index];
    ctx.addAlarm(scope, `UnhealthyHosts${port}`, {
      severity: 'WARNING',
      subject: `${service.name}:${port}`,
      kind: 'nlb-unhealthy-hosts',
      // Minimum across the NLB's nodes: one node's passing view does not make a target unhealthy (AWS guidance).
      metric: targetGroup.metrics.unHealthyHostCount({ statistic: 'Minimum', period: ctx.period }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      window: ctx.settings.nlbUnhealthyHosts,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `${where}, port ${port}: the NLB's own TCP health check finds a registered server unhealthy although ` +
        'the controller registered it (its protocol probe passed, or fail-open keeps it). Look at the target group in ' +
        "the console or `aws elbv2 describe-target-health`: usually the server's firewall or the NLB security group " +
        `blocks the health-check port. \`npx medlb status --stack ${ctx.stackName}\` shows both views.`,
    });
  });
  ctx.addAlarm(scope, 'NlbFailOpen', {
    severity: 'CRITICAL',
    subject: service.name,
    kind: 'nlb-fail-open',
    metric: service.loadBalancer.metrics.custom('UnhealthyRoutingFlowCount', { statistic: 'Sum', period: ctx.period }),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 0,
    window: ctx.settings.nlbFailOpen,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      `${where}: the NLB routes flows with its fail-open (UnhealthyRoutingFlowCount > 0) because every registered ` +
      'target fails its TCP health check: clients reach servers that do not answer. Treat as an outage: ' +
      `\`npx medlb status --stack ${ctx.stackName}\`, probe each server, check the path to the servers.`,
  });
  if (service.sourceNatToOnPremises) addPortAllocationAlarm(ctx, scope, service, where);
}

/** Source NAT to on-premises servers: the NLB runs out of source ports (README: NLB limits, AWS-FACTS §5). */
function addPortAllocationAlarm(ctx: MonitoringContext, scope: Construct, service: MonitoredNlbService, where: string): void {
  ctx.addAlarm(scope, 'PortAllocationErrors', {
    severity: 'CRITICAL',
    subject: service.name,
    kind: 'nlb-port-allocation',
    // Reported only when non-zero, per LoadBalancer: a sum over the period.
    metric: service.loadBalancer.metrics.custom('PortAllocationErrorCount', { statistic: 'Sum', period: ctx.period }),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 0,
    window: ctx.settings.nlbPortAllocationErrors,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      `${where}: the NLB could not allocate a source port for new connections to its on-premises servers ` +
      '(PortAllocationErrorCount > 0): with client-IP preservation off each NLB address has about 55,000 ports per ' +
      'minute per server address and port, and new associations are refused beyond that. Find the clients opening ' +
      'connections in a loop (flow logs, NewFlowCount on the dashboard); spread the load over more real servers, or ' +
      "give the NLB more source addresses (load-balancer attribute secondary_ips.auto_assigned.per_subnet, which cannot be lowered again).",
  });
}

function addAlbAlarms(ctx: MonitoringContext, scope: Construct, service: MonitoredAlbService, where: string): void {
  const settings = ctx.settings;
  service.targetGroups.forEach((targetGroup, index) => {
    const port = service.ports[index];
    ctx.addAlarm(scope, `Target5xxRate${port}`, {
      severity: 'WARNING',
      subject: `${service.name}:${port}`,
      kind: 'alb-5xx',
      metric: new cloudwatch.MathExpression({
        // 5xx counts are only reported when non-zero; quiet periods give no verdict.
        expression: `IF(requests >= ${settings.alb5xxRate.minimumRequests}, 100 * FILL(errors, 0) / requests, 0)`,
        usingMetrics: {
          errors: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum', period: ctx.period }),
          requests: targetGroup.metrics.requestCount({ statistic: 'Sum', period: ctx.period }),
        },
        label: 'target 5xx (% of requests)',
        period: ctx.period,
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: settings.alb5xxRate.thresholdPercent,
      window: settings.alb5xxRate,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `${where}: more than ${settings.alb5xxRate.thresholdPercent}% of requests get a 5xx from the viewer servers. ` +
        "Check the viewer application's logs and its back end (PACS, database); the ALB access logs name the server " +
        `(target:port) per request. If one server is bad, drain it: \`npx medlb drain ${service.name}/<server> --stack ${ctx.stackName} --reason "..."\`.`,
    });
    ctx.addAlarm(scope, `ResponseTimeP99${port}`, {
      severity: 'WARNING',
      subject: `${service.name}:${port}`,
      kind: 'alb-latency',
      metric: targetGroup.metrics.targetResponseTime({ statistic: 'p99', period: ctx.period }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: settings.albResponseTime.p99Seconds,
      window: settings.albResponseTime,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `${where}: the slowest 1% of viewer responses take more than ${settings.albResponseTime.p99Seconds} s ` +
        '(TargetResponseTime p99). Check load and storage latency on the viewer servers and their PACS back end; the ' +
        `ALB access logs show which server is slow; \`npx medlb status --stack ${ctx.stackName}\` shows probe latency per server.`,
    });
    ctx.addAlarm(scope, `HealthyHosts${port}`, {
      severity: 'CRITICAL',
      subject: `${service.name}:${port}`,
      kind: 'alb-healthy-hosts',
      metric: targetGroup.metrics.healthyHostCount({ statistic: 'Maximum', period: ctx.period }),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      window: settings.albHealthyHosts,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        `${where}: the ALB's own health check finds no healthy viewer server: viewer users get 503. ` +
        `Run \`npx medlb status --stack ${ctx.stackName}\` and \`${service.probeCommand ?? 'npx medlb probe https <server-ip>:443 --path /'}\`; ` +
        'if the controller sees them healthy, the ALB health-check path or the ALB security group is wrong.',
    });
  });
}

/** The controller's alarms (scope `Controller`), with runbook text; returns them for the dashboard. */
export function addControllerAlarms(ctx: MonitoringContext, fn: lambda.IFunction, intervalSeconds: number): cloudwatch.IAlarm[] {
  const scope = new Construct(ctx.owner, 'Controller');
  const settings = ctx.settings;
  const before = ctx.createdAlarms.length;
  const logs = `the controller's log group (function ${fn.functionName})`;
  const roundThresholdMs = roundDurationThresholdMs(settings, intervalSeconds);

  ctx.addAlarm(scope, 'Heartbeat', {
    severity: 'CRITICAL',
    subject: 'controller',
    kind: 'heartbeat',
    metric: ctx.siteMetric('Heartbeat', 'Sum'),
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    threshold: 1,
    window: settings.heartbeat,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    description:
      `The medlb controller of site ${ctx.siteName} completed no round for ${settings.heartbeat.datapointsToAlarm} period(s): ` +
      'nobody is health-checking the real servers, so a failed server stays registered (traffic itself still flows). ' +
      `Check ${logs}, its Errors/Throttles, the EventBridge schedule rule (enabled?) and the function's reserved concurrency. ` +
      `Meanwhile \`npx medlb reconcile --stack ${ctx.stackName}\` runs a round from a terminal.`,
  });
  ctx.addAlarm(scope, 'Errors', {
    severity: 'WARNING',
    subject: 'controller',
    kind: 'lambda-errors',
    metric: fn.metricErrors({ statistic: 'Sum', period: ctx.period }),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 0,
    window: settings.controllerErrors,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      `The medlb controller function of site ${ctx.siteName} failed an invocation (crash, timeout or bad config). ` +
      `Read ${logs} for the error; failed events go to its dead-letter queue. A config problem is fixed in the ` +
      `site file and redeployed; \`npx medlb reconcile --stack ${ctx.stackName} --dry-run\` runs the same round from a terminal. ` +
      'Several failures in a row also raise the heartbeat alarm.',
  });
  ctx.addAlarm(scope, 'Throttles', {
    severity: 'WARNING',
    subject: 'controller',
    kind: 'lambda-throttles',
    metric: fn.metricThrottles({ statistic: 'Sum', period: ctx.period }),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 0,
    window: settings.controllerThrottles,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      `The medlb controller of site ${ctx.siteName} is throttled in ${settings.controllerThrottles.datapointsToAlarm} of ` +
      `${settings.controllerThrottles.evaluationPeriods} periods (one collision after a deploy is normal and ignored). ` +
      'Invocations overlap: is someone invoking it by hand in a loop, or does an invocation run past the next minute? ' +
      `Check its Duration and ${logs}; reserved concurrency must stay 1. \`npx medlb status --stack ${ctx.stackName}\` ` +
      'shows whether the servers are still tracked meanwhile.',
  });
  ctx.addAlarm(scope, 'RoundDuration', {
    severity: 'WARNING',
    subject: 'controller',
    kind: 'round-duration',
    metric: ctx.siteMetric('RoundDuration', 'Maximum'),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: roundThresholdMs,
    window: settings.roundDuration,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      `medlb ${ctx.siteName} rounds take more than ${roundThresholdMs} ms of the ${intervalSeconds} s interval: ` +
      'checks and failover get slower. Usually many silent servers (each costs one probe timeout) or slow ELB calls. ' +
      `Find slow servers on the dashboard (probe latency) or with \`npx medlb status --stack ${ctx.stackName}\`; ` +
      'lower check timeouts or raise controller.intervalSeconds in the site file.',
  });
  ctx.addAlarm(scope, 'ElbErrors', {
    severity: 'WARNING',
    subject: 'controller',
    kind: 'elb-errors',
    metric: ctx.siteMetric('ElbErrors', 'Sum'),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 0,
    window: settings.elbErrors,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      `The medlb controller of site ${ctx.siteName} gets errors from the ELB API (after retries): registrations may ` +
      `not follow the servers' health. Read ${logs} for the error (AccessDenied, TargetGroupNotFound, throttling, ` +
      'endpoint unreachable); check the ELBv2 VPC endpoint and the controller security group. ' +
      `\`npx medlb reconcile --stack ${ctx.stackName} --dry-run\` shows the same error from a terminal.`,
  });

  return ctx.alarmsSince(before);
}
