/** Derived facts the stack and the controller config need from a parsed site. */
import { cidrContains, coveringCidrs, parseCidr, parseIpv4 } from './ipv4';
import type { DiscoverDefinition, NetworkDefinition, RealServer, ServiceDefinition, ServiceInput, Site, SubnetDefinition, ViewerDefinition } from './schema';

/** The VIP addresses of a service (parsed or as written), the guide's address first. */
export function vipAddressesOf(service: Pick<ServiceInput, 'vip'> | Pick<ServiceDefinition, 'vip'>): string[] {
  return typeof service.vip === 'string' ? [service.vip] : [...service.vip];
}

/** The static VIP addresses of the viewer (empty when it has none). */
export function staticVipAddressesOf(viewer: Pick<ViewerDefinition, 'staticVip'>): string[] {
  return viewer.staticVip ? [...viewer.staticVip] : [];
}

/** The VPC's CIDR block as written. */
export function vpcCidrOf(site: Pick<Site, 'network'>): string {
  return site.network.existingVpc ? site.network.existingVpc.cidr : site.network.newVpc.cidr;
}

/** True when the IPv4 address lies in the VPC CIDR (false for anything else, including malformed input). */
export function isInVpc(ip: string, site: Pick<Site, 'network'>): boolean {
  const cidr = parseCidr(vpcCidrOf(site));
  return cidr !== undefined && cidrContains(cidr, ip);
}

/** True when the network is an existing VPC imported by attributes. */
export function isExistingVpc(network: NetworkDefinition): network is Extract<NetworkDefinition, { existingVpc: object }> {
  return network.existingVpc !== undefined;
}

/** The listed subnet (existing VPC) that holds the address, or undefined (also for a new VPC). */
export function subnetOf(ip: string, site: Pick<Site, 'network'>): SubnetDefinition | undefined {
  if (!site.network.existingVpc || parseIpv4(ip) === undefined) return undefined;
  return site.network.existingVpc.subnets.find((subnet) => {
    const cidr = parseCidr(subnet.cidr);
    return cidr !== undefined && cidrContains(cidr, ip);
  });
}

/** A static private IP on a subnet: one element of an NLB's subnet mappings. */
export interface VipSubnetMapping {
  /** Subnet that holds the address. */
  readonly subnet: SubnetDefinition;
  /** The static private IPv4 address. */
  readonly privateIpv4Address: string;
}

/**
 * The subnet mappings for a list of VIPs in an existing VPC (one per subnet; the NLB spans only these subnets).
 * @throws Error when a VIP is in no listed subnet — parseSite has already reported that, so this means an unvalidated site
 */
export function vipSubnetMappings(vips: readonly string[], site: Pick<Site, 'network'>): VipSubnetMapping[] {
  return vips.map((ip) => {
    const subnet = subnetOf(ip, site);
    if (!subnet) throw new Error(`VIP ${ip} is in no listed subnet of the VPC; parse the site with parseSite first`);
    return { subnet, privateIpv4Address: ip };
  });
}

/** Every distinct real-server address of a site, services and viewer (for narrow egress rules). */
export function realServerAddressesOf(site: Pick<Site, 'services' | 'viewer'>): string[] {
  const addresses = new Set<string>();
  for (const service of site.services) for (const server of service.realServers) addresses.add(server.ip);
  for (const server of site.viewer?.realServers ?? []) addresses.add(server.ip);
  return [...addresses];
}

/**
 * Where a pool's discovered instances can be (their addresses are unknown at synth): the CIDRs of the
 * selector's subnets when it names subnets of an existing VPC, else the whole VPC CIDR. Empty without discovery.
 */
export function discoveryCidrsOf(pool: { readonly discover?: DiscoverDefinition }, site: Pick<Site, 'network'>): string[] {
  if (!pool.discover) return [];
  const existing = site.network.existingVpc;
  const subnetIds = pool.discover.subnetIds ?? [];
  if (existing && subnetIds.length > 0) {
    const cidrs = subnetIds.map((id) => existing.subnets.find((subnet) => subnet.subnetId === id)?.cidr);
    if (cidrs.every((cidr): cidr is string => cidr !== undefined)) return [...new Set(cidrs)];
  }
  return [vpcCidrOf(site)];
}

/**
 * The networks of a pool's real servers: a /32 per static server plus where discovered instances can be; widened
 * (per /24, /16, ...) when there are more than `maxCidrs`, so a large pool still fits a security group.
 */
export function realServerCidrsOf(
  pool: { readonly realServers: readonly Pick<RealServer, 'ip'>[]; readonly discover?: DiscoverDefinition },
  site: Pick<Site, 'network'>,
  maxCidrs = Number.POSITIVE_INFINITY,
): string[] {
  return coveringCidrs([...pool.realServers.map((server) => `${server.ip}/32`), ...discoveryCidrsOf(pool, site)], maxCidrs);
}

/** The ports some real servers of a pool listen on instead of the service's targetPort (realServers[].port), each once. */
export function ownServerPortsOf(pool: { readonly realServers: readonly Pick<RealServer, 'port'>[] }): number[] {
  return [...new Set(pool.realServers.flatMap((server) => (server.port !== undefined ? [server.port] : [])))];
}
