/**
 * `medlb status --config F --state-file S`: the System Overview (the appliance's VIP/RIP up/down page).
 *
 * One row per real server: service, VIP, ports, mode, target, IP, where the target came from (`static`, or
 * for an EC2-discovered one `instance i-…` / `tags Key=value`: the last known set from the state — status
 * calls no EC2 API), last probe (from the state: status does not probe), up/down after rise/fall, the ELB's
 * view (one DescribeTargetHealth per target group: read-only) and any operator override or weight 0.
 * Exit 0; 2 on errors (docs/architecture.md#cli): usage errors, an unreadable config or state, and a target group that could not
 * be described (the table is still printed, with the error in that group's ELB column).
 */
import type { ObservedTarget } from '../reconcile/ports';
import { describeAll } from '../controller/round';
import { ROUND_DEFAULTS } from '../controller/round-defaults';
import type { ControllerConfig, ServiceConfig } from '../../contract/controller-config';
import { healthKeyOf, sourceText, withPersistedDiscovery, type ResolvedTarget } from '../reconcile/discovery';
import { overrideOf } from '../reconcile/reconciler';
import { serviceState, type ControllerState, type PendingSwitch } from '../reconcile/state';
import { COMMON_OPTIONS, EXIT, openElb, parseCommandArgs, runCommand, stderrLogger, UsageError, writeOut } from './common';
import { loadControllerInputs } from './stack';

const USAGE = 'usage: medlb status (--config controller.json --state-file state.json | --stack NAME)';

/** What DescribeTargetHealth said per target group: the targets, or why it could not be described. */
export type TargetGroupViews = ReadonlyMap<string, readonly ObservedTarget[] | { readonly error: string }>;

const COLUMNS = ['SERVICE', 'VIP', 'PORTS', 'MODE', 'TARGET', 'IP', 'SOURCE', 'PROBE', 'REASON', 'HEALTH', 'ELB', 'OVERRIDE'] as const;

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const { values, positionals } = parseCommandArgs(args, COMMON_OPTIONS, true);
    if (values.help) {
      process.stderr.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const { config, store } = await loadControllerInputs(values);
    const state = await store.load();
    const elb = openElb();
    const logger = stderrLogger('status');
    const observed = await describeAll(config, elb, ROUND_DEFAULTS.describeConcurrency, logger);
    const byArn: TargetGroupViews = new Map(Object.entries(observed));
    writeOut(renderStatus(config, state, byArn));
    return [...byArn.values()].some((view) => !Array.isArray(view)) ? EXIT.usage : EXIT.ok;
  });
}

/** Renders the System Overview table (pure, for tests). */
export function renderStatus(config: ControllerConfig, state: ControllerState, views: TargetGroupViews): string {
  const rows: string[][] = [];
  for (const service of withPersistedDiscovery(config, state).services) {
    const stored = serviceState(state, service.name);
    const ports = (service.ports ?? service.targetGroups.map((tg) => tg.port)).join(',');
    if (service.targets.length === 0) {
      rows.push([service.name, (service.vips ?? []).join(',') || '-', ports, service.mode, '-', '-', sourceText(service, { name: '', ip: '', source: 'tags' }), '-', 'no instance discovered yet', '-', '-', '-']);
    }
    (service.targets as readonly ResolvedTarget[]).forEach((target, index) => {
      const health = stored.targets[healthKeyOf(target)];
      const override = overrideOf(stored.overrides, target);
      const last = health?.lastProbe;
      rows.push([
        index === 0 ? service.name : '',
        index === 0 ? (service.vips ?? []).join(',') || '-' : '',
        index === 0 ? ports : '',
        index === 0 ? service.mode : '',
        target.name,
        target.ip,
        sourceText(service, target),
        last ? (last.healthy ? 'pass' : 'FAIL') : '-',
        last ? truncate(last.reason, 64) : 'never probed',
        health ? (health.up ? 'up' : 'DOWN') : '-',
        elbColumn(service, target, views),
        overrideColumn(target, override, stored.pending?.[target.name]),
      ]);
    });
  }
  const widths = COLUMNS.map((title, c) => Math.max(title.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(COLUMNS), ...rows.map(line)].join('\n');
}

/** The target's ELB state across its service's target groups: one word when they agree, per port otherwise. */
function elbColumn(service: ServiceConfig, target: ResolvedTarget, views: TargetGroupViews): string {
  const states = service.targetGroups.map((tg) => {
    const view = views.get(tg.arn);
    if (view === undefined) return { port: tg.port, state: 'unknown' };
    if (!Array.isArray(view)) return { port: tg.port, state: `error: ${errorCode((view as { error: string }).error)}` };
    const found = (view as readonly ObservedTarget[]).find((o) => o.ip === target.ip && o.port === tg.port);
    return { port: tg.port, state: found ? found.state : 'not registered' };
  });
  const distinct = new Set(states.map((s) => s.state));
  if (distinct.size === 1) return states[0]!.state;
  return states.map((s) => `${s.port}:${s.state}`).join(' ');
}

function overrideColumn(
  target: ResolvedTarget,
  override: { action: string; by: string; at: string; reason?: string } | undefined,
  pending: PendingSwitch | undefined,
): string {
  const parts: string[] = [];
  if (override) parts.push(`${override.action} by ${override.by} at ${override.at}${override.reason ? ` (${override.reason})` : ''}`);
  if (target.drained) parts.push('weight 0');
  // Make before break: still registered until a replacement is healthy in ELB (its ELB state is in its own row).
  if (pending) parts.push(`kept: waiting for ${pending.replacements.join(' or ') || 'a replacement'} to become healthy since ${pending.since}`);
  return parts.join('; ') || '-';
}

function errorCode(message: string): string {
  const match = /(TargetGroupNotFound|Throttling|AccessDenied\w*|\w+Exception)/.exec(message);
  return match ? match[1]! : truncate(message, 40);
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
