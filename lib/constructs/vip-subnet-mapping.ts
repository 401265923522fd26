import { Token, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { awsReservedAddressReason, cidrContains, parseCidr, parseIpv4 } from '../site/ipv4';
import { ProblemList } from './validation';

/** One static private VIP of an internal NLB: the address it takes in one subnet (one per subnet/AZ). */
export interface VipSubnetMapping {
  /** The subnet (its AZ) the address lives in. */
  readonly subnet: ec2.ISubnet;
  /** The static private IPv4 address in that subnet. */
  readonly privateIpv4Address: string;
}

/**
 * Records every problem of a set of VIP subnet mappings: at least one, valid addresses, each inside its
 * subnet and not AWS-reserved, no subnet / AZ / address twice (an NLB takes one address per subnet and AZ).
 * Subnet CIDRs or AZs that are unknown (imported without them) or tokens are skipped, not guessed.
 */
export function checkVipSubnetMappings(problems: ProblemList, propName: string, mappings: readonly VipSubnetMapping[]): void {
  problems.check(mappings.length > 0, `${propName}: at least one subnet mapping (static VIP) is required`);
  const seenSubnets = new Set<string>();
  const seenZones = new Set<string>();
  const seenAddresses = new Set<string>();
  mappings.forEach((mapping, index) => {
    const path = `${propName}[${index}]`;
    const address = mapping.privateIpv4Address;
    const subnetId = mapping.subnet.subnetId;
    if (!Token.isUnresolved(subnetId)) {
      problems.check(!seenSubnets.has(subnetId), `${path}.subnet: ${subnetId} is used twice (one VIP per subnet)`);
      seenSubnets.add(subnetId);
    }
    const zone = knownString(() => mapping.subnet.availabilityZone);
    if (zone !== undefined) {
      problems.check(!seenZones.has(zone), `${path}.subnet: a second subnet in ${zone} (an NLB takes one subnet per availability zone)`);
      seenZones.add(zone);
    }
    if (parseIpv4(address) === undefined) {
      problems.add(`${path}.privateIpv4Address: ${address} is not an IPv4 address`);
      return;
    }
    problems.check(!seenAddresses.has(address), `${path}.privateIpv4Address: ${address} is used twice`);
    seenAddresses.add(address);
    const cidr = knownString(() => mapping.subnet.ipv4CidrBlock);
    const block = cidr === undefined ? undefined : parseCidr(cidr);
    if (block === undefined) return;
    if (!cidrContains(block, address)) {
      problems.add(`${path}.privateIpv4Address: ${address} is outside its subnet ${subnetId} (${block.text})`);
      return;
    }
    const reserved = awsReservedAddressReason(block, address);
    if (reserved !== undefined) {
      problems.add(`${path}.privateIpv4Address: ${address} cannot be a VIP in ${block.text}: ${reserved}`);
    }
  });
}

/** A subnet attribute when it is known and literal; imported subnets throw when it was not given. */
function knownString(read: () => string): string | undefined {
  try {
    const value = read();
    return Token.isUnresolved(value) ? undefined : value;
  } catch {
    return undefined;
  }
}
