/**
 * Derives the controller config v1 (docs/architecture.md#controller-config) from a parsed site and the target groups the stack created.
 * The CDK app stores the result in the state table at deploy time; `medlb` reads the same document from a file.
 */
import type { ControllerConfigInput } from '../contract/controller-config';
import type { ClientCertificateReference } from '../contract/check';
import type { DiscoverDefinition, HealthCheck, RealServer, Site } from './site';
import { discoveryCidrsOf, ipv4, staticVipAddressesOf, vipAddressesOf } from './site';

/** A target group the controller owns: its ARN (a deploy-time token in the stack) and the real servers' port. */
export type OwnedTargetGroup = {
  readonly arn: string;
  readonly port: number;
};

/** A service's target groups, keyed by service label (the viewer included). */
export type TargetGroupsByService = ReadonlyMap<string, readonly OwnedTargetGroup[]>;

/** One egress rule the controller needs: a real server's network and its check port (its own port, when it has one). */
export interface CheckEgress {
  readonly cidr: string;
  readonly port: number;
}

/** Security groups hold 60 rules by default; beyond this many check-egress rules, server networks are widened (/24, /16, ...). */
const MAX_HOST_EGRESS_RULES = 50;

type ControllerServiceInput = ControllerConfigInput['services'][number];

/** Deploy-time facts the config needs besides the site. */
export interface DeriveOptions {
  /** The VPC id (a token for a new VPC); an existing VPC's id is taken from the site. */
  readonly vpcId?: string;
  /** The viewer's fallback-page listener rule (a deploy-time token), when the viewer has one. @default - no fallback page */
  readonly viewerFallbackRuleArn?: string;
}

/**
 * The controller config v1 for a site. Every service — the viewer included — is one controller service.
 * A pool with `discover` gets a `discovery` block (docs/architecture.md#discovery) limited to the site's VPC.
 */
export function deriveControllerConfig(site: Site, targetGroups: TargetGroupsByService, options: DeriveOptions = {}): ControllerConfigInput {
  const vpcId = site.network.existingVpc?.vpcId ?? options.vpcId;
  const discoveryOf = (discover: DiscoverDefinition | undefined) => (discover ? { discovery: discoveryBlock(discover, vpcId) } : {});
  const services: ControllerServiceInput[] = site.services.map((service) => ({
    name: service.label,
    mode: service.mode,
    ...(service.failback !== undefined ? { failback: service.failback } : {}),
    rise: service.healthCheck.rise,
    fall: service.healthCheck.fall,
    check: checkOf(service.healthCheck),
    targetGroups: targetGroupsOf(service.label, targetGroups),
    targets: service.realServers.map(targetOf),
    ...discoveryOf(service.discover),
    vips: vipAddressesOf(service),
    ports: service.ports.map((mapping) => mapping.port),
  }));
  if (site.viewer) {
    const viewer = site.viewer;
    services.push({
      name: viewer.label,
      mode: viewer.mode,
      rise: viewer.healthCheck.rise,
      fall: viewer.healthCheck.fall,
      check: checkOf(viewer.healthCheck),
      targetGroups: targetGroupsOf(viewer.label, targetGroups),
      targets: viewer.realServers.map(targetOf),
      ...discoveryOf(viewer.discover),
      vips: staticVipAddressesOf(viewer),
      ports: [443],
      ...(options.viewerFallbackRuleArn !== undefined ? { fallbackRuleArn: options.viewerFallbackRuleArn } : {}),
    });
  }
  return { version: 1, intervalSeconds: site.controller.intervalSeconds, maxPinHours: site.controller.maxPinHours, services };
}

/** The client certificates (mutual TLS) the site's checks present, the viewer's included: the controller may read exactly these. */
export function clientCertificatesOf(site: Site): ClientCertificateReference[] {
  return [...site.services.map((service) => service.healthCheck), ...(site.viewer ? [site.viewer.healthCheck] : [])].flatMap((check) =>
    check.clientCertificate !== undefined ? [check.clientCertificate] : [],
  );
}

/** True when any service or the viewer discovers real servers from EC2 (the controller then needs ec2:DescribeInstances). */
export function usesDiscovery(site: Site): boolean {
  return site.services.some((service) => service.discover !== undefined) || site.viewer?.discover !== undefined;
}

/**
 * The controller's egress: every real server's check port, aggregated when a site is large; for a pool with
 * discovery, the check port to where its instances can be (the selector's subnets, else the VPC CIDR).
 */
export function checkEgressOf(site: Site): CheckEgress[] {
  const viewer = site.viewer;
  const discovered = [
    ...site.services.flatMap((service) => discoveryCidrsOf(service, site).map((cidr) => ({ cidr, port: service.healthCheck.port }))),
    ...(viewer ? discoveryCidrsOf(viewer, site).map((cidr) => ({ cidr, port: viewer.healthCheck.port })) : []),
  ];
  return [...staticCheckEgressOf(site), ...discovered];
}

function staticCheckEgressOf(site: Site): CheckEgress[] {
  const hostsByPort = new Map<number, string[]>();
  const add = (port: number, ip: string) => hostsByPort.set(port, [...(hostsByPort.get(port) ?? []), `${ip}/32`]);
  // A server with its own port is checked on it (lib/site/server-ports.ts).
  for (const service of site.services) for (const server of service.realServers) add(server.port ?? service.healthCheck.port, server.ip);
  if (site.viewer) for (const server of site.viewer.realServers) add(server.port ?? site.viewer.healthCheck.port, server.ip);
  const perPortBudget = Math.floor(MAX_HOST_EGRESS_RULES / Math.max(1, hostsByPort.size));
  return [...hostsByPort].flatMap(([port, hosts]) => ipv4.coveringCidrs(hosts, perPortBudget).map((cidr) => ({ cidr, port })));
}

function targetGroupsOf(label: string, targetGroups: TargetGroupsByService): OwnedTargetGroup[] {
  const owned = targetGroups.get(label);
  if (!owned || owned.length === 0) throw new Error(`service ${label}: the stack created no target group for it`);
  return owned.map((group) => ({ arn: group.arn, port: group.port }));
}

function discoveryBlock(discover: DiscoverDefinition, vpcId: string | undefined): NonNullable<ControllerServiceInput['discovery']> {
  return {
    ...(discover.tags ? { tags: discover.tags } : {}),
    ...(discover.instanceIds ? { instanceIds: discover.instanceIds } : {}),
    ...(vpcId !== undefined ? { vpcId } : {}),
    ...(discover.subnetIds ? { subnetIds: discover.subnetIds } : {}),
    ...(discover.availabilityZones ? { availabilityZones: discover.availabilityZones } : {}),
  };
}

function targetOf(server: RealServer): ControllerServiceInput['targets'][number] {
  return {
    name: server.label,
    ip: server.ip,
    ...(server.onPremises ? { availabilityZone: 'all' as const } : {}),
    ...(server.weight === 0 ? { drained: true } : {}),
    ...(server.serverName !== undefined ? { serverName: server.serverName } : {}),
    ...(server.port !== undefined ? { port: server.port } : {}),
  };
}

/** The check as the controller reads it: only the fields that were given (templates stay minimal). */
function checkOf(check: HealthCheck): ControllerServiceInput['check'] {
  const { rise: _rise, fall: _fall, ...probe } = check;
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the entries are the check's own, only undefined ones dropped; the controller schema validates the result
  return Object.fromEntries(Object.entries(probe).filter(([, value]) => value !== undefined)) as ControllerServiceInput['check'];
}
