/** The lab's EC2 endpoint under the name the older tests use (lab/ec2-endpoint.ts is the product code). */
export { Ec2Endpoint as FakeEc2 } from '../../lab/ec2-endpoint';
