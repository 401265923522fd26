/** The lab's ELBv2 endpoint under the names the older tests use (lab/elbv2-endpoint.ts is the product code). */
export {
  Elbv2Endpoint as FakeElbv2,
  type Elbv2Call as FakeCall,
  type Elbv2EndpointOptions as FakeElbv2Options,
  type EndpointTarget as FakeTarget,
  type TargetStateName as FakeTargetState,
} from '../../lab/elbv2-endpoint';
