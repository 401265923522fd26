/**
 * The "System Overview" dashboard of a medlb site (the appliance's System Overview): a header, then per service
 * its alarms, probe results, server counts and load-balancer health, then the controller.
 */
import { Duration, aws_cloudwatch as cloudwatch, aws_elasticloadbalancingv2 as elbv2, aws_lambda as lambda } from 'aws-cdk-lib';
import { RUNBOOK, roundDurationThresholdMs, type MonitoringContext } from './monitoring-alarm-factory';
import type { Construct } from 'constructs';
import { DASHBOARD_TITLE, DEFAULT_DASHBOARD_RANGE_HOURS } from './monitoring-defaults';
import type { MonitoredService } from './monitoring-types';

/** The dashboard with its header row. */
export function createDashboard(owner: Construct, siteName: string, stackName: string): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(owner, 'Dashboard', {
    dashboardName: `medlb-${siteName}-${DASHBOARD_TITLE.replace(/ /g, '-')}`,
    defaultInterval: Duration.hours(DEFAULT_DASHBOARD_RANGE_HOURS),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown:
        `# medlb ${siteName} — ${DASHBOARD_TITLE}\n` +
        'Each virtual service with its real servers (1 = last probe passed), its load balancer, then the health controller. ' +
        `Now: \`npx medlb status --stack ${stackName}\` · what each alarm means and what to do: ${RUNBOOK}`,
      width: 24,
      height: 2,
    }),
  );
  return dashboard;
}

/** A service's rows: header and alarm status, probes and counts, load-balancer health. */
export function addServiceWidgets(ctx: MonitoringContext, service: MonitoredService, alarms: cloudwatch.IAlarm[]): void {
  const kind = service.kind === 'nlb' ? 'NLB (TCP)' : 'ALB (HTTPS)';
  const header = [
    `## ${service.name}`,
    `**${kind}**${service.mode ? ` · ${service.mode}` : ''} · VIP ${service.vips.map((vip) => `\`${vip}\``).join(', ')} · ports ${service.ports.join(', ')}`,
    `Real servers: ${service.targets.join(', ') || '(none)'}`,
    service.probeCommand ? `Check one: \`${service.probeCommand}\`` : '',
  ].filter((line) => line !== '');
  ctx.dashboard.addWidgets(
    new cloudwatch.TextWidget({ markdown: header.join('\n\n'), width: 12, height: 4 }),
    new cloudwatch.AlarmStatusWidget({ title: `${service.name} alarms`, alarms, width: 12, height: 4 }),
  );

  const probeSuccess = service.targets.map((target) => ctx.targetMetric(service.name, target, 'ProbeSuccess', 'Minimum'));
  const trafficWidget =
    service.kind === 'nlb'
      ? new cloudwatch.GraphWidget({
          title: 'Flows (active avg, new per period)',
          left: [service.loadBalancer.metrics.activeFlowCount({ statistic: 'Average', period: ctx.period, label: 'ActiveFlowCount' })],
          right: [service.loadBalancer.metrics.newFlowCount({ statistic: 'Sum', period: ctx.period, label: 'NewFlowCount' })],
          width: 6,
          height: 6,
        })
      : new cloudwatch.GraphWidget({
          title: 'Requests and target 5xx',
          left: service.targetGroups.map((group, index) =>
            group.metrics.requestCount({ statistic: 'Sum', period: ctx.period, label: `requests :${service.ports[index]}` }),
          ),
          right: service.targetGroups.map((group, index) =>
            group.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
              statistic: 'Sum',
              period: ctx.period,
              label: `target 5xx :${service.ports[index]}`,
            }),
          ),
          width: 6,
          height: 6,
        });
  ctx.dashboard.addWidgets(
    new cloudwatch.SingleValueWidget({
      title: 'Real servers up now (1 = probe passed)',
      metrics: probeSuccess,
      width: 6,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Probe latency (ms)',
      left: service.targets.map((target) => ctx.targetMetric(service.name, target, 'ProbeLatency', 'Average')),
      leftYAxis: { min: 0, showUnits: false },
      width: 6,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Servers routable / in service / up / expected',
      left: [
        ctx.serviceMetric(service.name, 'TargetsRoutable', 'Minimum', 'routable (min)'),
        ctx.serviceMetric(service.name, 'TargetsInService', 'Minimum', 'in service (min)'),
        ctx.serviceMetric(service.name, 'TargetsUp', 'Minimum', 'up (min)'),
        ctx.serviceMetric(service.name, 'TargetsExpected', 'Maximum', 'expected (max)'),
      ],
      right: [
        ctx.serviceMetric(service.name, 'FailOpen', 'Maximum', 'fail-open'),
        ctx.serviceMetric(service.name, 'TargetsAwaitingHealthy', 'Maximum', 'awaiting healthy'),
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
    ctx.dashboard.addWidgets(
      upHistory,
      new cloudwatch.GraphWidget({
        title: 'TCP resets',
        left: [
          lb.tcpTargetResetCount({ statistic: 'Sum', period: ctx.period, label: 'TCP_Target_Reset_Count' }),
          lb.tcpElbResetCount({ statistic: 'Sum', period: ctx.period, label: 'TCP_ELB_Reset_Count' }),
          lb.tcpClientResetCount({ statistic: 'Sum', period: ctx.period, label: 'TCP_Client_Reset_Count' }),
        ],
        width: 8,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'NLB target health and fail-open',
        left: service.targetGroups.flatMap((group, index) => [
          group.metrics.healthyHostCount({ statistic: 'Maximum', period: ctx.period, label: `healthy :${service.ports[index]}` }),
          group.metrics.unHealthyHostCount({ statistic: 'Minimum', period: ctx.period, label: `unhealthy :${service.ports[index]}` }),
        ]),
        right: [lb.custom('UnhealthyRoutingFlowCount', { statistic: 'Sum', period: ctx.period, label: 'UnhealthyRoutingFlowCount' })],
        leftYAxis: { min: 0, showUnits: false },
        width: 8,
        height: 6,
      }),
    );
  } else {
    ctx.dashboard.addWidgets(
      upHistory,
      new cloudwatch.GraphWidget({
        title: 'Target response time (s)',
        left: service.targetGroups.flatMap((group, index) => [
          group.metrics.targetResponseTime({ statistic: 'p50', period: ctx.period, label: `p50 :${service.ports[index]}` }),
          group.metrics.targetResponseTime({ statistic: 'p99', period: ctx.period, label: `p99 :${service.ports[index]}` }),
        ]),
        leftAnnotations: [{ value: ctx.settings.albResponseTime.p99Seconds, label: 'p99 alarm' }],
        width: 8,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'ALB target health',
        left: service.targetGroups.flatMap((group, index) => [
          group.metrics.healthyHostCount({ statistic: 'Maximum', period: ctx.period, label: `healthy :${service.ports[index]}` }),
          group.metrics.unhealthyHostCount({ statistic: 'Maximum', period: ctx.period, label: `unhealthy :${service.ports[index]}` }),
        ]),
        leftYAxis: { min: 0, showUnits: false },
        width: 8,
        height: 6,
      }),
    );
  }
}

/** The controller's rows: heartbeat, round duration, ELB calls, Lambda invocations. */
export function addControllerWidgets(ctx: MonitoringContext, fn: lambda.IFunction, intervalSeconds: number, alarms: cloudwatch.IAlarm[]): void {
  const roundThresholdMs = roundDurationThresholdMs(ctx.settings, intervalSeconds);
  ctx.dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown:
        `## Health controller\n\nOne Lambda, every minute, a round every ${intervalSeconds} s: probes every real server, ` +
        `registers/deregisters. Heartbeat = completed rounds. Logs: function \`${fn.functionName}\`.`,
      width: 12,
      height: 4,
    }),
    new cloudwatch.AlarmStatusWidget({ title: 'Controller alarms', alarms, width: 12, height: 4 }),
  );
  ctx.dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Heartbeat (rounds per period)',
      left: [ctx.siteMetric('Heartbeat', 'Sum', 'rounds')],
      leftYAxis: { min: 0, showUnits: false },
      width: 6,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Round duration (ms)',
      left: [ctx.siteMetric('RoundDuration', 'Maximum', 'max'), ctx.siteMetric('RoundDuration', 'Average', 'average')],
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
      left: [ctx.siteMetric('ElbWrites', 'Sum', 'ElbWrites'), ctx.siteMetric('ElbErrors', 'Sum', 'ElbErrors')],
      leftYAxis: { min: 0, showUnits: false },
      width: 6,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Lambda invocations, errors, throttles',
      left: [
        fn.metricInvocations({ statistic: 'Sum', period: ctx.period, label: 'invocations' }),
        fn.metricErrors({ statistic: 'Sum', period: ctx.period, label: 'errors' }),
        fn.metricThrottles({ statistic: 'Sum', period: ctx.period, label: 'throttles' }),
      ],
      leftYAxis: { min: 0, showUnits: false },
      width: 6,
      height: 6,
    }),
  );
}
