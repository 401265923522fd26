/**
 * The alarm factory of the Monitoring construct: every alarm gets the site's name pattern, its runbook pointer and
 * the notification actions, and every controller metric the site's dimensions and the contract's namespace.
 */
import { Duration, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, type ControllerMetricName } from '../../contract/metrics';
import type { AlarmWindow, MonitoringSettings } from '../site/monitoring-schema';
import type { AlarmSeverity, MonitoringAlarm } from './monitoring-types';

/** Runbook of every alarm (docs/operating.md); alarm descriptions point at its sections. */
export const RUNBOOK = 'docs/operating.md';

/** Every alarm name of a site starts with this (the SNS key policy matches it). */
export function alarmNamePrefix(siteName: string): string {
  return `medlb-${siteName}-`;
}

/** Round-duration alarm threshold: a fraction of the round interval. */
export function roundDurationThresholdMs(settings: MonitoringSettings, intervalSeconds: number): number {
  return Math.round(settings.roundDuration.fractionOfInterval * intervalSeconds * 1000);
}

/** What the catalogue and the dashboard build with. */
export class MonitoringContext {
  /** Every alarm so far, in creation order. */
  readonly createdAlarms: MonitoringAlarm[] = [];
  readonly period: Duration;

  constructor(
    /** The Monitoring construct: parent of the per-service and controller scopes. */
    readonly owner: Construct,
    readonly siteName: string,
    readonly stackName: string,
    readonly settings: MonitoringSettings,
    private readonly alarmAction: cloudwatch.IAlarmAction,
    readonly dashboard: cloudwatch.Dashboard,
  ) {
    this.period = Duration.seconds(settings.periodSeconds);
  }

  /** The alarms created since `count` alarms existed. */
  alarmsSince(count: number): cloudwatch.IAlarm[] {
    return this.createdAlarms.slice(count).map((entry) => entry.alarm);
  }

  /** Creates an alarm with the site's naming, runbook pointer and notification actions, and records it. */
  addAlarm(
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
      alarmName: `${alarmNamePrefix(this.siteName)}${spec.severity}-${spec.subject.replace(/[/:]/g, '-')}-${spec.kind}`,
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

  medlbMetric(metricName: ControllerMetricName, dimensionsMap: Record<string, string>, statistic: string, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap, statistic, period: this.period, label });
  }

  siteMetric(metricName: ControllerMetricName, statistic: string, label?: string): cloudwatch.Metric {
    return this.medlbMetric(metricName, { Site: this.siteName }, statistic, label);
  }

  serviceMetric(service: string, metricName: ControllerMetricName, statistic: string, label?: string): cloudwatch.Metric {
    return this.medlbMetric(metricName, { Site: this.siteName, Service: service }, statistic, label);
  }

  targetMetric(service: string, target: string, metricName: ControllerMetricName, statistic: string): cloudwatch.Metric {
    return this.medlbMetric(metricName, { Site: this.siteName, Service: service, Target: target }, statistic, target);
  }
}
