/**
 * The alarms about operator overrides of one service (docs/operating.md#pinned, #old-override): a pin in force,
 * and an explicit drain, halt or pin older than the site's threshold. Both read metrics the controller emits
 * every round (PinnedTargets, OldestOverrideAgeSeconds; contract/metrics.ts), 0 included, so they clear by
 * themselves once the pin ends or the override is cleared.
 */
import { aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { MonitoringContext } from './monitoring-alarm-factory';
import type { MonitoredService } from './monitoring-types';

/** Adds the pinned and old-override alarms of `service` to its scope. */
export function addOverrideAlarms(ctx: MonitoringContext, scope: Construct, service: MonitoredService, where: string): void {
  const stack = ctx.stackName;
  const status = `npx medlb status --stack ${stack}`;
  const hours = ctx.settings.oldOverride.thresholdHours;
  ctx.addAlarm(scope, 'Pinned', {
    severity: 'WARNING',
    subject: service.name,
    kind: 'pinned',
    metric: ctx.serviceMetric(service.name, 'PinnedTargets', 'Maximum'),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    window: ctx.settings.pinned,
    treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    description:
      `${where}: a server is PINNED (\`medlb pin\`): it stays in service whatever its health check says, until the pin ends. ` +
      `\`${status}\` names it (PINNED by, until, why) and shows what its check says. Fix the check or the server, then ` +
      `\`npx medlb unpin ${service.name}/<server> --stack ${stack}\`; the alarm clears when no pin is in force.`,
  });
  ctx.addAlarm(scope, 'OldOverride', {
    severity: 'WARNING',
    subject: service.name,
    kind: 'old-override',
    metric: ctx.serviceMetric(service.name, 'OldestOverrideAgeSeconds', 'Maximum'),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: hours * 3600,
    window: ctx.settings.oldOverride,
    treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    description:
      `${where}: an operator drain, halt or pin has been in force for more than ${hours} h: forgotten? ` +
      `\`${status} --json\` names it (services[].oldestOverride: target, kind, by, since; the table's notes too), and the ` +
      "controller's log says `oldest override` with the server each round. If the work is done: " +
      `\`npx medlb online ${service.name}/<server> --stack ${stack}\` (or \`unpin\`); planned work belongs in a maintenance window ` +
      '(`medlb drain ... --from --until`), which ends by itself.',
  });
}
