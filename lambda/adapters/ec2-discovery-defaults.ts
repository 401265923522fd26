/** Defaults of the EC2 discovery adapter, in one place (retry defaults: AWS_RETRY_DEFAULTS in aws-retry.ts). */
export const EC2_DISCOVERY_DEFAULTS = {
  /** DescribeInstances MaxResults per page (the API's maximum with filters). */
  pageSize: 1000,
  /** Pages followed per query; beyond this the selector is too broad (or NextToken loops). */
  maxPages: 100,
} as const;
