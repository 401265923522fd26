import {
  awsReservedAddressReason,
  cidrContains,
  cidrContainsCidr,
  cidrProblem,
  cidrsOverlap,
  cidrSize,
  coveringCidrs,
  formatIpv4,
  isIpv4,
  parseCidr,
  parseIpv4,
  REGISTRABLE_NON_VPC_CIDRS,
} from '../../lib/site/ipv4';

describe('parseIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['10.12.1.100', 0x0a0c0164],
    ['255.255.255.255', 0xffffffff],
    ['192.168.0.1', 0xc0a80001],
  ])('parses %s', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
    expect(formatIpv4(value)).toBe(text);
  });

  it.each(['', '10.12.1', '10.12.1.1.1', '256.1.1.1', '010.1.1.1', '1.1.1.-1', ' 1.1.1.1', '1.1.1.1 ', '1..1.1', 'a.b.c.d', '1.1.1.1/32', '1e2.1.1.1', '0x1.1.1.1'])(
    'rejects %j',
    (text) => {
      expect(parseIpv4(text)).toBeUndefined();
      expect(isIpv4(text)).toBe(false);
    },
  );

  it('rejects non-strings without throwing', () => {
    expect(parseIpv4(42 as unknown as string)).toBeUndefined();
  });
});

describe('CIDR blocks', () => {
  it('parses a network block with its range', () => {
    const cidr = parseCidr('10.12.1.0/24')!;
    expect(formatIpv4(cidr.network)).toBe('10.12.1.0');
    expect(formatIpv4(cidr.broadcast)).toBe('10.12.1.255');
    expect(cidr.prefixLength).toBe(24);
    expect(cidrSize(cidr)).toBe(256);
  });

  it('handles /0 and /32 without 32-bit shift surprises', () => {
    const everything = parseCidr('0.0.0.0/0')!;
    expect(formatIpv4(everything.broadcast)).toBe('255.255.255.255');
    expect(cidrSize(everything)).toBe(2 ** 32);
    const single = parseCidr('10.1.2.3/32')!;
    expect(single.network).toBe(single.broadcast);
    expect(cidrContains(single, '10.1.2.3')).toBe(true);
    expect(cidrContains(single, '10.1.2.4')).toBe(false);
  });

  it('says when host bits are set, and suggests the network', () => {
    expect(cidrProblem('10.12.1.5/24')).toBe('has host bits set (did you mean 10.12.1.0/24?)');
    expect(parseCidr('10.12.1.5/24')).toBeUndefined();
  });

  it.each(['10.12.1.0', '10.12.1.0/33', '10.12.1.0/024', '10.12.1/24', '10.12.1.0/-1', 'x/8', ''])('rejects %j', (text) => {
    expect(cidrProblem(text)).toMatch(/is not a CIDR block/);
  });

  it('contains addresses at both edges and nothing beyond', () => {
    const cidr = parseCidr('10.12.1.0/24')!;
    expect(cidrContains(cidr, '10.12.1.0')).toBe(true);
    expect(cidrContains(cidr, '10.12.1.255')).toBe(true);
    expect(cidrContains(cidr, '10.12.0.255')).toBe(false);
    expect(cidrContains(cidr, '10.12.2.0')).toBe(false);
    expect(cidrContains(cidr, 'not an ip')).toBe(false);
  });

  it('relates blocks: containment and overlap', () => {
    const vpc = parseCidr('10.12.0.0/16')!;
    const subnet = parseCidr('10.12.1.0/24')!;
    const outside = parseCidr('10.13.0.0/24')!;
    expect(cidrContainsCidr(vpc, subnet)).toBe(true);
    expect(cidrContainsCidr(subnet, vpc)).toBe(false);
    expect(cidrContainsCidr(vpc, outside)).toBe(false);
    expect(cidrsOverlap(vpc, subnet)).toBe(true);
    expect(cidrsOverlap(subnet, vpc)).toBe(true);
    expect(cidrsOverlap(subnet, outside)).toBe(false);
    expect(cidrsOverlap(parseCidr('10.12.1.0/25')!, parseCidr('10.12.1.128/25')!)).toBe(false);
  });
});

describe('AWS-reserved subnet addresses', () => {
  const subnet = parseCidr('10.12.1.0/24')!;
  it.each([
    ['10.12.1.0', 'the network address'],
    ['10.12.1.1', 'reserved by AWS for the VPC router'],
    ['10.12.1.2', 'reserved by AWS for the DNS server'],
    ['10.12.1.3', 'reserved by AWS for future use'],
    ['10.12.1.255', 'the broadcast address (reserved by AWS)'],
  ])('%s is %s', (ip, reason) => {
    expect(awsReservedAddressReason(subnet, ip)).toBe(reason);
  });

  it.each(['10.12.1.4', '10.12.1.254', '10.12.2.1'])('%s is usable (or not in the subnet)', (ip) => {
    expect(awsReservedAddressReason(subnet, ip)).toBeUndefined();
  });
});

describe('registrable non-VPC ranges', () => {
  const registrable = (ip: string) => REGISTRABLE_NON_VPC_CIDRS.some((cidr) => cidrContains(cidr, ip));
  it.each(['10.0.0.1', '172.16.0.1', '172.31.255.254', '192.168.1.1', '100.64.0.1', '100.127.255.254'])('%s may be registered', (ip) => {
    expect(registrable(ip)).toBe(true);
  });
  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '127.0.0.1', '11.0.0.1'])('%s may not', (ip) => {
    expect(registrable(ip)).toBe(false);
  });
});

describe('coveringCidrs', () => {
  const hosts = (prefix: string, count: number, first = 1) => Array.from({ length: count }, (_, i) => `${prefix}.${first + i}/32`);

  test('blocks that fit are returned as they are (deduplicated, sorted)', () => {
    expect(coveringCidrs(['10.12.1.111/32', '10.12.1.110/32', '10.12.1.110/32'], 5)).toEqual(['10.12.1.110/32', '10.12.1.111/32']);
  });

  test('too many hosts are widened to their /24s, and a block inside another is dropped', () => {
    expect(coveringCidrs([...hosts('10.12.1', 40), ...hosts('10.12.2', 30), '10.12.2.128/25'], 10)).toEqual(['10.12.1.0/24', '10.12.2.0/24']);
  });

  test('widening goes on to /16 and stops there; blocks already wider stay; every host stays covered', () => {
    const spread = Array.from({ length: 12 }, (_, i) => `10.${i}.1.5/32`);
    const widened = coveringCidrs([...spread, '192.168.0.0/16', '172.16.0.0/12'], 13);
    expect(widened).toEqual([...Array.from({ length: 12 }, (_, i) => `10.${i}.0.0/16`), '172.16.0.0/12', '192.168.0.0/16'].sort());
    for (const host of spread) expect(widened.some((block) => cidrContains(parseCidr(block)!, host.split('/')[0]!))).toBe(true);
    // Never wider than /16, even when that is still too many: the security group quota check then names the site.
    expect(coveringCidrs(spread, 3)).toHaveLength(12);
  });

  test('a malformed block is a programming error, named', () => {
    expect(() => coveringCidrs(['10.12.1.300/32'], 5)).toThrow('coveringCidrs: 10.12.1.300/32 is not a CIDR block');
  });
});
