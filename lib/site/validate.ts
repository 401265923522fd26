/**
 * Cross-field rules of the site definition (the field-local ones are in schema.ts).
 *
 * These rules read the RAW input defensively rather than the parsed Site: zod stops refining an object
 * once one of its fields has the wrong type, and a person fixing a site wants every problem in one go.
 * Anything malformed is skipped here (the schema reports it); defaults come from site-defaults.ts.
 */
import { maxCheckTimeoutMsFor, ROUND_BUDGET, roundBudgetMs } from '../../contract/round-budget';
import { checkOptionProblems, type CheckOptionProblem } from '../../contract/check';
import { ACM_CERTIFICATE_ARN_PATTERN, REGION_PATTERN, SNS_TOPIC_ARN_PATTERN } from './schema';
import {
  awsReservedAddressReason,
  cidrContains,
  cidrContainsCidr,
  cidrsOverlap,
  parseCidr,
  parseIpv4,
  REGISTRABLE_NON_VPC_CIDRS,
  type Ipv4Cidr,
} from './ipv4';
import { checkIdentityProblems, realServerCheckProblems } from './check-rules';
import { nlbHealthCheckProblems } from './nlb-health-check-schema';
import { formatPath, type PathSegments, type SiteProblem } from './problems';
import { resourceIdProblems } from './resource-id-schema';
import { realServerPortProblems } from './server-ports';
import * as defaults from './site-defaults';

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function recordAt(value: unknown): UnknownRecord {
  return isRecord(value) ? value : {};
}
function arrayAt(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
function stringAt(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The site's region when it is well-formed (a malformed one is the schema's problem, not every ARN's). */
function validRegionAt(site: UnknownRecord): string | undefined {
  const region = stringAt(recordAt(site.env).region);
  return region !== undefined && REGION_PATTERN.test(region) ? region : undefined;
}

/** A subnet whose CIDR parsed. */
interface KnownSubnet {
  readonly index: number;
  readonly cidr: Ipv4Cidr;
  readonly availabilityZone: string | undefined;
}

/** What the rules need to know about the VPC. */
interface VpcView {
  readonly cidr: Ipv4Cidr | undefined;
  /** Listed subnets (existing VPC only); undefined for a new VPC, whose subnets the stack lays out. */
  readonly subnets: readonly KnownSubnet[] | undefined;
  readonly subnetsPath: PathSegments;
}

/** A service or the viewer: a pool of real servers behind one load balancer. */
interface PoolView {
  readonly path: PathSegments;
  readonly label: string | undefined;
  readonly raw: UnknownRecord;
  /** VIP addresses with their paths (the viewer's staticVip). */
  readonly vips: readonly { readonly ip: string; readonly path: PathSegments }[];
  readonly vipField: string;
  readonly isViewer: boolean;
}

/** The contract's check-option rules (contract/check.ts), worded for a site file. */
function optionProblemText(problem: CheckOptionProblem, protocol: string): string {
  switch (problem.kind) {
    case 'wrong-protocol': {
      const advice = problem.option === 'tls' && (protocol === 'http' || protocol === 'https') ? ' (http/https choose TLS by protocol: use protocol https)' : '';
      return `applies only to protocol ${problem.protocols.join(' or ')}, not ${protocol}${advice}; remove it`;
    }
    case 'needs-tls':
      if (problem.option === 'insecure') return 'true skips certificate verification, which needs TLS: set tls: true or use protocol https';
      if (problem.option === 'clientCertificate') return 'is presented in a TLS handshake, which this check does not make: set tls: true or use protocol https, or remove it';
      return 'verify certificates, which needs TLS: set tls: true or use protocol https';
    case 'contradicts-insecure':
      return 'contradicts insecure: true (which skips verification); remove one of them';
    case 'wrong-transaction':
      return `applies only to transaction ${problem.transaction}, not ${problem.given}; remove it`;
  }
}

const REGISTRABLE_RANGES_TEXT = REGISTRABLE_NON_VPC_CIDRS.map((cidr) => cidr.text).join(', ');

/** Collects problems with their paths. */
class ProblemList {
  readonly problems: SiteProblem[] = [];
  add(path: PathSegments, message: string): void {
    this.problems.push({ path: formatPath(path), message });
  }
}

function vpcViewOf(site: UnknownRecord): VpcView {
  const network = recordAt(site.network);
  if (isRecord(network.existingVpc)) {
    const existing = network.existingVpc;
    const subnets: KnownSubnet[] = [];
    arrayAt(existing.subnets).forEach((subnet, index) => {
      const cidr = parseCidr(stringAt(recordAt(subnet).cidr) ?? '');
      if (cidr) subnets.push({ index, cidr, availabilityZone: stringAt(recordAt(subnet).availabilityZone) });
    });
    return { cidr: parseCidr(stringAt(existing.cidr) ?? ''), subnets, subnetsPath: ['network', 'existingVpc', 'subnets'] };
  }
  if (isRecord(network.newVpc)) {
    return { cidr: parseCidr(stringAt(network.newVpc.cidr) ?? ''), subnets: undefined, subnetsPath: ['network', 'newVpc'] };
  }
  return { cidr: undefined, subnets: undefined, subnetsPath: ['network'] };
}

function describeSubnets(subnets: readonly KnownSubnet[]): string {
  return subnets.map((subnet) => `${subnet.cidr.text} ${subnet.availabilityZone ?? '?'}`).join(', ');
}

function checkNetwork(site: UnknownRecord, vpc: VpcView, region: string | undefined, problems: ProblemList): void {
  const existing = recordAt(recordAt(site.network).existingVpc);
  const rawSubnets = arrayAt(existing.subnets);
  const seenIds = new Map<string, number>();
  rawSubnets.forEach((raw, index) => {
    const subnetId = stringAt(recordAt(raw).subnetId);
    if (subnetId !== undefined) {
      const first = seenIds.get(subnetId);
      if (first !== undefined) problems.add([...vpc.subnetsPath, index, 'subnetId'], `${subnetId} is already listed as subnets[${first}]`);
      else seenIds.set(subnetId, index);
    }
    const zone = stringAt(recordAt(raw).availabilityZone);
    if (zone !== undefined && region !== undefined && /[a-z]$/.test(zone) && zone.slice(0, -1) !== region) {
      problems.add([...vpc.subnetsPath, index, 'availabilityZone'], `${zone} is not in the site's region ${region}`);
    }
  });
  const apiAccess = stringAt(recordAt(site.controller).awsApiAccess) ?? 'create-endpoints';
  if (apiAccess === 'create-endpoints') {
    rawSubnets.forEach((raw, index) => {
      if (stringAt(recordAt(raw).routeTableId) === undefined) {
        problems.add(
          [...vpc.subnetsPath, index, 'routeTableId'],
          'is needed to create the DynamoDB gateway endpoint (controller.awsApiAccess: create-endpoints); give it, or set controller.awsApiAccess to existing-endpoints or nat',
        );
      }
    });
  }
  for (const subnet of vpc.subnets ?? []) {
    const path = [...vpc.subnetsPath, subnet.index, 'cidr'];
    if (vpc.cidr && !cidrContainsCidr(vpc.cidr, subnet.cidr)) {
      problems.add(path, `${subnet.cidr.text} is not inside the VPC CIDR ${vpc.cidr.text}`);
    }
    const earlier = (vpc.subnets ?? []).find((other) => other.index < subnet.index && cidrsOverlap(other.cidr, subnet.cidr));
    if (earlier) problems.add(path, `${subnet.cidr.text} overlaps subnets[${earlier.index}] (${earlier.cidr.text})`);
  }
}

function poolsOf(site: UnknownRecord): PoolView[] {
  const pools: PoolView[] = [];
  const vipsOf = (value: unknown, path: PathSegments) => {
    if (typeof value === 'string') return [{ ip: value, path }];
    return arrayAt(value).flatMap((ip, index) => (typeof ip === 'string' ? [{ ip, path: [...path, index] }] : []));
  };
  arrayAt(site.services).forEach((raw, index) => {
    const service = recordAt(raw);
    const path = ['services', index];
    pools.push({ path, label: stringAt(service.label), raw: service, vips: vipsOf(service.vip, [...path, 'vip']), vipField: 'vip', isViewer: false });
  });
  if (isRecord(site.viewer)) {
    const viewer = site.viewer;
    const path = ['viewer'];
    pools.push({
      path,
      label: stringAt(viewer.label) ?? defaults.DEFAULT_VIEWER_LABEL,
      raw: viewer,
      vips: vipsOf(viewer.staticVip, [...path, 'staticVip']),
      vipField: 'staticVip',
      isViewer: true,
    });
  }
  return pools;
}

function checkLabels(pools: readonly PoolView[], problems: ProblemList): void {
  const firstByLabel = new Map<string, PoolView>();
  for (const pool of pools) {
    if (pool.label === undefined) continue;
    const key = pool.label.toLowerCase();
    const first = firstByLabel.get(key);
    if (first) {
      problems.add([...pool.path, 'label'], `${pool.label} is already the label of ${formatPath(first.path)}; labels must be unique (case-insensitive: they name AWS resources)`);
    } else {
      firstByLabel.set(key, pool);
    }
  }
}

/** Who already holds an address, for collision messages. */
interface AddressOwner {
  readonly description: string;
  readonly pool: PoolView;
}

function checkVips(pools: readonly PoolView[], vpc: VpcView, problems: ProblemList): void {
  const realServerOwners = new Map<string, AddressOwner>();
  for (const pool of pools) {
    arrayAt(pool.raw.realServers).forEach((raw, index) => {
      const server = recordAt(raw);
      const ip = stringAt(server.ip);
      if (ip !== undefined && !realServerOwners.has(ip)) {
        const label = stringAt(server.label);
        realServerOwners.set(ip, { pool, description: `real server ${label ?? '?'} (${formatPath([...pool.path, 'realServers', index, 'ip'])})` });
      }
    });
  }
  const vipOwners = new Map<string, AddressOwner>();
  for (const pool of pools) {
    const subnetsUsed = new Map<number, string>();
    const zonesUsed = new Map<string, string>();
    for (const vip of pool.vips) {
      const address = parseIpv4(vip.ip);
      if (address === undefined) continue;
      const previous = vipOwners.get(vip.ip);
      if (previous) {
        problems.add(
          vip.path,
          previous.pool === pool
            ? `${vip.ip} is listed twice (${previous.description})`
            : `${vip.ip} is already a VIP of ${previous.description}; a VIP belongs to one service`,
        );
        continue;
      }
      vipOwners.set(vip.ip, { pool, description: `${pool.label ?? formatPath(pool.path)} (${formatPath(vip.path)})` });
      const server = realServerOwners.get(vip.ip);
      if (server) problems.add(vip.path, `${vip.ip} is also the address of ${server.description}; a VIP cannot be a real server`);

      if (vpc.subnets !== undefined && vpc.subnets.length === 0) continue; // no usable subnet: the schema says so
      if (vpc.subnets === undefined) {
        if (vpc.cidr && !cidrContains(vpc.cidr, address)) problems.add(vip.path, `${vip.ip} is not in the VPC CIDR ${vpc.cidr.text}`);
        continue;
      }
      const subnet = vpc.subnets.find((candidate) => cidrContains(candidate.cidr, address));
      if (!subnet) {
        problems.add(vip.path, `${vip.ip} is not in any subnet of the VPC (${describeSubnets(vpc.subnets)})`);
        continue;
      }
      const reserved = awsReservedAddressReason(subnet.cidr, address);
      if (reserved) {
        problems.add(vip.path, `${vip.ip} in subnet ${subnet.cidr.text} is ${reserved}; AWS reserves the first four addresses and the last one of every subnet`);
        continue;
      }
      const sameSubnet = subnetsUsed.get(subnet.index);
      if (sameSubnet !== undefined) {
        problems.add(vip.path, `${vip.ip} is in the same subnet (${subnet.cidr.text}) as ${sameSubnet}: a load balancer takes one static IP per subnet`);
        continue;
      }
      subnetsUsed.set(subnet.index, `${vip.ip}`);
      if (subnet.availabilityZone !== undefined) {
        const sameZone = zonesUsed.get(subnet.availabilityZone);
        if (sameZone !== undefined) {
          problems.add(vip.path, `${vip.ip} is in ${subnet.availabilityZone} like ${sameZone}: a load balancer uses one subnet per Availability Zone`);
        } else {
          zonesUsed.set(subnet.availabilityZone, vip.ip);
        }
      }
    }
  }
}

function checkRealServers(pool: PoolView, vpc: VpcView, problems: ProblemList): void {
  const servers = arrayAt(pool.raw.realServers);
  const transparent = pool.raw.transparent === true;
  const labels = new Map<string, number>();
  const addresses = new Map<string, number>();
  let referenceWeight: { weight: number; label: string } | undefined;

  servers.forEach((raw, index) => {
    const server = recordAt(raw);
    const path = [...pool.path, 'realServers', index];
    const label = stringAt(server.label);
    if (label !== undefined) {
      // Operators name servers in any case (`medlb drain pacs/dicom1`): DICOM1 and dicom1 would be ambiguous.
      const key = label.toLowerCase();
      const first = labels.get(key);
      if (first !== undefined) problems.add([...path, 'label'], `${label} is already the label of realServers[${first}]; labels must be unique in a service (case-insensitive: medlb commands match them in any case)`);
      else labels.set(key, index);
    }

    const weight = server.weight === undefined ? defaults.DEFAULT_WEIGHT : server.weight;
    if (typeof weight === 'number' && Number.isInteger(weight) && weight > 0) {
      if (referenceWeight === undefined) referenceWeight = { weight, label: label ?? `realServers[${index}]` };
      else if (weight !== referenceWeight.weight) {
        problems.add(
          [...path, 'weight'],
          `${weight} differs from ${referenceWeight.weight} (${referenceWeight.label}): NLB has no per-target weight; use equal weights, or 0 to drain a server`,
        );
      }
    }

    const ip = stringAt(server.ip);
    const address = ip === undefined ? undefined : parseIpv4(ip);
    if (ip === undefined || address === undefined) return;
    const firstWithIp = addresses.get(ip);
    if (firstWithIp !== undefined) {
      problems.add([...path, 'ip'], `${ip} is already the address of realServers[${firstWithIp}]; a target is registered once per target group`);
    } else {
      addresses.set(ip, index);
    }

    const inVpc = vpc.cidr === undefined ? undefined : cidrContains(vpc.cidr, address);
    // Only worded where inVpc is known, that is where the VPC CIDR is.
    const vpcCidrText = vpc.cidr?.text ?? 'unknown';
    if (inVpc === false && !REGISTRABLE_NON_VPC_CIDRS.some((range) => cidrContains(range, address))) {
      problems.add(
        [...path, 'ip'],
        `${ip} cannot be registered with a load balancer: outside the VPC (${vpcCidrText}) only ${REGISTRABLE_RANGES_TEXT} are allowed (no public addresses)`,
      );
    }
    const subnet = vpc.subnets?.find((candidate) => cidrContains(candidate.cidr, address));
    const reserved = subnet && awsReservedAddressReason(subnet.cidr, address);
    if (subnet && reserved) {
      problems.add([...path, 'ip'], `${ip} in subnet ${subnet.cidr.text} is ${reserved}; no server can have it`);
    }
    if (typeof server.onPremises === 'boolean' && inVpc !== undefined && server.onPremises === inVpc) {
      problems.add(
        [...path, 'onPremises'],
        server.onPremises
          ? `true contradicts ${ip}, which is inside the VPC CIDR ${vpcCidrText}; remove onPremises (it is inferred from the address)`
          : `false contradicts ${ip}, which is outside the VPC CIDR ${vpcCidrText}; remove onPremises (it is inferred from the address)`,
      );
    }
    if (transparent && inVpc === false) {
      problems.add(
        [...path, 'ip'],
        `${ip} is outside the VPC (${vpcCidrText}) but ${pool.label ?? formatPath(pool.path)} is transparent: AWS preserves the client IP only for targets in the VPC; set transparent: false, optionally with proxyProtocolV2: true`,
      );
    }
  });

  const ports = arrayAt(pool.raw.ports);
  const targetCount = servers.length * (pool.isViewer ? 1 : ports.length);
  if (!pool.isViewer && targetCount > defaults.NLB_CROSS_ZONE_TARGET_LIMIT) {
    problems.add(
      [...pool.path, 'realServers'],
      `${servers.length} real servers × ${ports.length} ports = ${targetCount} targets; an NLB with cross-zone load balancing holds at most ${defaults.NLB_CROSS_ZONE_TARGET_LIMIT} (a target counts once per target group, i.e. per port)`,
    );
  }
}

/** Real servers come from `realServers`, `discover`, or both; a discovery selector must be able to match. */
function checkDiscover(site: UnknownRecord, pool: PoolView, vpc: VpcView, region: string | undefined, problems: ProblemList): void {
  const discover = pool.raw.discover;
  if (pool.raw.realServers !== undefined && !Array.isArray(pool.raw.realServers)) return; // the schema says so
  if (discover === undefined) {
    if (arrayAt(pool.raw.realServers).length === 0) {
      problems.add([...pool.path, 'realServers'], 'needs at least one real server, or discover (EC2 instances by tags or instance ids)');
    }
    return;
  }
  if (!isRecord(discover)) return;
  const path = [...pool.path, 'discover'];
  const subnetIds = arrayAt(discover.subnetIds).filter((id): id is string => typeof id === 'string');
  const listed = arrayAt(recordAt(recordAt(site.network).existingVpc).subnets).map((raw) => ({
    subnetId: stringAt(recordAt(raw).subnetId),
    availabilityZone: stringAt(recordAt(raw).availabilityZone),
  }));
  if (subnetIds.length > 0 && vpc.subnets === undefined) {
    problems.add([...path, 'subnetIds'], 'need network.existingVpc: the subnets of a new VPC get their ids at deploy time; use availabilityZones instead');
  } else {
    arrayAt(discover.subnetIds).forEach((id, index) => {
      if (typeof id === 'string' && !listed.some((subnet) => subnet.subnetId === id)) {
        problems.add([...path, 'subnetIds', index], `${id} is not a subnet of the VPC (${listed.map((subnet) => subnet.subnetId ?? '?').join(', ')}); list it under network.existingVpc.subnets`);
      }
    });
  }
  const zones = arrayAt(discover.availabilityZones).filter((zone): zone is string => typeof zone === 'string');
  arrayAt(discover.availabilityZones).forEach((zone, index) => {
    if (typeof zone === 'string' && region !== undefined && /[a-z]$/.test(zone) && zone.slice(0, -1) !== region) {
      problems.add([...path, 'availabilityZones', index], `${zone} is not in the site's region ${region}: the selector could never match`);
    }
  });
  const subnetZones = subnetIds.map((id) => listed.find((subnet) => subnet.subnetId === id)?.availabilityZone).filter((zone): zone is string => zone !== undefined);
  if (zones.length > 0 && subnetZones.length === subnetIds.length && subnetZones.length > 0 && !subnetZones.some((zone) => zones.includes(zone))) {
    problems.add([...path, 'availabilityZones'], `none of ${zones.join(', ')} holds one of the subnets (${subnetIds.join(', ')}): the selector could never match`);
  }
}

function checkPorts(pool: PoolView, problems: ProblemList): void {
  const seen = new Map<number, number>();
  arrayAt(pool.raw.ports).forEach((raw, index) => {
    const port = recordAt(raw).port;
    if (typeof port !== 'number') return;
    const first = seen.get(port);
    if (first !== undefined) problems.add([...pool.path, 'ports', index, 'port'], `${port} is already a listener port of this service (ports[${first}])`);
    else seen.set(port, index);
  });
}

function checkFailback(pool: PoolView, problems: ProblemList): void {
  const mode = stringAt(pool.raw.mode) ?? defaults.DEFAULT_MODE;
  if (pool.raw.failback !== undefined && mode !== 'failover') {
    problems.add([...pool.path, 'failback'], `applies only to mode failover, not ${mode} (a balanced service serves every up server); remove it`);
  }
}

function checkHealthCheck(pool: PoolView, problems: ProblemList): void {
  const check = recordAt(pool.raw.healthCheck);
  const defaultProtocol = pool.isViewer ? defaults.DEFAULT_VIEWER_HEALTH_CHECK_PROTOCOL : defaults.DEFAULT_HEALTH_CHECK_PROTOCOL;
  const protocol = stringAt(check.protocol) ?? defaultProtocol;
  const path = [...pool.path, 'healthCheck'];
  for (const problem of checkOptionProblems({ ...check, protocol })) {
    problems.add([...path, problem.option], optionProblemText(problem, protocol));
  }
  for (const problem of checkIdentityProblems(check, protocol)) problems.add([...pool.path, ...problem.path], problem.message);
  for (const problem of realServerCheckProblems(pool.raw, protocol)) problems.add([...pool.path, ...problem.path], problem.message);
  for (const problem of realServerPortProblems(pool.raw, pool.isViewer)) problems.add([...pool.path, ...problem.path], problem.message);
}

/** Every check must fit the interval with the round's allowances, or rounds start late (contract/round-budget.ts). */
function checkTimeoutsFitInterval(site: UnknownRecord, pools: readonly PoolView[], problems: ProblemList): void {
  const intervalRaw = recordAt(site.controller).intervalSeconds;
  const intervalSeconds = typeof intervalRaw === 'number' ? intervalRaw : defaults.DEFAULT_CONTROLLER_INTERVAL_SECONDS;
  const limit = maxCheckTimeoutMsFor(intervalSeconds);
  for (const pool of pools) {
    const raw = recordAt(pool.raw.healthCheck).timeoutMs;
    const timeoutMs = typeof raw === 'number' ? raw : defaults.DEFAULT_HEALTH_CHECK_TIMEOUT_MS;
    if (timeoutMs <= limit) continue;
    problems.add(
      [...pool.path, 'healthCheck', 'timeoutMs'],
      `${timeoutMs} ms cannot fit controller.intervalSeconds ${intervalSeconds}: a round needs the longest check timeout + ` +
        `${ROUND_BUDGET.probeGraceMs} ms grace + ${ROUND_BUDGET.allowanceMs} ms for ELB writes and state, so the timeout may be at most ${limit} ms; ` +
        `lower timeoutMs or raise controller.intervalSeconds to ${Math.ceil(roundBudgetMs(timeoutMs) / 1000)}`,
    );
  }
}

function checkArnRegions(site: UnknownRecord, problems: ProblemList): void {
  const env = recordAt(site.env);
  const region = validRegionAt(site);
  const accountText = stringAt(env.account);
  const account = accountText !== undefined && /^\d{12}$/.test(accountText) ? accountText : undefined;
  const certificateArn = stringAt(recordAt(site.viewer).certificateArn);
  const certificate = certificateArn === undefined ? null : ACM_CERTIFICATE_ARN_PATTERN.exec(certificateArn);
  if (certificate && region !== undefined && certificate[1] !== region) {
    problems.add(['viewer', 'certificateArn'], `${certificateArn} is in region ${certificate[1]}, not the site's region ${region}: an ALB uses ACM certificates from its own region`);
  }
  if (certificate && account !== undefined && certificate[2] !== account) {
    problems.add(['viewer', 'certificateArn'], `${certificateArn} belongs to account ${certificate[2]}, not the site's account ${account}: an ALB uses ACM certificates of its own account`);
  }
  const topicArn = stringAt(recordAt(site.notifications).existingTopicArn);
  const topic = topicArn === undefined ? null : SNS_TOPIC_ARN_PATTERN.exec(topicArn);
  if (topic && region !== undefined && topic[1] !== region) {
    problems.add(['notifications', 'existingTopicArn'], `${topicArn} is in region ${topic[1]}, not the site's region ${region}: CloudWatch alarms notify topics in their own region`);
  }
}

/**
 * Every cross-field problem of a site definition (raw input or a parsed Site), in document order.
 * Field-local problems (formats, ranges, missing fields) are the schema's; malformed parts are skipped here.
 */
export function crossFieldProblems(input: unknown): SiteProblem[] {
  const problems = new ProblemList();
  if (!isRecord(input)) return problems.problems;
  const region = validRegionAt(input);
  const vpc = vpcViewOf(input);
  checkNetwork(input, vpc, region, problems);
  const pools = poolsOf(input);
  if (pools.length === 0 && Array.isArray(input.services ?? [])) {
    problems.add(['services'], 'the site defines no service and no viewer: there is nothing to load-balance');
  }
  checkLabels(pools, problems);
  for (const problem of resourceIdProblems(pools)) problems.add(problem.path, problem.message);
  checkVips(pools, vpc, problems);
  for (const pool of pools) {
    checkPorts(pool, problems);
    checkRealServers(pool, vpc, problems);
    checkDiscover(input, pool, vpc, region, problems);
    checkHealthCheck(pool, problems);
    checkFailback(pool, problems);
    if (!pool.isViewer) for (const problem of nlbHealthCheckProblems(pool.raw.nlbHealthCheck)) problems.add([...pool.path, 'nlbHealthCheck', ...problem.path], problem.message);
  }
  checkTimeoutsFitInterval(input, pools, problems);
  checkArnRegions(input, problems);
  return problems.problems;
}
