/**
 * Defaults of the controller Lambda (docs/architecture.md#runtime), in one place. What the stack must agree on
 * (environment, config item, post-deploy event) is in contract/.
 */
export const HANDLER_DEFAULTS = {
  /** The schedule's period: an invocation ends its rounds before `time` (or its start) + this. */
  schedulePeriodMs: 60_000,
  /** Between rounds, waiting make-before-break switches are re-read this often ("every few seconds"). */
  switchPollMs: 2_000,
} as const;
