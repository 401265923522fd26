/** The lab's EC2 endpoint under the name the older tests use (lab/ec2-endpoint.ts is the product code). */
export {
  Ec2Endpoint as FakeEc2,
  type Ec2EndpointCall as FakeEc2Call,
  type Ec2EndpointInstance as FakeInstance,
  type Ec2EndpointOptions as FakeEc2Options,
} from '../../lab/ec2-endpoint';
