import { Stack } from 'aws-cdk-lib';
import { SiteNetwork } from '../../lib/constructs';

/** The guide's example network: two private subnets in two AZs holding the 10.12.1.x addresses. */
export const EXAMPLE_EXISTING_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  cidr: '10.12.0.0/16',
  subnets: [
    { subnetId: 'subnet-0aaaaaaaaaaaaaaaa', availabilityZone: 'eu-west-2a', cidr: '10.12.1.0/24' },
    { subnetId: 'subnet-0bbbbbbbbbbbbbbbb', availabilityZone: 'eu-west-2b', cidr: '10.12.2.0/24' },
  ],
} as const;

/** A certificate ARN of the right shape (nothing is looked up). */
export const EXAMPLE_CERTIFICATE_ARN = 'arn:aws:acm:eu-west-2:111122223333:certificate/00000000-0000-0000-0000-000000000000';

/** An imported example network in `stack`. */
export function exampleNetwork(stack: Stack): SiteNetwork {
  return new SiteNetwork(stack, 'Network', { existingVpc: { ...EXAMPLE_EXISTING_VPC, subnets: [...EXAMPLE_EXISTING_VPC.subnets] } });
}

/** VIP mappings for `addresses`, each in the network's subnet that holds it. */
export function vipMappings(network: SiteNetwork, ...addresses: string[]) {
  return addresses.map((address) => {
    const subnet = network.subnetFor(address);
    if (!subnet) throw new Error(`fixture error: ${address} is in no subnet`);
    return { subnet, privateIpv4Address: address };
  });
}

/** The problems of the ConstructPropsError `build` throws (fails the test when it does not throw one). */
export function problemsOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof Error && error.name === 'ConstructPropsError') return (error as Error & { problems: string[] }).problems;
    throw error;
  }
  throw new Error('expected a ConstructPropsError');
}
