/**
 * The round's fallback-page step (README: Viewer fallback page): for each service with a fallback rule, read the
 * rule, decide (lambda/reconcile/viewer-fallback.ts) and switch it through the {@link FallbackRulePort}; every
 * switch is an audit record. Runs after the round's registrations, on the round's own observations.
 */
import type { ControllerConfig } from '../../contract/controller-config';
import type { FallbackRulePort } from '../reconcile/ports';
import type { ObservedTargetGroups, ServiceReport } from '../reconcile/reconcile-types';
import { CONTROLLER_ACTOR, type AuditRecord } from '../reconcile/state';
import { decideViewerFallback } from '../reconcile/viewer-fallback';
import type { RoundLogger } from './round-logger';

/** The `target` of fallback-page audit records (the page concerns the service, not one server). */
const FALLBACK_AUDIT_TARGET = 'fallback-page';

/** One service's fallback page after the step. */
export interface FallbackOutcome {
  readonly service: string;
  /** Whether the page is served after the step; undefined when unknown. */
  readonly serving: boolean | undefined;
  readonly changed: boolean;
  readonly reason: string;
  readonly error?: string;
}

export interface FallbackStepProps {
  readonly config: ControllerConfig;
  readonly reports: readonly ServiceReport[];
  readonly observed: ObservedTargetGroups;
  /** Without a port, services with a fallback rule are reported as unknown. */
  readonly port?: FallbackRulePort;
  readonly dryRun: boolean;
  readonly now: Date;
  readonly logger: RoundLogger;
}

export async function applyViewerFallbacks(props: FallbackStepProps): Promise<{ outcomes: FallbackOutcome[]; audit: AuditRecord[] }> {
  const outcomes: FallbackOutcome[] = [];
  const audit: AuditRecord[] = [];
  for (const service of props.config.services) {
    const ruleArn = service.fallbackRuleArn;
    if (ruleArn === undefined) continue;
    if (!props.port) {
      outcomes.push({ service: service.name, serving: undefined, changed: false, reason: 'no listener-rule access configured' });
      continue;
    }
    const targetsUp = props.reports.find((report) => report.name === service.name)?.counts.targetsUp ?? 0;
    const views = service.targetGroups.map((group) => props.observed[group.arn]);
    const described = views.flatMap((view) => (view === undefined || 'error' in view ? [] : [view]));
    const elbHealthy = described.length === views.length ? described.flat().filter((target) => target.state === 'healthy').length : undefined;
    let serving: boolean | undefined;
    let error: string | undefined;
    try {
      serving = await props.port.isServing(ruleArn);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const decision = decideViewerFallback({ targetsUp, elbHealthy, serving });
    if (decision.change === undefined || props.dryRun) {
      outcomes.push({ service: service.name, serving: props.dryRun ? serving : decision.serve, changed: false, reason: decision.reason, error });
      continue;
    }
    try {
      await props.port.setServing(ruleArn, decision.change === 'on');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      props.logger.error('switching the fallback page failed', { service: service.name, error: message });
      outcomes.push({ service: service.name, serving, changed: false, reason: decision.reason, error: message });
      continue;
    }
    props.logger.warn(decision.change === 'on' ? 'fallback page served' : 'fallback page withdrawn', { service: service.name, reason: decision.reason });
    audit.push({
      who: CONTROLLER_ACTOR,
      when: props.now.toISOString(),
      action: decision.change === 'on' ? 'fallback-page-on' : 'fallback-page-off',
      service: service.name,
      target: FALLBACK_AUDIT_TARGET,
      reason: decision.reason,
    });
    outcomes.push({ service: service.name, serving: decision.serve, changed: true, reason: decision.reason });
  }
  return { outcomes, audit };
}
