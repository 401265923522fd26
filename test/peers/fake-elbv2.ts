/**
 * The lab's ELBv2 endpoint under the names the older tests use (lab/elbv2-endpoint.ts is the product code).
 * Those tests were written against the `describes` health model (`initial` and `draining` last a number of
 * DescribeTargetHealth calls), so that is this name's default; the data-plane tests use the endpoint itself.
 */
import { Elbv2Endpoint, type Elbv2EndpointOptions } from '../../lab/elbv2-endpoint';

export type { Elbv2Call as FakeCall } from '../../lab/elbv2-endpoint';

export type FakeElbv2 = Elbv2Endpoint;
export const FakeElbv2 = {
  start: (options: Elbv2EndpointOptions = {}): Promise<Elbv2Endpoint> => Elbv2Endpoint.start({ healthModel: 'describes', ...options }),
};
