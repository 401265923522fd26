import {
  Stack,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_iam as iam,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import type { aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_CONTROLLER_INTERVAL_SECONDS } from '../site/site-defaults';
import { MonitoringSettings, monitoringSchema } from '../site/monitoring-schema';
import { alarmNamePrefix, MonitoringContext } from './monitoring-alarm-factory';
import { addControllerAlarms, addServiceAlarms } from './monitoring-alarms';
import { addControllerWidgets, addServiceWidgets, createDashboard } from './monitoring-dashboard';
import type { MonitoringAlarm, MonitoringProps } from './monitoring-types';
import { ProblemList } from './validation';

export type { MonitoringAlarm, MonitoringProps } from './monitoring-types';

/**
 * Alarms, notifications and the "System Overview" dashboard of one medlb site.
 *
 * Built with plain aws-cloudwatch rather than cdk-monitoring-constructs: every alarm here needs its own runbook
 * description, an explicit missing-data treatment and the exact dimension sets of the controller's EMF
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

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const parsed = validateProps(props);
    parsed.problems.throwIfAny(`Monitoring (${this.node.path})`);
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- throwIfAny above has thrown unless the settings parsed
    this.settings = parsed.settings!;
    const stackName = Stack.of(this).stackName;

    this.topic = this.notificationTopic(props);
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    const intervalSeconds = props.controllerIntervalSeconds ?? DEFAULT_CONTROLLER_INTERVAL_SECONDS;
    this.dashboard = createDashboard(this, props.siteName, stackName);
    const context = new MonitoringContext(this, props.siteName, stackName, this.settings, new cloudwatchActions.SnsAction(this.topic), this.dashboard);
    for (const service of props.services) addServiceWidgets(context, service, addServiceAlarms(context, service));
    addControllerWidgets(context, props.controllerFunction, intervalSeconds, addControllerAlarms(context, props.controllerFunction, intervalSeconds));
    this.alarms = context.createdAlarms;
  }

  // ---- notifications ------------------------------------------------------------------------------

  private notificationTopic(props: MonitoringProps): sns.ITopic {
    if (props.topic) return props.topic;
    if (props.existingTopicArn) return sns.Topic.fromTopicArn(this, 'AlarmTopic', props.existingTopicArn);
    const stack = Stack.of(this);
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- validateProps requires encryptionKey unless a topic or existingTopicArn is given (returned above)
    const key = props.encryptionKey!;
    const topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `medlb-${props.siteName}-alarms`,
      displayName: `medlb ${props.siteName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // CloudWatch publishes as a service principal: it needs the topic key, and only for this site's alarms
    // in this account and region (confused-deputy guard). SNS docs: "compatibility with AWS services".
    const alarmArnPattern = `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${alarmNamePrefix(props.siteName)}*`;
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
