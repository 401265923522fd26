/**
 * `medlb status (--config F --state-file S | --stack NAME) [--wide] [--json]`: the System Overview (the
 * appliance's VIP/RIP up/down page), made to be trusted at 3 a.m.:
 *
 * - the time and age of the controller's last round, with a loud `STALE` line when it is older than
 *   max(3 intervals, 2 minutes) — a stopped controller must not look like a healthy pool;
 * - per service one state, the first that applies of outage, fail-open, waiting, degraded, drained, serving
 *   (status-report.ts says when each applies);
 * - one row per real server: target, address, last probe and up/down (from the state: status does not probe),
 *   ELB's view (one DescribeTargetHealth per target group: read-only) and a note (override, make-before-break
 *   wait, weight 0, then the probe's reason).
 *
 * The table fits 120 columns: the note is cut with an ellipsis; `--wide` adds VIP, ports, mode and source and
 * shows every note whole. `--json` prints the whole report (status-report.ts `StatusReport`).
 * Exit 0; 2 on errors (docs/architecture.md#cli): usage errors, an unreadable config or state, and a target group that
 * could not be described (the table is still printed, with the error in that group's ELB column).
 */
import { describeAll } from '../controller/elb-steps';
import { ROUND_DEFAULTS } from '../controller/round-defaults';
import type { ControllerConfig } from '../../contract/controller-config';
import type { FallbackRulePort } from '../reconcile/ports';
import type { ControllerState } from '../reconcile/state';
import { awsOptionsOf, COMMON_OPTIONS, EXIT, openElb, openFallbackRules, parseCommandArgs, runCommand, stderrLogger, UsageError, writeOut } from './common';
import { loadControllerInputs } from './stack';
import { buildStatusReport, elbText, type RoundAge, type ServiceStatus, type StatusReport, type TargetGroupViews, type TargetStatus } from './status-report';

export type { TargetGroupViews } from './status-report';

const USAGE = `usage: medlb status (--config controller.json --state-file state.json | --stack NAME) [--wide] [--json] [--region R] [--profile P]
  --wide    every column (VIP, ports, mode, source) and every note whole
  --json    the report as JSON: last round time and age, stale flag, each service's state and targets
exit codes: 0 shown; 2 usage or input error, or a target group that could not be described`;

/** The terminal width the default table fits. */
export const STATUS_WIDTH = 120;

/** The narrowest a cut note may become before the line is allowed to grow past {@link STATUS_WIDTH}. */
const MIN_NOTE_WIDTH = 24;

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const { values, positionals } = parseCommandArgs(args, { ...COMMON_OPTIONS, wide: { type: 'boolean' }, json: { type: 'boolean' } }, true);
    if (values.help) {
      writeOut(USAGE);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const { config, store } = await loadControllerInputs(values);
    const state = await store.load();
    const elb = openElb(awsOptionsOf(values));
    const observed = await describeAll(config, elb, ROUND_DEFAULTS.describeConcurrency, stderrLogger('status'));
    const views: TargetGroupViews = new Map(Object.entries(observed));
    const report = buildStatusReport(config, state, views, new Date());
    const fallbackPages = await fallbackPagesOf(config, openFallbackRules(awsOptionsOf(values)));
    writeOut(
      values.json
        ? JSON.stringify(fallbackPages.length > 0 ? { ...report, fallbackPages } : report, null, 2)
        : [renderReport(report, { wide: values.wide === true }), ...fallbackPages.map(fallbackPageLine)].join('\n'),
    );
    return [...views.values()].some((view) => !Array.isArray(view)) ? EXIT.usage : EXIT.ok;
  });
}

/** The fallback page of a service that has one, as DescribeRules reports its rule now. */
export interface FallbackPageStatus {
  readonly service: string;
  /** Null when the rule could not be described. */
  readonly serving: boolean | null;
  readonly error?: string;
}

/** Reads each service's fallback rule (read-only: DescribeRules). */
async function fallbackPagesOf(config: ControllerConfig, rules: FallbackRulePort): Promise<FallbackPageStatus[]> {
  const withRule = config.services.flatMap((service) => (service.fallbackRuleArn === undefined ? [] : [{ name: service.name, ruleArn: service.fallbackRuleArn }]));
  return Promise.all(
    withRule.map(async ({ name, ruleArn }): Promise<FallbackPageStatus> => {
      try {
        return { service: name, serving: await rules.isServing(ruleArn) };
      } catch (err) {
        return { service: name, serving: null, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/** One line under the table per fallback page. */
function fallbackPageLine(page: FallbackPageStatus): string {
  if (page.serving === null) return `${page.service} fallback page: unknown (${page.error ?? 'rule not described'})`;
  return page.serving
    ? `${page.service} fallback page: SERVING — every request gets the maintenance page (HTTP 503) until a viewer server is healthy in ELB`
    : `${page.service} fallback page: off (forwarding)`;
}

/** Rendering choices. */
export interface RenderOptions {
  /** Every column and every note whole. @default false */
  readonly wide?: boolean;
  /** Width the default table fits. @default 120 */
  readonly width?: number;
}

/** Renders the System Overview of a config, state and ELB view at `now` (pure, for tests). */
export function renderStatus(config: ControllerConfig, state: ControllerState, views: TargetGroupViews, now: Date, options: RenderOptions = {}): string {
  return renderReport(buildStatusReport(config, state, views, now), options);
}

/** Renders a report: the last-round line, then the table. */
function renderReport(report: StatusReport, options: RenderOptions = {}): string {
  const wide = options.wide ?? false;
  const width = options.width ?? STATUS_WIDTH;
  const columns = wide
    ? (['SERVICE', 'STATE', 'VIP', 'PORTS', 'MODE', 'TARGET', 'IP', 'SOURCE', 'CHECK', 'ELB', 'NOTE'] as const)
    : (['SERVICE', 'STATE', 'TARGET', 'IP', 'CHECK', 'ELB', 'NOTE'] as const);
  const rows: Record<(typeof columns)[number], string>[] = [];
  for (const service of report.services) {
    const first = {
      SERVICE: service.name,
      STATE: service.state === 'serving' ? service.state : service.state.toUpperCase(),
      VIP: service.vips.join(',') || '-',
      PORTS: service.ports.join(','),
      MODE: service.mode,
    };
    const blank = { SERVICE: '', STATE: '', VIP: '', PORTS: '', MODE: '' };
    if (service.targets.length === 0) rows.push({ ...first, TARGET: '-', IP: '-', SOURCE: '-', CHECK: '-', ELB: '-', NOTE: service.why });
    service.targets.forEach((target, index) => {
      rows.push({
        ...(index === 0 ? first : blank),
        TARGET: target.name,
        IP: target.ip,
        SOURCE: target.source,
        CHECK: checkText(target),
        ELB: elbText(target.elb),
        NOTE: noteText(service, target),
      });
    });
  }
  const widths = columns.map((title) => Math.max(title.length, ...rows.map((row) => row[title].length)));
  if (!wide) {
    const fixed = widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0);
    widths[widths.length - 1] = Math.max(MIN_NOTE_WIDTH, Math.min(widths.at(-1) ?? 0, width - fixed));
  }
  // One width per column, NOTE last: the fallbacks never apply.
  const noteWidth = widths.at(-1) ?? 0;
  const line = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd();
  const table = [
    line(columns),
    ...rows.map((row) => line(columns.map((title) => (title === 'NOTE' && !wide ? ellipsis(row.NOTE, noteWidth) : row[title])))),
  ];
  return [lastRoundLine(report.lastRound, report.intervalSeconds), ...table].join('\n');
}

/** The first line: when the last round ran, and a loud marker when the controller looks stopped. */
function lastRoundLine(age: RoundAge, intervalSeconds: number): string {
  const threshold = `older than ${age.staleAfterSeconds} s = max(3 × ${intervalSeconds} s interval, 2 min)`;
  if (age.lastRoundAt === null) {
    return `STALE: no controller round has saved state yet: every column below is unconfirmed (runbook: docs/operating.md#heartbeat)`;
  }
  const when = `last round ${age.lastRoundAt} (${age.ageSeconds === null ? 'unknown time' : ageText(age.ageSeconds)} ago)`;
  if (age.stale) return `STALE: ${when}, ${threshold}: is the controller running? Probe and up/down columns are out of date (runbook: docs/operating.md#heartbeat)`;
  return when;
}

function ageText(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86_400)} days`;
}

/** Last probe and up/down in one cell: `pass up`, `FAIL DOWN`, `pass DOWN` (rising), `never`. */
function checkText(target: TargetStatus): string {
  const probe = target.lastProbe ? (target.lastProbe.healthy ? 'pass' : 'FAIL') : 'never';
  const health = target.up === null ? '' : target.up ? ' up' : ' DOWN';
  return `${probe}${health}`;
}

/** What an operator must read first comes first: the override, the make-before-break wait, weight 0, then the probe's reason. */
function noteText(service: ServiceStatus, target: TargetStatus): string {
  const parts: string[] = [];
  if (target.override) {
    const o = target.override;
    parts.push(`${o.action} by ${o.by} at ${o.at}${o.reason ? ` (${o.reason})` : ''}`);
  }
  if (target.pending) {
    parts.push(`kept: waiting for ${target.pending.replacements.join(' or ') || 'a replacement'} to become healthy since ${target.pending.since}`);
  }
  if (target.pin) {
    const p = target.pin;
    parts.push(`PINNED by ${p.by} until ${p.until}${target.pinOutranked ? ` (outranked by the ${target.override?.action ?? 'override'})` : ''} (${p.reason})`);
  }
  if (target.window) parts.push(`${target.window.action} window of ${target.window.by} until ${target.window.until}${target.window.reason ? ` (${target.window.reason})` : ''}`);
  for (const w of service.windows.filter((w) => !w.inForce && w.target === target.name)) {
    parts.push(`scheduled ${w.action} ${w.from} – ${w.until} by ${w.by}`);
  }
  if (target.drained) parts.push('weight 0');
  if (target.lastProbe) parts.push(target.lastProbe.reason);
  else if (service.targets.length > 0) parts.push('never probed');
  return parts.join('; ').replace(/\s+/g, ' ') || '-';
}

/** Cuts text to `max` characters, the last one an ellipsis, so a cut is never mistaken for the whole reason. */
function ellipsis(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
