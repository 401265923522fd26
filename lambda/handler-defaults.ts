/** Defaults of the controller Lambda (DESIGN.md §3.5), in one place. */
export const HANDLER_DEFAULTS = {
  /** The schedule's period: an invocation ends its rounds before `time` (or its start) + this. */
  schedulePeriodMs: 60_000,
  /** Powertools logger service name. */
  loggerServiceName: 'medlb-controller',
  /** Key of the state-table item holding the controller config (`document`: JSON text), written at deploy time. */
  configItemKey: { pk: 'CONFIG', sk: 'v1' },
  /** Between rounds, waiting make-before-break switches are re-read this often ("every few seconds"). */
  switchPollMs: 2_000,
  /** `source` of the post-deploy invocation's event: it runs a single round. */
  postDeploySource: 'medlb.post-deploy',
} as const;
