import { blockContains, formatIpv4, isAwsReservedInSubnet, parseIpv4, parseIpv4Cidr } from '../../lib/constructs/ipv4';

describe('IPv4 helper of the constructs', () => {
  it('parses dotted quads and rejects malformed ones', () => {
    expect(parseIpv4('10.12.1.100')).toBe(10 * 2 ** 24 + 12 * 2 ** 16 + 1 * 2 ** 8 + 100);
    expect(parseIpv4('255.255.255.255')).toBe(2 ** 32 - 1);
    for (const bad of ['10.12.1', '10.12.1.256', '10.012.1.1', '10.12.1.1.1', 'a.b.c.d', '', ' 10.1.1.1']) {
      expect(parseIpv4(bad)).toBeUndefined();
    }
    expect(formatIpv4(parseIpv4('192.168.50.10') as number)).toBe('192.168.50.10');
  });

  it('parses CIDR blocks, rejecting set host bits and bad prefixes', () => {
    expect(parseIpv4Cidr('10.12.1.0/24')).toEqual({
      cidr: '10.12.1.0/24',
      first: parseIpv4('10.12.1.0'),
      last: parseIpv4('10.12.1.255'),
      prefixLength: 24,
    });
    expect(parseIpv4Cidr('0.0.0.0/0')?.last).toBe(2 ** 32 - 1);
    expect(parseIpv4Cidr('10.12.1.7/32')?.first).toBe(parseIpv4('10.12.1.7'));
    for (const bad of ['10.12.1.1/24', '10.12.1.0/33', '10.12.1.0', '10.12.1.0/', 'x/24']) {
      expect(parseIpv4Cidr(bad)).toBeUndefined();
    }
  });

  it('tells membership and AWS-reserved subnet addresses', () => {
    const block = parseIpv4Cidr('10.12.1.0/24')!;
    expect(blockContains(block, '10.12.1.0')).toBe(true);
    expect(blockContains(block, '10.12.1.255')).toBe(true);
    expect(blockContains(block, '10.12.2.0')).toBe(false);
    expect(blockContains(block, 'nonsense')).toBe(false);
    expect(['10.12.1.0', '10.12.1.1', '10.12.1.2', '10.12.1.3', '10.12.1.255'].map((a) => isAwsReservedInSubnet(block, a))).toEqual([
      true, true, true, true, true,
    ]);
    expect(['10.12.1.4', '10.12.1.100', '10.12.1.254'].map((a) => isAwsReservedInSubnet(block, a))).toEqual([false, false, false]);
  });
});
