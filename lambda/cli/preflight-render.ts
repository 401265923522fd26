/**
 * The preflight's System-Overview table (pure): one line per real server — service, server, where the probe went,
 * the check, the verdict, its latency and reason — fitted to 120 columns like `medlb status` (the reason cut with
 * `…` unless wide), a heading that says where the checks ran and how many passed, and the notes (discovery
 * skipped or failed) below.
 */
import type { PreflightReport } from '../controller/preflight';

/** Rendering choices. */
export interface PreflightRenderOptions {
  /** Every reason whole. @default false */
  readonly wide?: boolean;
  /** Width the table fits. @default 120 */
  readonly width?: number;
  /** What was checked, for the heading: a site file or a stack. */
  readonly subject?: string;
}

/** The terminal width the default table fits (as `medlb status`). */
const PREFLIGHT_WIDTH = 120;

/** The narrowest a cut reason may become before the line is allowed to grow past the width. */
const MIN_REASON_WIDTH = 24;

const COLUMNS = ['SERVICE', 'SERVER', 'ADDRESS', 'CHECK', 'VERDICT', 'LATENCY', 'REASON'] as const;

/** Renders a preflight report as the heading, the table and the notes. */
export function renderPreflight(report: PreflightReport, options: PreflightRenderOptions = {}): string {
  const wide = options.wide ?? false;
  const width = options.width ?? PREFLIGHT_WIDTH;
  const rows = report.results.map((result, index): Record<(typeof COLUMNS)[number], string> => {
    const sameService = index > 0 && report.results[index - 1]?.service === result.service;
    return {
      SERVICE: sameService ? '' : result.service,
      SERVER: result.server,
      ADDRESS: result.address,
      CHECK: result.check,
      VERDICT: result.healthy ? 'pass' : 'FAIL',
      LATENCY: `${Math.round(result.latencyMs)} ms`,
      REASON: result.reason.replace(/\s+/g, ' '),
    };
  });
  const widthOf = (title: (typeof COLUMNS)[number]) => Math.max(title.length, ...rows.map((row) => row[title].length));
  const fixedWidths = COLUMNS.slice(0, -1).map(widthOf);
  const fixed = fixedWidths.reduce((sum, w) => sum + w + 2, 0);
  const reasonWidth = wide ? widthOf('REASON') : Math.max(MIN_REASON_WIDTH, Math.min(widthOf('REASON'), width - fixed));
  const widths = [...fixedWidths, reasonWidth];
  const line = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd();
  const table = [line(COLUMNS), ...rows.map((row) => line(COLUMNS.map((title) => (title === 'REASON' && !wide ? ellipsis(row.REASON, reasonWidth) : row[title]))))];
  const passed = report.results.filter((result) => result.healthy).length;
  const where = report.ranFrom === 'controller' ? "from the controller's subnets" : 'from this machine';
  const heading = `preflight${options.subject ? ` of ${options.subject}` : ''} ${where} at ${report.at}: ${passed} of ${report.results.length} servers pass${report.ok ? '' : ' — NOT READY'}`;
  const notes = report.notes.flatMap((note) => wrap(`${note.failed ? 'FAILED' : 'note'}: ${note.service}: ${note.message}`, wide ? Infinity : width));
  return [heading, ...(report.results.length > 0 ? table : ['no real server to check']), ...notes].join('\n');
}

/** Breaks text at spaces into lines of at most `max` characters (a longer word stays whole), continuation lines indented. */
function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current !== '' && current.length + 1 + word.length > max) {
      lines.push(current);
      current = `  ${word}`;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** Cuts text to `max` characters, the last one an ellipsis, so a cut is never mistaken for the whole reason. */
function ellipsis(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
