/**
 * What `medlb lab` builds for a site, decided before anything listens (pure): every site address and port gets
 * a loopback stand-in, and the controller config is derived from the site as the stack derives it
 * (lib/controller-config.ts), then pointed at those stand-ins.
 *
 * - Addresses: a site address `a.b.c.d` becomes `<prefix>.c.d` (prefix `127.0` by default: 10.12.1.100 →
 *   127.0.1.100), so the map is easy to read; an address that collides with another one, or would be
 *   127.0.0.1 (where the lab's API endpoints listen), gets the next free `<prefix>.254.N` instead. A real server
 *   the user maps to their own server (`servers`) keeps that address and gets no stand-in.
 * - Ports: a privileged port (below 1024) becomes 10000 + port (104 → 10104, 443 → 10443), others stay, so no
 *   root is needed; `ports` overrides either.
 * - Target groups: one per service and listener port, as the stack creates them, with the site's NLB check,
 *   deregistration delay, stickiness and unhealthy-draining settings; each VIP address of the service listens
 *   for every port.
 * - The lab plays no EC2: discovered servers are left out (reported), static ones run.
 */
import { createHash } from 'node:crypto';
import { deriveControllerConfig, type OwnedTargetGroup } from '../lib/controller-config';
import { staticVipAddressesOf, vipAddressesOf, type HealthCheck, type RealServer, type Site } from '../lib/site';
import type { ControllerConfigInput } from '../contract/controller-config';
import type { HealthCheckSettings } from './target-group-settings';
import type { StandInProtocol } from './stand-in-server';

/** Choices of a lab. */
export interface SiteLabPlanOptions {
  /** First two octets of the lab's loopback addresses. @default '127.0' */
  readonly prefix?: string;
  /** Site port → local port, over the default mapping. @default none */
  readonly ports?: ReadonlyMap<number, number>;
  /** Site real-server address → the address of the user's own server (no stand-in is started for it). @default none */
  readonly servers?: ReadonlyMap<string, string>;
  /** PEM of the lab CA, trusted by every TLS check of the lab's config. */
  readonly caCertificate: string;
}

/** One listener address of a VIP: where the site's VIP and port are played. */
export interface LabVip {
  readonly service: string;
  readonly siteAddress: string;
  readonly sitePort: number;
  readonly host: string;
  readonly port: number;
  readonly targetGroupArn: string;
}

/** One target group of the lab's ELBv2 endpoint. */
export interface LabTargetGroupPlan {
  readonly arn: string;
  readonly service: string;
  readonly healthCheck: Partial<HealthCheckSettings>;
  readonly attributes: Readonly<Record<string, string>>;
}

/** One listener of a stand-in. */
export interface LabStandInListenerPlan {
  readonly port: number;
  readonly protocol: StandInProtocol;
  readonly tls: boolean;
  readonly calledAeTitles: readonly string[];
  readonly expect?: string;
  /** DNS names its certificate must hold (the checks' serverName). */
  readonly serverNames: readonly string[];
}

/** One real server as the lab plays it. */
export interface LabServerPlan {
  /** `<service>/<label>` of every service it serves (a host may serve several). */
  readonly targets: readonly string[];
  readonly label: string;
  readonly siteAddress: string;
  readonly host: string;
  /** `stand-in`: the lab runs it; `yours`: mapped to the user's own server. */
  readonly kind: 'stand-in' | 'yours';
  readonly listeners: readonly LabStandInListenerPlan[];
}

/** The whole plan. */
export interface SiteLabPlan {
  readonly siteName: string;
  readonly region: string;
  readonly config: ControllerConfigInput;
  readonly vips: readonly LabVip[];
  readonly targetGroups: readonly LabTargetGroupPlan[];
  readonly servers: readonly LabServerPlan[];
  /** What the lab leaves out of the site (EC2 discovery), one sentence each. */
  readonly notes: readonly string[];
  /** What makes the plan impossible (conflicting protocols on one address and port), one sentence each. */
  readonly problems: readonly string[];
}

/** The local port that stands for a site port. */
export function labPort(sitePort: number, ports: ReadonlyMap<number, number> = new Map()): number {
  return ports.get(sitePort) ?? (sitePort < 1024 ? 10_000 + sitePort : sitePort);
}

/** Plans the lab of a parsed site. */
export function planSiteLab(site: Site, options: SiteLabPlanOptions): SiteLabPlan {
  const prefix = options.prefix ?? '127.0';
  const local = (port: number) => labPort(port, options.ports);
  const addresses = new LoopbackAddresses(prefix, options.servers ?? new Map());
  const region = site.env?.region ?? 'eu-west-2';
  const notes: string[] = [];
  const problems: string[] = [];
  const targetGroups: LabTargetGroupPlan[] = [];
  const owned = new Map<string, OwnedTargetGroup[]>();
  const vips: LabVip[] = [];
  const servers = new Map<string, MutableServer>();

  const services = [
    ...site.services.map((service) => ({
      label: service.label,
      vips: vipAddressesOf(service),
      ports: service.ports.map((p) => ({ listener: p.port, target: p.targetPort ?? p.port })),
      check: service.healthCheck,
      realServers: service.realServers,
      discovers: service.discover !== undefined,
      nlb: service.nlbHealthCheck,
      attributes: {
        'deregistration_delay.timeout_seconds': String(service.deregistrationDelaySeconds),
        'deregistration_delay.connection_termination.enabled': 'true',
        'target_health_state.unhealthy.connection_termination.enabled': 'false',
        'target_health_state.unhealthy.draining_interval_seconds': String(service.nlbHealthCheck.unhealthyDrainingIntervalSeconds ?? service.deregistrationDelaySeconds),
        'stickiness.enabled': String(service.persistence === 'source-ip'),
        'stickiness.type': 'source_ip',
        'preserve_client_ip.enabled': String(service.transparent),
      },
    })),
    ...(site.viewer
      ? [
          {
            label: site.viewer.label,
            // Without a static VIP the viewer's ALB has only a DNS name: the lab still gives it an address.
            vips: staticVipAddressesOf(site.viewer).length > 0 ? staticVipAddressesOf(site.viewer) : [`viewer.${site.viewer.label}`],
            ports: [{ listener: 443, target: site.viewer.targetPort }],
            check: site.viewer.healthCheck,
            realServers: site.viewer.realServers,
            discovers: site.viewer.discover !== undefined,
            nlb: undefined,
            // An ALB's cookie stickiness is layer 7: the lab's layer-4 data plane routes the viewer without it.
            attributes: { 'deregistration_delay.timeout_seconds': String(site.viewer.deregistrationDelaySeconds), 'deregistration_delay.connection_termination.enabled': 'true' },
          },
        ]
      : []),
  ];

  for (const service of services) {
    if (service.discovers) notes.push(`${service.label}: servers discovered from EC2 are not played by the lab; its static real servers are`);
    const groups = service.ports.map((port): OwnedTargetGroup => {
      const arn = targetGroupArn(region, site.name, service.label, port.listener);
      targetGroups.push({
        arn,
        service: service.label,
        healthCheck: {
          // A server with its own port is checked where it is registered, as the stack's target group does.
          port: service.realServers.some((server) => server.port !== undefined) ? 'traffic-port' : local(service.check.port),
          ...(service.nlb
            ? {
                intervalSeconds: service.nlb.intervalSeconds,
                timeoutSeconds: service.nlb.timeoutSeconds,
                healthyThresholdCount: service.nlb.healthyThresholdCount,
                unhealthyThresholdCount: service.nlb.unhealthyThresholdCount,
              }
            : { intervalSeconds: 5, timeoutSeconds: 4, healthyThresholdCount: 2, unhealthyThresholdCount: 3 }),
        },
        attributes: service.attributes,
      });
      for (const siteAddress of service.vips) {
        vips.push({ service: service.label, siteAddress, sitePort: port.listener, host: addresses.vip(siteAddress), port: local(port.listener), targetGroupArn: arn });
      }
      return { arn, port: local(port.target) };
    });
    owned.set(service.label, groups);
    const sitePorts = [...new Set([...service.ports.map((p) => p.target), service.check.port])];
    for (const server of service.realServers) {
      const entry = servers.get(server.ip) ?? newServer(server, addresses.server(server.ip), options.servers?.has(server.ip) === true);
      servers.set(server.ip, entry);
      entry.targets.push(`${service.label}/${server.label}`);
      // A server with its own port listens there only (it is registered and checked there).
      for (const sitePort of server.port !== undefined ? [server.port] : sitePorts) {
        addListener(entry, listenerFor(service.check, server, local(sitePort)), `${service.label}/${server.label}`, problems);
      }
    }
  }

  const derived = deriveControllerConfig(site, owned);
  const vipsOf = (label: string) => vips.filter((v) => v.service === label);
  const config: ControllerConfigInput = {
    ...derived,
    services: derived.services.map((service) => {
      const { discovery: _discovery, ...rest } = service;
      const { insecure: _insecure, clientCertificate, ...check } = rest.check;
      // The lab has no Secrets Manager, and its stand-ins ask for no client certificate.
      if (clientCertificate !== undefined) notes.push(`${service.name}: the check's client certificate (${clientCertificate.secretArn}) is not presented in the lab; the stand-ins do not ask for one`);
      // TLS checks trust the lab CA that signed the stand-ins' certificates: verification stays on.
      const tls = check.tls === true || check.protocol === 'https';
      return {
        ...rest,
        check: tls ? { ...check, port: local(check.port), caCertificates: options.caCertificate } : { ...check, port: local(check.port) },
        targets: rest.targets.map((target) => {
          const { availabilityZone: _zone, ...kept } = target;
          const ip = servers.get(target.ip)?.host ?? target.ip;
          // The endpoint's VPC is 127.0.0.0/8; the user's own server elsewhere is registered as outside it.
          return { ...kept, ip, ...(kept.port !== undefined ? { port: local(kept.port) } : {}), ...(ip.startsWith('127.') ? {} : { availabilityZone: 'all' as const }) };
        }),
        vips: [...new Set(vipsOf(service.name).map((v) => v.host))],
        ports: [...new Set(vipsOf(service.name).map((v) => v.port))],
      };
    }),
  };
  return { siteName: site.name, region, config, vips, targetGroups, servers: [...servers.values()], notes, problems };
}

type MutableServer = LabServerPlan & { targets: string[]; listeners: LabStandInListenerPlan[] };

function newServer(server: RealServer, host: string, yours: boolean): MutableServer {
  return { targets: [], label: server.label, siteAddress: server.ip, host, kind: yours ? 'yours' : 'stand-in', listeners: [] };
}

function listenerFor(check: HealthCheck, server: RealServer, port: number): LabStandInListenerPlan {
  const serverName = server.serverName ?? check.serverName;
  return {
    port,
    protocol: check.protocol,
    tls: check.tls === true || check.protocol === 'https',
    calledAeTitles: check.protocol === 'dicom' && check.calledAeTitle !== undefined ? [check.calledAeTitle] : [],
    ...(check.expect !== undefined ? { expect: check.expect } : {}),
    serverNames: serverName !== undefined ? [serverName] : [],
  };
}

/** Adds a listener to a server; one host and port shared by two services must speak the same protocol. */
function addListener(server: MutableServer, listener: LabStandInListenerPlan, target: string, problems: string[]): void {
  const existing = server.listeners.findIndex((l) => l.port === listener.port);
  if (existing === -1) {
    server.listeners.push(listener);
    return;
  }
  const other = server.listeners[existing];
  if (other === undefined) return;
  if (other.protocol !== listener.protocol || other.tls !== listener.tls) {
    problems.push(`${target}: ${server.siteAddress} port ${listener.port} is checked as ${listener.protocol} here and as ${other.protocol} by another service; one stand-in cannot be both`);
    return;
  }
  server.listeners[existing] = {
    ...other,
    calledAeTitles: [...new Set([...other.calledAeTitles, ...listener.calledAeTitles])],
    serverNames: [...new Set([...other.serverNames, ...listener.serverNames])],
  };
}

/** Loopback addresses for site addresses: `<prefix>.c.d`, or the next free `<prefix>.254.N` on a collision. */
class LoopbackAddresses {
  private readonly bySite = new Map<string, string>();
  private readonly taken = new Set<string>(['127.0.0.1']);
  private spare = 1;

  constructor(
    private readonly prefix: string,
    private readonly yours: ReadonlyMap<string, string>,
  ) {
    for (const address of yours.values()) this.taken.add(address);
  }

  vip(siteAddress: string): string {
    return this.of(siteAddress);
  }

  server(siteAddress: string): string {
    return this.yours.get(siteAddress) ?? this.of(siteAddress);
  }

  private of(siteAddress: string): string {
    const known = this.bySite.get(siteAddress);
    if (known) return known;
    const octets = /^\d+\.\d+\.(\d+)\.(\d+)$/.exec(siteAddress);
    let address = octets ? `${this.prefix}.${octets[1]}.${octets[2]}` : undefined;
    while (address === undefined || this.taken.has(address)) address = `${this.prefix}.254.${this.spare++}`;
    this.taken.add(address);
    this.bySite.set(siteAddress, address);
    return address;
  }
}

/** A target-group ARN in AWS's form: the name holds at most 32 characters, the id is 16 hex digits. */
function targetGroupArn(region: string, siteName: string, service: string, port: number): string {
  const name = `${service.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 26)}-${port}`.slice(0, 32);
  const id = createHash('sha256').update(`${siteName}/${service}/${port}`).digest('hex').slice(0, 16);
  return `arn:aws:elasticloadbalancing:${region}:000000000000:targetgroup/${name}/${id}`;
}
