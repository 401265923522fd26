import { aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_kms as kms, aws_lambda as lambda, aws_sns as sns } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { roundMetricGroups } from '../../lambda/adapters/metrics';
import type { ServiceReport } from '../../lambda/reconcile/reconcile-types';
import { ConstructPropsError } from '../../lib/constructs/validation';
import { Monitoring, MonitoringProps } from '../../lib/constructs/monitoring';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, SiteValidationError } from '../../lib/site';
import { newProjectApp } from '../helpers/cdk-app';
import { nagFindings, newTestStack } from './construct-test-helpers';

type Properties = Record<string, any>;

const SITE = 'example-hospital';
const SERVICES = ['DICOM-Modalities', 'HL7', 'XDS-Registry', 'XDS-Repository', 'HTTPS-Viewer'];
const NLB_SERVICES = SERVICES.slice(0, 4);

const site = parseSite(exampleSite);
const stack = new MedlbStack(newProjectApp(), 'Example', { site, env: { region: site.env.region, account: site.env.account } });
const template = Template.fromStack(stack);

const resources = (type: string): Array<[string, Properties]> =>
  Object.entries(template.findResources(type)).map(([id, resource]) => [id, resource.Properties as Properties]);
const alarms = new Map(resources('AWS::CloudWatch::Alarm').map(([, props]) => [props.AlarmName as string, props]));
const topicId = resources('AWS::SNS::Topic')[0]![0];
const logicalIdOf = (type: string, predicate: (props: Properties) => boolean) => resources(type).find(([, props]) => predicate(props))![0];

function alarm(name: string): Properties {
  const props = alarms.get(`medlb-${SITE}-${name}`);
  if (!props) throw new Error(`no alarm medlb-${SITE}-${name}; have:\n${[...alarms.keys()].join('\n')}`);
  return props;
}

/** The alarm's window, comparison, missing-data treatment and actions. */
function expectAlarmShape(
  props: Properties,
  expected: { comparison: string; threshold: number; periods: number; datapoints: number; missing: string },
): void {
  expect(props.ComparisonOperator).toBe(expected.comparison);
  expect(props.Threshold).toBe(expected.threshold);
  expect(props.EvaluationPeriods).toBe(expected.periods);
  expect(props.DatapointsToAlarm).toBe(expected.datapoints);
  expect(props.TreatMissingData).toBe(expected.missing);
  expect(props.ActionsEnabled).toBe(true);
  expect(props.AlarmActions).toEqual([{ Ref: topicId }]);
  expect(props.OKActions).toEqual([{ Ref: topicId }]);
}

/** A plain (non-math) alarm's metric. */
function expectMetric(props: Properties, expected: { namespace: string; name: string; statistic: string; dimensions: Properties; period?: number }): void {
  expect(props.Namespace).toBe(expected.namespace);
  expect(props.MetricName).toBe(expected.name);
  if (/^p\d+/.test(expected.statistic)) expect(props.ExtendedStatistic).toBe(expected.statistic);
  else expect(props.Statistic).toBe(expected.statistic);
  expect(props.Period).toBe(expected.period ?? 60);
  const dimensions = Object.fromEntries((props.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]));
  expect(dimensions).toEqual(expected.dimensions);
}

describe('example site: alarms', () => {
  test('47 alarms: 6 per service ×5 (4 + pinned and old-override), 5 NLB target groups, 4 NLB fail-open, 3 viewer ALB, 5 controller', () => {
    expect(alarms.size).toBe(47);
    expect(resources('AWS::SNS::Topic')).toHaveLength(1);
  });

  test.each(SERVICES)('%s: outage = TargetsRoutable (Maximum) < 1 — registered is not routable —, 2 of 2, missing data keeps the state', (service) => {
    const props = alarm(`CRITICAL-${service}-outage`);
    expectMetric(props, { namespace: 'Medlb', name: 'TargetsRoutable', statistic: 'Maximum', dimensions: { Site: SITE, Service: service } });
    expectAlarmShape(props, { comparison: 'LessThanThreshold', threshold: 1, periods: 2, datapoints: 2, missing: 'ignore' });
  });

  test.each(SERVICES)('%s: replacement-not-healthy = TargetsAwaitingHealthy (Maximum) >= 1 for 5 of 5 minutes, with its runbook', (service) => {
    const props = alarm(`WARNING-${service}-replacement-not-healthy`);
    expectMetric(props, { namespace: 'Medlb', name: 'TargetsAwaitingHealthy', statistic: 'Maximum', dimensions: { Site: SITE, Service: service } });
    expectAlarmShape(props, { comparison: 'GreaterThanOrEqualToThreshold', threshold: 1, periods: 5, datapoints: 5, missing: 'ignore' });
    expect(props.AlarmDescription).toContain('describe-target-health');
    expect(props.AlarmDescription).toContain(`npx medlb halt ${service}/<old server>`);
  });

  test.each(SERVICES)('%s: redundancy = TargetsExpected (Minimum) − TargetsUp (Maximum) > 0, 3 of 3', (service) => {
    const props = alarm(`WARNING-${service}-redundancy`);
    expect(props.MetricName).toBeUndefined();
    const metrics = props.Metrics as Properties[];
    const expression = metrics.find((m) => m.Expression);
    expect(expression).toMatchObject({ Expression: 'expected - up', ReturnData: true });
    const stat = (id: string) => metrics.find((m) => m.Id === id)!;
    for (const [id, name, statistic] of [['up', 'TargetsUp', 'Maximum'], ['expected', 'TargetsExpected', 'Minimum']] as const) {
      expect(stat(id)).toEqual({
        Id: id,
        ReturnData: false,
        MetricStat: {
          Metric: { Namespace: 'Medlb', MetricName: name, Dimensions: expect.arrayContaining([{ Name: 'Site', Value: SITE }, { Name: 'Service', Value: service }]) },
          Period: 60,
          Stat: statistic,
        },
      });
      expect(stat(id).MetricStat.Metric.Dimensions).toHaveLength(2);
    }
    expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 0, periods: 3, datapoints: 3, missing: 'ignore' });
  });

  test.each(SERVICES)('%s: pinned = PinnedTargets (Maximum) >= 1, 1 of 1, naming unpin and status', (service) => {
    const props = alarm(`WARNING-${service}-pinned`);
    expectMetric(props, { namespace: 'Medlb', name: 'PinnedTargets', statistic: 'Maximum', dimensions: { Site: SITE, Service: service } });
    expectAlarmShape(props, { comparison: 'GreaterThanOrEqualToThreshold', threshold: 1, periods: 1, datapoints: 1, missing: 'ignore' });
    expect(props.AlarmDescription).toContain(`npx medlb unpin ${service}/<server>`);
    expect(props.AlarmDescription).toContain('(pinned)');
  });

  test.each(SERVICES)('%s: old-override = OldestOverrideAgeSeconds (Maximum) > 24 h, 1 of 1, naming the service and how to find the server', (service) => {
    const props = alarm(`WARNING-${service}-old-override`);
    expectMetric(props, { namespace: 'Medlb', name: 'OldestOverrideAgeSeconds', statistic: 'Maximum', dimensions: { Site: SITE, Service: service } });
    expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 86_400, periods: 1, datapoints: 1, missing: 'ignore' });
    expect(props.AlarmDescription).toContain(`${service} (VIP`);
    expect(props.AlarmDescription).toContain('for more than 24 h');
    expect(props.AlarmDescription).toContain('npx medlb status --stack');
    expect(props.AlarmDescription).toContain('oldestOverride');
    expect(props.AlarmDescription).toContain('(old-override)');
  });

  test.each(SERVICES)('%s: fail-open = FailOpen (Maximum) >= 1, 1 of 1', (service) => {
    const props = alarm(`CRITICAL-${service}-fail-open`);
    expectMetric(props, { namespace: 'Medlb', name: 'FailOpen', statistic: 'Maximum', dimensions: { Site: SITE, Service: service } });
    expectAlarmShape(props, { comparison: 'GreaterThanOrEqualToThreshold', threshold: 1, periods: 1, datapoints: 1, missing: 'ignore' });
  });

  test('per-target ProbeSuccess alarms are off by default', () => {
    expect([...alarms.keys()].filter((name) => name.includes('real-server'))).toEqual([]);
  });

  test.each([
    ['DICOM-Modalities', 104],
    ['DICOM-Modalities', 11112],
    ['HL7', 2575],
    ['XDS-Registry', 17035],
    ['XDS-Repository', 17035],
  ])('%s port %d: NLB UnHealthyHostCount (Minimum) > 0 with that target group and its NLB, 2 of 2', (service, port) => {
    const props = alarm(`WARNING-${service}-${port}-nlb-unhealthy-hosts`);
    const serviceTargetGroups = resources('AWS::ElasticLoadBalancingV2::TargetGroup').filter(([id]) => id.startsWith(service.replace(/-/g, '')));
    const ownGroup = serviceTargetGroups.find(([, tg]) => tg.Port === port)![0];
    expect(props.Namespace).toBe('AWS/NetworkELB');
    expect(props.MetricName).toBe('UnHealthyHostCount');
    expect(props.Statistic).toBe('Minimum');
    expect(props.Period).toBe(60);
    const dimensions = Object.fromEntries((props.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]));
    expect(Object.keys(dimensions).sort()).toEqual(['LoadBalancer', 'TargetGroup']);
    expect(dimensions.TargetGroup).toEqual({ 'Fn::GetAtt': [ownGroup, 'TargetGroupFullName'] });
    // The LoadBalancer dimension is derived from the listener ARN that forwards to this target group.
    const listenerId = logicalIdOf('AWS::ElasticLoadBalancingV2::Listener', (l) => JSON.stringify(l.DefaultActions).includes(ownGroup));
    expect(JSON.stringify(dimensions.LoadBalancer)).toContain(listenerId);
    expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 0, periods: 2, datapoints: 2, missing: 'notBreaching' });
  });

  test.each(NLB_SERVICES)('%s: NLB fail-open = UnhealthyRoutingFlowCount (Sum) > 0 with the LoadBalancer dimension only', (service) => {
    const props = alarm(`CRITICAL-${service}-nlb-fail-open`);
    const nlbId = logicalIdOf('AWS::ElasticLoadBalancingV2::LoadBalancer', (lb) => lb.Type === 'network' && JSON.stringify(lb.Tags ?? []).includes(`"${service}"`));
    expectMetric(props, {
      namespace: 'AWS/NetworkELB',
      name: 'UnhealthyRoutingFlowCount',
      statistic: 'Sum',
      dimensions: { LoadBalancer: { 'Fn::GetAtt': [nlbId, 'LoadBalancerFullName'] } },
    });
    expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 0, periods: 1, datapoints: 1, missing: 'notBreaching' });
  });

  describe('viewer ALB', () => {
    const viewerGroup = logicalIdOf('AWS::ElasticLoadBalancingV2::TargetGroup', (tg) => tg.Protocol === 'HTTPS');
    const albId = logicalIdOf('AWS::ElasticLoadBalancingV2::LoadBalancer', (lb) => lb.Type === 'application');
    const httpsListener = logicalIdOf('AWS::ElasticLoadBalancingV2::Listener', (l) => l.Protocol === 'HTTPS');
    // The LoadBalancer dimension is derived from the ARN of the listener that forwards to the target group.
    const albDimensions = {
      TargetGroup: { 'Fn::GetAtt': [viewerGroup, 'TargetGroupFullName'] },
      LoadBalancer: { 'Fn::Join': ['', expect.arrayContaining([{ 'Fn::Select': [1, { 'Fn::Split': ['/', { Ref: httpsListener }] }] }])] },
    };
    test('the viewer ALB and its HTTPS listener are found', () => {
      expect(albId).toMatch(/^HTTPSViewer/);
      expect(httpsListener).toMatch(/^HTTPSViewer/);
    });
    const dimensionsOf = (list: { Name: string; Value: unknown }[]) => Object.fromEntries(list.map((d) => [d.Name, d.Value]));

    test('target 5xx rate: 100 × 5xx / requests when requests >= 10, > 5 %, 3 of 5', () => {
      const props = alarm('WARNING-HTTPS-Viewer-443-alb-5xx');
      const metrics = props.Metrics as Properties[];
      expect(metrics.find((m) => m.Expression)).toMatchObject({
        Expression: 'IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)',
        ReturnData: true,
      });
      for (const [id, name] of [['errors', 'HTTPCode_Target_5XX_Count'], ['requests', 'RequestCount']]) {
        const stat = metrics.find((m) => m.Id === id)!.MetricStat;
        expect(stat.Metric.Namespace).toBe('AWS/ApplicationELB');
        expect(stat.Metric.MetricName).toBe(name);
        expect(stat.Stat).toBe('Sum');
        expect(stat.Period).toBe(60);
        expect(dimensionsOf(stat.Metric.Dimensions)).toEqual(albDimensions);
      }
      expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 5, periods: 5, datapoints: 3, missing: 'notBreaching' });
    });

    test('TargetResponseTime p99 > 5 s, 3 of 5', () => {
      const props = alarm('WARNING-HTTPS-Viewer-443-alb-latency');
      expectMetric(props, { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', statistic: 'p99', dimensions: albDimensions });
      expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 5, periods: 5, datapoints: 3, missing: 'notBreaching' });
    });

    test('HealthyHostCount (Maximum) < 1, 2 of 2', () => {
      const props = alarm('CRITICAL-HTTPS-Viewer-443-alb-healthy-hosts');
      expectMetric(props, { namespace: 'AWS/ApplicationELB', name: 'HealthyHostCount', statistic: 'Maximum', dimensions: albDimensions });
      expectAlarmShape(props, { comparison: 'LessThanThreshold', threshold: 1, periods: 2, datapoints: 2, missing: 'notBreaching' });
    });
  });

  describe('controller', () => {
    const functionId = logicalIdOf('AWS::Lambda::Function', (fn) => fn.Environment?.Variables?.MEDLB_SITE === SITE);

    test('heartbeat: Heartbeat (Sum) < 1 for 3 of 3 minutes, missing data BREACHING', () => {
      const props = alarm('CRITICAL-controller-heartbeat');
      expectMetric(props, { namespace: 'Medlb', name: 'Heartbeat', statistic: 'Sum', dimensions: { Site: SITE } });
      expectAlarmShape(props, { comparison: 'LessThanThreshold', threshold: 1, periods: 3, datapoints: 3, missing: 'breaching' });
    });

    test('Lambda Errors (Sum) > 0, 1 of 1', () => {
      const props = alarm('WARNING-controller-lambda-errors');
      expectMetric(props, { namespace: 'AWS/Lambda', name: 'Errors', statistic: 'Sum', dimensions: { FunctionName: { Ref: functionId } } });
      expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 0, periods: 1, datapoints: 1, missing: 'notBreaching' });
    });

    test('Lambda Throttles (Sum) > 0 sustained: 3 of 5, so one post-deploy collision does not page', () => {
      const props = alarm('WARNING-controller-lambda-throttles');
      expectMetric(props, { namespace: 'AWS/Lambda', name: 'Throttles', statistic: 'Sum', dimensions: { FunctionName: { Ref: functionId } } });
      expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 0, periods: 5, datapoints: 3, missing: 'notBreaching' });
    });

    test('RoundDuration (Maximum) > 0.8 × 10 s interval = 8000 ms, 3 of 5', () => {
      const props = alarm('WARNING-controller-round-duration');
      expectMetric(props, { namespace: 'Medlb', name: 'RoundDuration', statistic: 'Maximum', dimensions: { Site: SITE } });
      expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 8000, periods: 5, datapoints: 3, missing: 'notBreaching' });
    });

    test('ElbErrors (Sum) > 0, 2 of 3', () => {
      const props = alarm('WARNING-controller-elb-errors');
      expectMetric(props, { namespace: 'Medlb', name: 'ElbErrors', statistic: 'Sum', dimensions: { Site: SITE } });
      expectAlarmShape(props, { comparison: 'GreaterThanThreshold', threshold: 0, periods: 3, datapoints: 2, missing: 'notBreaching' });
    });
  });

  test('every alarm: severity-led name, a runbook description under the 1024-character limit, alarm + OK actions to the topic', () => {
    for (const [name, props] of alarms) {
      expect(name).toMatch(new RegExp(`^medlb-${SITE}-(CRITICAL|WARNING)-`));
      const description = JSON.stringify(props.AlarmDescription);
      expect(description.length).toBeLessThan(900); // tokens resolve to names < 140 characters
      expect(description).toMatch(/^("|\{"Fn::Join":\["",\[")(CRITICAL|WARNING)\. /);
      expect(description).toContain('npx medlb');
      expect(description).toContain('Runbook: docs/operating.md');
      expect(['ignore', 'notBreaching', 'breaching']).toContain(props.TreatMissingData);
      expect(props.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(props.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  test('descriptions carry the service’s own probe command (e.g. the DICOM called AE title)', () => {
    const dicom = JSON.stringify(alarm('CRITICAL-DICOM-Modalities-fail-open').AlarmDescription);
    expect(dicom).toContain('npx medlb probe dicom <server-ip>:104');
    expect(dicom).toContain('npx medlb status --stack Example');
    expect(JSON.stringify(alarm('CRITICAL-HL7-outage').AlarmDescription)).toContain('npx medlb probe hl7 <server-ip>:2575');
    expect(JSON.stringify(alarm('CRITICAL-XDS-Repository-outage').AlarmDescription)).toContain('--xds-transaction repository');
  });

  /** A dimension set as text, independent of key order (CloudWatch dimension sets are unordered). */
  const canonical = (dimensions: Record<string, string>) => JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));

  test('every Medlb metric an alarm uses is one the controller emits, with exactly that dimension set (docs/architecture.md#metrics)', () => {
    const report = (name: string, targets: string[]) =>
      ({
        name,
        targets: targets.map((target) => ({ name: target, probe: { healthy: true, latencyMs: 1 } })),
        counts: { targetsUp: 1, targetsExpected: 1, targetsInService: 1, failOpen: 0, targetsAwaitingHealthy: 0, targetsRoutable: 1 },
        overrideSummary: { pinnedTargets: 0 },
      }) as unknown as ServiceReport;
    const emitted = new Set(
      roundMetricGroups({
        site: SITE,
        services: site.services.map((s) => report(s.label, s.realServers.map((r) => r.label))),
        roundDurationMs: 1,
        elbWrites: 0,
        elbErrors: 0,
      }).flatMap((group) => group.metrics.map((metric) => `${metric.name}|${canonical(group.dimensions)}`)),
    );
    const used: string[] = [];
    for (const props of alarms.values()) {
      const stats = props.Metrics
        ? (props.Metrics as Properties[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric)
        : [{ Namespace: props.Namespace, MetricName: props.MetricName, Dimensions: props.Dimensions }];
      for (const metric of stats.filter((m) => m.Namespace === 'Medlb')) {
        const dimensions = Object.fromEntries((metric.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]));
        if (dimensions.Service === 'HTTPS-Viewer') dimensions.Service = 'HL7'; // the report above holds the TCP services only
        used.push(`${metric.MetricName}|${canonical(dimensions)}`);
      }
    }
    expect(used.length).toBe(5 * 7 + 3); // outage, replacement-not-healthy, 2 × redundancy, fail-open, pinned, old-override per service; heartbeat, round duration, ELB errors
    for (const key of used) expect(emitted).toContain(key);
  });
});

describe('example site: notifications', () => {
  test('topic encrypted with the site key, TLS-only, e-mail subscription from the site file', () => {
    const [, topic] = resources('AWS::SNS::Topic')[0]!;
    const keyId = resources('AWS::KMS::Key')[0]![0];
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(topic.TopicName).toBe(`medlb-${SITE}-alarms`);
    const [, policy] = resources('AWS::SNS::TopicPolicy')[0]!;
    expect(policy.Topics).toEqual([{ Ref: topicId }]);
    expect(policy.PolicyDocument.Statement).toContainEqual({
      Sid: 'AllowPublishThroughSSLOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: { Ref: topicId },
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    const subscriptions = resources('AWS::SNS::Subscription').map(([, s]) => s);
    expect(subscriptions).toEqual([{ Protocol: 'email', Endpoint: 'pacs-oncall@example-hospital.org', TopicArn: { Ref: topicId } }]);
  });

  test("CloudWatch may use the key and publish only for this site's alarms in this account and region", () => {
    const expectedSourceArn = { 'Fn::Join': ['', ['arn:aws:cloudwatch:eu-west-2:', { Ref: 'AWS::AccountId' }, `:alarm:medlb-${SITE}-*`]] };
    const conditions = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': expectedSourceArn } };
    const [, key] = resources('AWS::KMS::Key')[0]!;
    const keyGrants = (key.KeyPolicy.Statement as Properties[]).filter((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect(keyGrants).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: conditions }),
    ]);
    const [, policy] = resources('AWS::SNS::TopicPolicy')[0]!;
    const publish = (policy.PolicyDocument.Statement as Properties[]).filter((s) => s.Effect === 'Allow');
    expect(publish).toEqual([
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: topicId }, Condition: conditions }),
    ]);
  });
});

/** The dashboard body with every CloudFormation token replaced by a readable placeholder, parsed. */
function dashboardBody(tmpl: Template): { widgets: Properties[] } {
  const [, dashboard] = Object.entries(tmpl.findResources('AWS::CloudWatch::Dashboard')).map(([id, r]) => [id, r.Properties as Properties] as const)[0]!;
  const body = dashboard.DashboardBody;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as Properties;
      if (token.Ref) return `{Ref:${token.Ref}}`;
      if (token['Fn::GetAtt']) return `{GetAtt:${token['Fn::GetAtt'].join('.')}}`;
      return `{${Object.keys(token)[0]}}`;
    })
    .join('');
  return JSON.parse(text);
}

describe('example site: System Overview dashboard', () => {
  const dashboards = resources('AWS::CloudWatch::Dashboard');
  const body = dashboardBody(template);
  const text = JSON.stringify(body);

  test('one dashboard named for the site', () => {
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]![1].DashboardName).toBe(`medlb-${SITE}-System-Overview`);
  });

  test('per service: a header with VIPs and ports, its alarms, per-server up/down and latency, in service/up/expected', () => {
    const markdown = body.widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown as string);
    expect(markdown.find((m) => m.startsWith('## DICOM-Modalities'))).toContain('VIP `10.12.1.100`, `10.12.2.100` · ports 104, 11112');
    expect(markdown.find((m) => m.startsWith('## HTTPS-Viewer'))).toContain('VIP `10.12.1.160`, `10.12.2.160` · ports 443');
    for (const service of SERVICES) {
      expect(body.widgets.filter((w) => w.type === 'alarm' && w.properties.title === `${service} alarms`)).toHaveLength(1);
    }
    const serverSeries = (title: string) =>
      body.widgets
        .filter((w) => w.properties.title === title)
        .flatMap((w) => (w.properties.metrics as unknown[][]).map((m) => m.filter((part) => typeof part === 'string').join('|')));
    const upNow = serverSeries('Real servers up now (1 = probe passed)');
    expect(upNow).toContain(`Medlb|ProbeSuccess|Service|DICOM-Modalities|Site|${SITE}|Target|DICOM2`);
    expect(upNow).toContain(`Medlb|ProbeSuccess|Service|HTTPS-Viewer|Site|${SITE}|Target|VIEWER1`);
    expect(upNow).toHaveLength(8); // every real server of the site
    expect(serverSeries('Probe latency (ms)')).toHaveLength(8);
    for (const metric of ['TargetsInService', 'TargetsUp', 'TargetsExpected', 'FailOpen']) expect(text).toContain(`"Medlb","${metric}"`);
  });

  test('NLB flows and resets, ALB requests/5xx/latency, controller row', () => {
    for (const metric of [
      'ActiveFlowCount', 'NewFlowCount', 'TCP_Target_Reset_Count', 'TCP_ELB_Reset_Count', 'TCP_Client_Reset_Count', 'UnhealthyRoutingFlowCount',
      'RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime', 'Heartbeat', 'RoundDuration', 'ElbWrites', 'ElbErrors', 'Invocations', 'Errors', 'Throttles',
    ]) {
      expect(text).toContain(`"${metric}"`);
    }
    expect(body.widgets.filter((w) => w.properties.title === 'TCP resets')).toHaveLength(4);
  });

  test('deterministic body (snapshot)', () => {
    const again = new MedlbStack(newProjectApp(), 'Example', { site: parseSite(exampleSite), env: { region: site.env.region } });
    expect(dashboardBody(Template.fromStack(again))).toEqual(body);
    expect(body).toMatchSnapshot();
  });
});

test('example stack: cdk-nag AwsSolutions + HIPAA.Security, zero unacknowledged findings', () => {
  expect(nagFindings(stack)).toEqual([]);
});

// ---------------------------------------------------------------------------------------------------------
// The construct on its own: settings, an existing topic, per-target alarms, validation
// ---------------------------------------------------------------------------------------------------------

function smallStack() {
  const stack = newTestStack('Small');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const nlb = new elbv2.NetworkLoadBalancer(stack, 'Nlb', { vpc });
  const nlbGroup = new elbv2.NetworkTargetGroup(stack, 'NlbGroup', { vpc, port: 104, protocol: elbv2.Protocol.TCP, targetType: elbv2.TargetType.IP });
  nlb.addListener('L104', { port: 104, defaultTargetGroups: [nlbGroup] });
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
  const albGroup = new elbv2.ApplicationTargetGroup(stack, 'AlbGroup', { vpc, port: 443, protocol: elbv2.ApplicationProtocol.HTTPS, targetType: elbv2.TargetType.IP });
  alb.addListener('L80', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, defaultTargetGroups: [albGroup] });
  const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>{}') });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const props = (overrides: Partial<MonitoringProps> = {}): MonitoringProps => ({
    siteName: 'small',
    services: [
      { kind: 'nlb', name: 'PACS', loadBalancer: nlb, targetGroups: [nlbGroup], ports: [104], vips: ['10.0.0.10'], targets: ['P1', 'P2'] },
      { kind: 'alb', name: 'Web', loadBalancer: alb, targetGroups: [albGroup], ports: [80], vips: ['web.example'], targets: ['W1'] },
    ],
    controllerFunction: fn,
    encryptionKey: key,
    ...overrides,
  });
  return { stack, props };
}

describe('Monitoring construct', () => {
  test('settings: period, windows, thresholds and per-target alarms (Site + Service + Target, Maximum < 1)', () => {
    const { stack, props } = smallStack();
    const monitoring = new Monitoring(stack, 'Monitoring', props({
      controllerIntervalSeconds: 20,
      settings: {
        periodSeconds: 120,
        perTargetAlarms: { enabled: true, evaluationPeriods: 4, datapointsToAlarm: 2 },
        roundDuration: { fractionOfInterval: 0.5 },
        alb5xxRate: { thresholdPercent: 2, minimumRequests: 50 },
        albResponseTime: { p99Seconds: 1.5 },
        outage: { evaluationPeriods: 1, datapointsToAlarm: 1 },
        oldOverride: { thresholdHours: 8, evaluationPeriods: 2, datapointsToAlarm: 2 },
      },
    }));
    const tmpl = Template.fromStack(stack);
    const byName = new Map(Object.values(tmpl.findResources('AWS::CloudWatch::Alarm')).map((r) => [r.Properties.AlarmName, r.Properties as Properties]));
    expect(byName.size).toBe(monitoring.alarms.length);
    expect(byName.size).toBe(2 * 6 + 3 + 1 + 1 + 3 + 5); // per service; per target; NLB TG + fail-open; ALB; controller
    expect(byName.get('medlb-small-WARNING-PACS-old-override')).toMatchObject({ Threshold: 8 * 3600, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    expect(byName.get('medlb-small-WARNING-Web-old-override')!.AlarmDescription).toContain('for more than 8 h');
    for (const target of ['P1', 'P2']) {
      const props = byName.get(`medlb-small-WARNING-PACS-${target}-real-server`)!;
      expect(props.MetricName).toBe('ProbeSuccess');
      expect(props.Namespace).toBe('Medlb');
      expect(props.Statistic).toBe('Maximum');
      expect(props.Period).toBe(120);
      expect(props.Dimensions).toEqual([{ Name: 'Service', Value: 'PACS' }, { Name: 'Site', Value: 'small' }, { Name: 'Target', Value: target }]);
      expect(props).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 1, EvaluationPeriods: 4, DatapointsToAlarm: 2, TreatMissingData: 'ignore' });
      expect(props.AlarmDescription).toContain(`npx medlb drain PACS/${target}`);
    }
    expect(byName.get('medlb-small-WARNING-Web-W1-real-server')).toBeDefined();
    expect(byName.get('medlb-small-WARNING-controller-round-duration')!.Threshold).toBe(10000);
    expect(byName.get('medlb-small-CRITICAL-PACS-outage')).toMatchObject({ EvaluationPeriods: 1, DatapointsToAlarm: 1, Period: 120 });
    expect(byName.get('medlb-small-WARNING-Web-80-alb-latency')!.Threshold).toBe(1.5);
    const rate = byName.get('medlb-small-WARNING-Web-80-alb-5xx')!;
    expect(rate.Threshold).toBe(2);
    expect(rate.Metrics.find((m: Properties) => m.Expression).Expression).toBe('IF(requests >= 50, 100 * FILL(errors, 0) / requests, 0)');
    expect(monitoring.settings.heartbeat).toEqual({ evaluationPeriods: 3, datapointsToAlarm: 3 });
    // The fixtures around it are deliberately bare; the construct's own resources (topic, alarms, dashboard) are clean.
    expect(nagFindings(monitoring)).toEqual([]);
  });

  test('existingTopicArn: no topic is created, no key grant is added, alarms and e-mails use that topic', () => {
    const { stack, props } = smallStack();
    const arn = 'arn:aws:sns:eu-west-2:111122223333:pacs-alarms';
    new Monitoring(stack, 'Monitoring', props({ existingTopicArn: arn, encryptionKey: undefined, emails: ['oncall@example.org'] }));
    const tmpl = Template.fromStack(stack);
    tmpl.resourceCountIs('AWS::SNS::Topic', 0);
    tmpl.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    for (const alarm of Object.values(tmpl.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([arn]);
      expect(alarm.Properties.OKActions).toEqual([arn]);
    }
    tmpl.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.org', TopicArn: arn });
    const key = Object.values(tmpl.findResources('AWS::KMS::Key'))[0];
    expect(JSON.stringify(key!.Properties.KeyPolicy)).not.toContain('cloudwatch.amazonaws.com');
  });

  test('every problem with the props is reported at once', () => {
    const { stack, props } = smallStack();
    const base = props();
    let error: unknown;
    try {
      new Monitoring(stack, 'Monitoring', {
        ...base,
        siteName: 'bad site',
        existingTopicArn: 'arn:aws:sns:eu-west-2:111122223333:x',
        topic: undefined,
        services: [
          base.services[0]!,
          { ...base.services[0]!, ports: [104, 105], targets: ['P1', 'P1'] },
        ],
        settings: { outage: { evaluationPeriods: 2, datapointsToAlarm: 3 }, periodSeconds: 30 },
        controllerIntervalSeconds: 0,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConstructPropsError);
    expect((error as ConstructPropsError).problems).toEqual([
      'siteName: "bad site" must be 1–32 letters, digits or "-"',
      'controllerIntervalSeconds: 0 must be positive',
      'services[1] (PACS).name: "PACS" is used twice',
      'services[1] (PACS).ports: 2 port(s) for 1 target group(s); give one port per target group, in order',
      'services[1] (PACS).targets: "P1" is listed twice',
      'settings.periodSeconds: must be an integer from 60 to 3600',
      'settings.periodSeconds: must be a whole number of minutes (60, 120, ...)',
      'settings.outage.datapointsToAlarm: 3 is more than evaluationPeriods (2): the alarm could never fire',
    ]);
  });

  test('a topic needs a key, and topic + existingTopicArn are exclusive', () => {
    const { stack, props } = smallStack();
    expect(() => new Monitoring(stack, 'NoKey', props({ encryptionKey: undefined }))).toThrow(/encryptionKey: required/);
    const topic = new sns.Topic(stack, 'Topic', { masterKey: props().encryptionKey, enforceSSL: true });
    expect(() => new Monitoring(stack, 'Both', props({ topic, existingTopicArn: 'arn:aws:sns:eu-west-2:111122223333:x' }))).toThrow(
      /topic and existingTopicArn: give at most one/,
    );
  });
});

describe('site definition', () => {
  test('monitoring settings are validated with the rest of the site, each problem with its path', () => {
    let error: unknown;
    try {
      parseSite({ ...exampleSite, monitoring: { heartbeat: { datapointsToAlarm: 4 }, alb5xxRate: { thresholdPercent: 150 } } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SiteValidationError);
    const message = (error as Error).message;
    expect(message).toContain('monitoring.heartbeat.datapointsToAlarm');
    expect(message).toContain('monitoring.alb5xxRate.thresholdPercent');
  });

  test('site settings reach the alarms', () => {
    const custom = parseSite({ ...exampleSite, monitoring: { redundancy: { evaluationPeriods: 10, datapointsToAlarm: 5 } } });
    const customStack = new MedlbStack(newProjectApp(), 'Custom', { site: custom, env: { region: custom.env.region } });
    const redundancy = Template.fromStack(customStack).findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmName: `medlb-${SITE}-WARNING-HL7-redundancy` },
    });
    expect(Object.values(redundancy).map((r) => r.Properties)).toEqual([expect.objectContaining({ EvaluationPeriods: 10, DatapointsToAlarm: 5 })]);
  });
});
