/**
 * Minimal IPv4 arithmetic for the constructs (construct-level validation and `SiteNetwork.subnetFor`).
 * Kept private to lib/constructs so the constructs do not depend on the site-definition layer.
 */

/** A parsed IPv4 CIDR block; addresses are unsigned 32-bit integers. */
export interface Ipv4Block {
  /** The block as written, normalised (e.g. `10.12.1.0/24`). */
  readonly cidr: string;
  /** First address of the block (the network address). */
  readonly first: number;
  /** Last address of the block (the broadcast address). */
  readonly last: number;
  /** Prefix length, 0–32. */
  readonly prefixLength: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a dotted-quad IPv4 address; `undefined` when it is not one (no leading zeros, no extra parts). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => OCTET.test(part))) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

/** Formats an unsigned 32-bit integer as a dotted-quad address. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * Parses `a.b.c.d/n`. Returns `undefined` for malformed text or when host bits are set
 * (`10.0.0.1/24` is almost always a typo, and AWS rejects it in security-group rules).
 */
export function parseIpv4Cidr(text: string): Ipv4Block | undefined {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const address = parseIpv4(match[1]);
  const prefixLength = Number(match[2]);
  if (address === undefined || prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  if (address % size !== 0) return undefined;
  return { cidr: `${formatIpv4(address)}/${prefixLength}`, first: address, last: address + size - 1, prefixLength };
}

/** True when `address` (dotted quad) lies inside `block`. */
export function blockContains(block: Ipv4Block, address: string): boolean {
  const value = parseIpv4(address);
  return value !== undefined && value >= block.first && value <= block.last;
}

/**
 * True when AWS reserves `address` in a subnet `block`: the network address, the next three
 * (VPC router, DNS, future use) and the broadcast address. An NLB cannot take those as a static IP.
 */
export function isAwsReservedInSubnet(block: Ipv4Block, address: string): boolean {
  const value = parseIpv4(address);
  return value !== undefined && (value - block.first < 4 || value === block.last);
}
