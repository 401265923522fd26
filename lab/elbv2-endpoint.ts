/**
 * The lab's local ELBv2 endpoint: it speaks the real Query API (form-encoded POST, XML answers in the 2015-12-01
 * namespace), so the real AWS SDK client and the real CLI can run against it on loopback.
 *
 * It models what the controller depends on: in-memory target groups, health states (`initial` for a number of
 * describes after registration, then `healthy`), deregistration (`draining` for a number of describes, then
 * gone), target validation as AWS does it against a VPC CIDR (an IP outside the VPC must be private and carry
 * `AvailabilityZone=all`), the error envelope (HTTP 400 `<ErrorResponse>`), injected throttling and missing
 * target groups, and a call log so tests can assert exactly which calls were made and in which order.
 */
import { AWS_PRIVATE_TARGET_RANGES, cidrContains, ipv4ToNumber, parseCidr, type Ipv4Cidr } from './ip-ranges';
import { escapeXml, QueryApiError, QueryApiServer, type QueryApi } from './query-api-server';

const API_VERSION = '2015-12-01';
const XML_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

/** Target states the endpoint can report (a subset of `TargetHealth.State`). */
export type TargetStateName = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining';

/** One target as the endpoint holds it. */
export interface EndpointTarget {
  readonly id: string;
  readonly port: number;
  readonly availabilityZone?: string;
  state: TargetStateName;
  reason?: string;
  description?: string;
  /** Describes left before `initial` turns `healthy` or `draining` disappears. */
  describesLeft: number;
}

/** One API call as the endpoint received it. */
export interface Elbv2Call {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly targetGroupArn?: string;
  /** Targets named by the call (`Targets.member.N.*`), in order. */
  readonly targets: readonly { readonly id: string; readonly port?: number; readonly availabilityZone?: string }[];
  /** `ok`, or the error code the endpoint answered with. */
  readonly outcome: string;
}

/** Options of the endpoint. */
export interface Elbv2EndpointOptions {
  /** Loopback address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Describes during which a newly registered target reports `initial`. @default 1 */
  readonly initialDescribes?: number;
  /** Describes during which a deregistered target reports `draining` before it vanishes. @default 1 */
  readonly drainingDescribes?: number;
  /**
   * Answer DeregisterTargets for a target that is not registered with `InvalidTarget` (rejecting the whole
   * call, as a strict API would); otherwise such targets are ignored. @default true
   */
  readonly strictDeregister?: boolean;
  /**
   * The CIDR of the target groups' VPC. An IP inside it is registered without an Availability Zone (AWS detects
   * it); one outside must be private and registered with `AvailabilityZone=all`. The loopback default makes the
   * lab's 127.0.0.x servers count as inside. @default '127.0.0.0/8'
   */
  readonly vpcCidr?: string;
  /**
   * Ranges accepted as private for targets outside the VPC, besides AWS's own (RFC 1918 and RFC 6598): lets a
   * loopback lab play an on-premises server on a 127.x address outside a narrower `vpcCidr`. @default []
   */
  readonly extraPrivateCidrs?: readonly string[];
  /** The Availability Zone AWS would detect for an IP inside the VPC (named in its error messages). @default 'us-east-1a' */
  readonly vpcAvailabilityZone?: string;
}

interface PendingFault {
  remaining: number;
  readonly action?: string;
  readonly code: string;
  readonly message: string;
}

/** The endpoint. Start it with {@link Elbv2Endpoint.start}; close it with {@link Elbv2Endpoint.close}. */
export class Elbv2Endpoint {
  /** Every call received, in order. */
  readonly calls: Elbv2Call[] = [];
  private readonly groups = new Map<string, Map<string, EndpointTarget>>();
  private readonly faults: PendingFault[] = [];
  private readonly initialDescribes: number;
  private readonly drainingDescribes: number;
  private readonly strictDeregister: boolean;
  private readonly vpcCidr: Ipv4Cidr;
  private readonly privateRanges: readonly Ipv4Cidr[];
  private readonly vpcAvailabilityZone: string;

  private server!: QueryApiServer;

  private constructor(options: Elbv2EndpointOptions) {
    this.initialDescribes = options.initialDescribes ?? 1;
    this.drainingDescribes = options.drainingDescribes ?? 1;
    this.strictDeregister = options.strictDeregister ?? true;
    this.vpcCidr = parseCidr(options.vpcCidr ?? '127.0.0.0/8');
    this.privateRanges = [...AWS_PRIVATE_TARGET_RANGES, ...(options.extraPrivateCidrs ?? [])].map(parseCidr);
    this.vpcAvailabilityZone = options.vpcAvailabilityZone ?? 'us-east-1a';
  }

  /** Starts an endpoint on an ephemeral port. */
  static async start(options: Elbv2EndpointOptions = {}): Promise<Elbv2Endpoint> {
    const endpoint = new Elbv2Endpoint(options);
    const api: QueryApi = {
      contentType: 'text/xml',
      answer: ({ action, params, requestId }) => endpoint.answer(action, params, requestId),
      errorXml,
      record: (action, params, outcome) =>
        endpoint.calls.push({ action, params, targetGroupArn: params.TargetGroupArn, targets: parseTargets(params), outcome }),
    };
    endpoint.server = await QueryApiServer.start(options.host ?? '127.0.0.1', api);
    return endpoint;
  }

  /** The URL to give the SDK (`endpoint` option or `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2`). */
  get endpoint(): string {
    return this.server.endpoint;
  }

  /** Creates an empty target group (or empties an existing one). */
  createTargetGroup(arn: string): void {
    this.groups.set(arn, new Map());
  }

  /** Deletes a target group: every later call naming it gets `TargetGroupNotFound`. */
  deleteTargetGroup(arn: string): void {
    this.groups.delete(arn);
  }

  /** Puts a target straight into a group in the given state (a pre-existing registration). */
  seedTarget(arn: string, target: { id: string; port: number; availabilityZone?: string; state?: TargetStateName }): void {
    this.group(arn).set(key(target.id, target.port), {
      id: target.id,
      port: target.port,
      availabilityZone: target.availabilityZone,
      state: target.state ?? 'healthy',
      describesLeft: 0,
    });
  }

  /** Sets the reported health of a registered target (e.g. `unhealthy`). */
  setTargetState(arn: string, id: string, port: number, state: TargetStateName, reason?: string): void {
    const target = this.group(arn).get(key(id, port));
    if (!target) throw new Error(`elbv2-endpoint: ${id}:${port} is not in ${arn}`);
    target.state = state;
    target.reason = reason;
    target.describesLeft = 0;
  }

  /** The targets of a group as the endpoint holds them now (draining ones included). */
  targets(arn: string): EndpointTarget[] {
    return [...this.group(arn).values()].map((t) => ({ ...t }));
  }

  /** Ids of targets registered and not draining, sorted. */
  registeredIds(arn: string): string[] {
    return this.targets(arn)
      .filter((t) => t.state !== 'draining' && t.state !== 'unhealthy.draining')
      .map((t) => t.id)
      .sort();
  }

  /** Answers the next `count` calls (of `action`, or any) with `Throttling` "Rate exceeded". */
  throttleNext(count: number, action?: string): void {
    this.failNext(count, 'Throttling', 'Rate exceeded', action);
  }

  /** Answers the next `count` calls (of `action`, or any) with the given error code. */
  failNext(count: number, code: string, message: string, action?: string): void {
    this.faults.push({ remaining: count, action, code, message });
  }

  /** Calls of the given action(s), in order. */
  callsOf(...actions: string[]): Elbv2Call[] {
    return this.calls.filter((c) => actions.includes(c.action));
  }

  /** Forgets the call log (between rounds of a test). */
  clearCalls(): void {
    this.calls.length = 0;
  }

  /** Stops the server. */
  close(): Promise<void> {
    return this.server.close();
  }

  private group(arn: string): Map<string, EndpointTarget> {
    const group = this.groups.get(arn);
    if (!group) throw new QueryApiError('TargetGroupNotFound', `One or more target groups not found`);
    return group;
  }

  private answer(action: string, params: Record<string, string>, requestId: string): string {
    if (params.Version !== API_VERSION) throw new QueryApiError('InvalidParameterValue', `Version must be ${API_VERSION}`);
    this.injectFault(action);
    return this.dispatch(action, params, parseTargets(params), requestId);
  }

  private injectFault(action: string): void {
    const fault = this.faults.find((f) => f.remaining > 0 && (!f.action || f.action === action));
    if (!fault) return;
    fault.remaining -= 1;
    throw new QueryApiError(fault.code, fault.message);
  }

  private dispatch(action: string, params: Record<string, string>, targets: Elbv2Call['targets'], requestId: string): string {
    const arn = params.TargetGroupArn;
    switch (action) {
      case 'DescribeTargetHealth':
        return this.describe(requiredArn(arn), targets, requestId);
      case 'RegisterTargets':
        this.register(requiredArn(arn), requiredTargets(targets));
        return emptyResponse(action, requestId);
      case 'DeregisterTargets':
        this.deregister(requiredArn(arn), requiredTargets(targets));
        return emptyResponse(action, requestId);
      default:
        throw new QueryApiError('InvalidAction', `Action ${action} is not valid for this web service`);
    }
  }

  private describe(arn: string, named: Elbv2Call['targets'], requestId: string): string {
    const group = this.group(arn);
    const described: EndpointTarget[] = [];
    if (named.length > 0) {
      for (const t of named) {
        const port = t.port ?? 0;
        described.push(
          group.get(key(t.id, port)) ?? { id: t.id, port, state: 'unused', reason: 'Target.NotRegistered', describesLeft: 0 },
        );
      }
    } else {
      described.push(...group.values());
    }
    const members = described.map((t) => memberXml(t)).join('');
    this.advance(group);
    return (
      `<DescribeTargetHealthResponse xmlns="${XML_NAMESPACE}"><DescribeTargetHealthResult>` +
      `<TargetHealthDescriptions>${members}</TargetHealthDescriptions></DescribeTargetHealthResult>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`
    );
  }

  /** Moves time on by one describe: `initial` targets get healthy, draining ones leave. */
  private advance(group: Map<string, EndpointTarget>): void {
    for (const [k, t] of group) {
      if (t.describesLeft > 0) {
        t.describesLeft -= 1;
        continue;
      }
      if (t.state === 'initial') {
        t.state = 'healthy';
        t.reason = undefined;
        t.description = undefined;
      } else if (t.state === 'draining' || t.state === 'unhealthy.draining') {
        group.delete(k);
      }
    }
  }

  private register(arn: string, targets: Elbv2Call['targets']): void {
    const group = this.group(arn);
    // AWS rejects the whole call when one target is invalid, so validate all before registering any.
    for (const t of targets) this.validateTarget(t);
    for (const t of targets) {
      const existing = group.get(key(t.id, t.port!));
      // Registering again is a no-op in ELB, unless the target is draining: then it comes back.
      if (existing && existing.state !== 'draining' && existing.state !== 'unhealthy.draining') continue;
      group.set(key(t.id, t.port!), {
        id: t.id,
        port: t.port!,
        availabilityZone: t.availabilityZone,
        state: 'initial',
        reason: 'Elb.RegistrationInProgress',
        description: 'Target registration is in progress',
        describesLeft: this.initialDescribes - 1,
      });
    }
  }

  /**
   * What RegisterTargets checks for an IP target (TargetDescription.AvailabilityZone, AWS-FACTS §5). The
   * messages are the ones AWS has been seen to answer with (ValidationError, HTTP 400); the wording for a
   * publicly routable address was not found in any source and is this endpoint's own.
   */
  private validateTarget(t: Elbv2Call['targets'][number]): void {
    if (t.port === undefined) throw new QueryApiError('ValidationError', `A port must be specified for target '${t.id}'`);
    const address = ipv4ToNumber(t.id);
    if (address === undefined) throw new QueryApiError('ValidationError', `The IP address '${t.id}' is not a valid IPv4 address`);
    if (cidrContains(this.vpcCidr, address)) {
      if (t.availabilityZone === 'all') {
        throw new QueryApiError(
          'ValidationError',
          `The IP address '${t.id}' is within the VPC, and cannot have its Availability Zone overridden to 'all' from '${this.vpcAvailabilityZone}'`,
        );
      }
      return;
    }
    if (!this.privateRanges.some((range) => cidrContains(range, address))) {
      throw new QueryApiError(
        'ValidationError',
        `The IP address '${t.id}' is outside the VPC and not in a private range (${AWS_PRIVATE_TARGET_RANGES.join(', ')}): publicly routable IP addresses cannot be registered`,
      );
    }
    if (t.availabilityZone === undefined) {
      throw new QueryApiError('ValidationError', `The Availability Zone is required for IP address '${t.id}' because it is not in the VPC`);
    }
    if (t.availabilityZone !== 'all') {
      throw new QueryApiError('ValidationError', `Availability Zones for IP address must be all when not within the VPC (IP address '${t.id}')`);
    }
  }

  private deregister(arn: string, targets: Elbv2Call['targets']): void {
    const group = this.group(arn);
    const missing = targets.filter((t) => !group.has(key(t.id, t.port ?? 0)));
    if (missing.length > 0 && this.strictDeregister) {
      throw new QueryApiError(
        'InvalidTarget',
        `The following targets are not registered in the target group: ${missing.map((t) => `'${t.id}:${t.port}'`).join(', ')}`,
      );
    }
    for (const t of targets) {
      const existing = group.get(key(t.id, t.port ?? 0));
      if (!existing || existing.state === 'draining' || existing.state === 'unhealthy.draining') continue;
      existing.state = 'draining';
      existing.reason = 'Target.DeregistrationInProgress';
      existing.description = 'Target deregistration is in progress';
      existing.describesLeft = this.drainingDescribes - 1;
    }
  }
}

function key(id: string, port: number): string {
  return `${id}:${port}`;
}

function requiredArn(arn: string | undefined): string {
  if (!arn) throw new QueryApiError('ValidationError', 'TargetGroupArn is required');
  return arn;
}

function requiredTargets(targets: Elbv2Call['targets']): Elbv2Call['targets'] {
  if (targets.length === 0) throw new QueryApiError('ValidationError', 'Targets is required');
  return targets;
}

function parseTargets(params: Record<string, string>): Elbv2Call['targets'] {
  const targets: { id: string; port?: number; availabilityZone?: string }[] = [];
  for (let n = 1; params[`Targets.member.${n}.Id`] !== undefined; n += 1) {
    const port = params[`Targets.member.${n}.Port`];
    targets.push({
      id: params[`Targets.member.${n}.Id`]!,
      port: port === undefined ? undefined : Number(port),
      availabilityZone: params[`Targets.member.${n}.AvailabilityZone`],
    });
  }
  return targets;
}


function memberXml(t: EndpointTarget): string {
  const az = t.availabilityZone ? `<AvailabilityZone>${escapeXml(t.availabilityZone)}</AvailabilityZone>` : '';
  const reason = t.reason ? `<Reason>${escapeXml(t.reason)}</Reason>` : '';
  const description = t.description ? `<Description>${escapeXml(t.description)}</Description>` : '';
  return (
    `<member><Target><Id>${escapeXml(t.id)}</Id><Port>${t.port}</Port>${az}</Target>` +
    `<HealthCheckPort>${t.port}</HealthCheckPort>` +
    `<TargetHealth><State>${t.state}</State>${reason}${description}</TargetHealth></member>`
  );
}

function emptyResponse(action: string, requestId: string): string {
  return (
    `<${action}Response xmlns="${XML_NAMESPACE}"><${action}Result/>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

function errorXml(error: QueryApiError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
