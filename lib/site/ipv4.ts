/**
 * Tiny IPv4 / CIDR arithmetic for site validation (no dependency: the rules are few and must be exact).
 * Addresses are unsigned 32-bit integers; parsing is strict (dotted quad, no leading zeros, no spaces),
 * because an admin's typo must be reported, not silently reinterpreted (e.g. "010.1.1.1" as octal).
 */

/** An IPv4 network in CIDR notation, parsed. */
export interface Ipv4Cidr {
  /** First address of the block (host bits zero). */
  readonly network: number;
  /** Prefix length, 0–32. */
  readonly prefixLength: number;
  /** Last address of the block (all host bits one). */
  readonly broadcast: number;
  /** The block as written canonically, e.g. "10.12.1.0/24". */
  readonly text: string;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parses a dotted-quad IPv4 address; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** True when text is a strict dotted-quad IPv4 address. */
export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** Formats a 32-bit unsigned integer as a dotted quad. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Why a CIDR string is not acceptable, or undefined when it is a proper network block. */
export function cidrProblem(text: string): string | undefined {
  if (typeof text !== 'string') return 'is not a CIDR block';
  const match = /^([^/]+)\/(0|[1-9][0-9]?)$/.exec(text);
  if (!match) return 'is not a CIDR block like 10.12.0.0/16';
  // Both groups are not optional, so a match has them.
  const [, addressText = '', prefixText = ''] = match;
  const address = parseIpv4(addressText);
  const prefixLength = Number(prefixText);
  if (address === undefined || prefixLength > 32) return 'is not a CIDR block like 10.12.0.0/16';
  const network = (address & maskOf(prefixLength)) >>> 0;
  if (network !== address) {
    return `has host bits set (did you mean ${formatIpv4(network)}/${prefixLength}?)`;
  }
  return undefined;
}

/** Parses "a.b.c.d/n" whose host bits are zero; undefined otherwise (see cidrProblem for why). */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  if (cidrProblem(text) !== undefined) return undefined;
  const [addressText = '', prefixText] = text.split('/');
  const prefixLength = Number(prefixText);
  const network = parseIpv4(addressText);
  if (network === undefined) return undefined;
  const broadcast = (network | ~maskOf(prefixLength)) >>> 0;
  return { network, prefixLength, broadcast, text: `${formatIpv4(network)}/${prefixLength}` };
}

/** True when the address (text or integer) lies inside the block. */
export function cidrContains(cidr: Ipv4Cidr, address: number | string): boolean {
  const value = typeof address === 'string' ? parseIpv4(address) : address;
  return value !== undefined && value >= cidr.network && value <= cidr.broadcast;
}

/** True when inner lies entirely inside outer. */
export function cidrContainsCidr(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.network >= outer.network && inner.broadcast <= outer.broadcast;
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}

/** Number of addresses in the block. */
export function cidrSize(cidr: Ipv4Cidr): number {
  return cidr.broadcast - cidr.network + 1;
}

/**
 * Why AWS reserves this address of a subnet, or undefined when it is usable.
 * AWS keeps the first four addresses (network, VPC router, DNS, future use) and the last one.
 */
export function awsReservedAddressReason(subnet: Ipv4Cidr, address: number | string): string | undefined {
  const value = typeof address === 'string' ? parseIpv4(address) : address;
  if (value === undefined || !cidrContains(subnet, value)) return undefined;
  const offset = value - subnet.network;
  if (offset === 0) return 'the network address';
  if (offset === 1) return 'reserved by AWS for the VPC router';
  if (offset === 2) return 'reserved by AWS for the DNS server';
  if (offset === 3) return 'reserved by AWS for future use';
  if (value === subnet.broadcast) return 'the broadcast address (reserved by AWS)';
  return undefined;
}

/**
 * Address ranges from which an ELB IP target may come when it is outside the VPC
 * (RFC 1918 and RFC 6598). Publicly routable addresses cannot be registered.
 */
export const REGISTRABLE_NON_VPC_CIDRS: readonly Ipv4Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map(
  (text) => requireCidr(text, 'REGISTRABLE_NON_VPC_CIDRS'),
);

/** parseCidr for a block already known to be valid (a constant, or input validated earlier); throws if it is not. */
export function requireCidr(text: string, what: string): Ipv4Cidr {
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new Error(`${what}: ${text} is not a CIDR block`);
  return cidr;
}

/**
 * CIDR blocks that cover every given block, at most `maxBlocks` where possible: the blocks themselves when they
 * fit, else every block widened to /24, then to /16, whichever first brings the count under the limit. It never
 * widens beyond /16 (a /8 would reach far outside a hospital's server networks): past that the /16s are returned
 * and the security group's own quota check reports the site as too large. Keeps security groups (60 rules per
 * direction by default) usable for large pools.
 */
export function coveringCidrs(blocks: readonly string[], maxBlocks: number): string[] {
  const parsed = [...new Set(blocks)].map((text) => requireCidr(text, 'coveringCidrs'));
  for (const prefixLength of [32, 24, 16]) {
    const widened = new Map<string, Ipv4Cidr>();
    for (const cidr of parsed) {
      const length = Math.min(prefixLength, cidr.prefixLength);
      const network = (cidr.network & maskOf(length)) >>> 0;
      const text = `${formatIpv4(network)}/${length}`;
      widened.set(text, requireCidr(text, 'coveringCidrs'));
    }
    // A block inside another widened block adds no address.
    const covering = [...widened.values()].filter(
      (cidr) => ![...widened.values()].some((other) => other !== cidr && other.prefixLength < cidr.prefixLength && cidrContainsCidr(other, cidr)),
    );
    if (covering.length <= maxBlocks || prefixLength === 16) return covering.map((cidr) => cidr.text).sort();
  }
  throw new Error('coveringCidrs: unreachable');
}
