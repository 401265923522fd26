/**
 * IPv4 ranges as the lab's ELBv2 endpoint needs them: the VPC's CIDR and the ranges AWS accepts for IP targets
 * outside the VPC (on-premises servers over VPN or Direct Connect).
 */

/** An IPv4 CIDR block, parsed. */
export interface Ipv4Cidr {
  /** The block as written, e.g. `10.0.0.0/8`. */
  readonly text: string;
  readonly network: number;
  readonly mask: number;
}

/**
 * The ranges AWS accepts for an IP target outside the VPC: RFC 1918 and RFC 6598. Publicly routable addresses
 * cannot be registered (docs/architecture.md#aws-facts; CDK `IpTarget` docs).
 */
export const AWS_PRIVATE_TARGET_RANGES: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];

/** The address as a 32-bit unsigned number, or undefined when it is not a dotted-quad IPv4 address. */
export function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Parses `a.b.c.d/n`; throws a RangeError naming the text when it is not one. */
export function parseCidr(text: string): Ipv4Cidr {
  const [address, bits, extra] = text.split('/');
  const base = address === undefined ? undefined : ipv4ToNumber(address);
  const prefix = Number(bits);
  if (base === undefined || extra !== undefined || bits === undefined || !/^\d{1,2}$/.test(bits) || prefix > 32) {
    throw new RangeError(`not an IPv4 CIDR block: '${text}'`);
  }
  // `>>> 0` keeps the mask unsigned; a /0 mask is 0 (JavaScript shifts are taken modulo 32).
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { text, network: (base & mask) >>> 0, mask };
}

/** Whether the address lies in the block. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return ((address & cidr.mask) >>> 0) === cidr.network;
}
