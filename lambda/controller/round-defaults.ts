import { ROUND_BUDGET } from '../../contract/round-budget';

/** Defaults of the round runner (docs/architecture.md#reconcile-rules), in one place. */
export const ROUND_DEFAULTS = {
  /**
   * Probes in flight at once. High so that silent targets cost one timeout per round rather than one per
   * target (a Lambda can hold hundreds of idle sockets; each probe is mostly waiting).
   */
  probeConcurrency: 512,
  /** DescribeTargetHealth calls in flight (ELB's describe bucket holds 40 and refills 10/s). */
  describeConcurrency: 8,
  /** Services whose writes are applied at once (writes share a smaller ELB bucket). */
  applyConcurrency: 4,
  /** Services whose EC2 discovery runs at once (EC2's DescribeInstances bucket is shared with the account). */
  discoveryConcurrency: 4,
  /**
   * Extra time a probe gets beyond its check's timeoutMs before the runner abandons it; the probe library
   * bounds itself, this only protects the round from a probe that never settles. Part of the round budget.
   */
  probeGraceMs: ROUND_BUDGET.probeGraceMs,
} as const;
