/** Defaults of the ELBv2 adapter, in one place (retry defaults: AWS_RETRY_DEFAULTS in aws-retry.ts). */
export const ELBV2_DEFAULTS = {
  /** Targets per RegisterTargets/DeregisterTargets call (AWS documents no cap; 20 is conservative). */
  batchSize: 20,
} as const;
