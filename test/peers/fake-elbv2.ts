/**
 * A local ELBv2 endpoint that speaks the real Query API (form-encoded POST, XML answers in the 2015-12-01
 * namespace), so the real AWS SDK client and the real CLI can run against it on loopback.
 *
 * It models what the controller depends on: in-memory target groups, health states (`initial` for a number of
 * describes after registration, then `healthy`), deregistration (`draining` for a number of describes, then
 * gone), the error envelope (HTTP 400 `<ErrorResponse>`), injected throttling and missing target groups, and a
 * call log so tests can assert exactly which calls were made and in which order.
 */
import { escapeXml, QueryApiError, QueryApiServer, type QueryApi } from './query-api-server';

const API_VERSION = '2015-12-01';
const XML_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

/** Target states the fake can report (a subset of `TargetHealth.State`). */
export type FakeTargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining';

/** One target as the fake holds it. */
export interface FakeTarget {
  readonly id: string;
  readonly port: number;
  readonly availabilityZone?: string;
  state: FakeTargetState;
  reason?: string;
  description?: string;
  /** Describes left before `initial` turns `healthy` or `draining` disappears. */
  describesLeft: number;
}

/** One API call as the fake received it. */
export interface FakeCall {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly targetGroupArn?: string;
  /** Targets named by the call (`Targets.member.N.*`), in order. */
  readonly targets: readonly { readonly id: string; readonly port?: number; readonly availabilityZone?: string }[];
  /** `ok`, or the error code the fake answered with. */
  readonly outcome: string;
}

/** Options of the fake endpoint. */
export interface FakeElbv2Options {
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
}

interface PendingFault {
  remaining: number;
  readonly action?: string;
  readonly code: string;
  readonly message: string;
}

/** The fake endpoint. Start it with {@link FakeElbv2.start}; close it with {@link FakeElbv2.close}. */
export class FakeElbv2 {
  /** Every call received, in order. */
  readonly calls: FakeCall[] = [];
  private readonly groups = new Map<string, Map<string, FakeTarget>>();
  private readonly faults: PendingFault[] = [];
  private readonly initialDescribes: number;
  private readonly drainingDescribes: number;
  private readonly strictDeregister: boolean;

  private server!: QueryApiServer;

  private constructor(options: FakeElbv2Options) {
    this.initialDescribes = options.initialDescribes ?? 1;
    this.drainingDescribes = options.drainingDescribes ?? 1;
    this.strictDeregister = options.strictDeregister ?? true;
  }

  /** Starts a fake on an ephemeral port. */
  static async start(options: FakeElbv2Options = {}): Promise<FakeElbv2> {
    const fake = new FakeElbv2(options);
    const api: QueryApi = {
      contentType: 'text/xml',
      answer: ({ action, params, requestId }) => fake.answer(action, params, requestId),
      errorXml,
      record: (action, params, outcome) =>
        fake.calls.push({ action, params, targetGroupArn: params.TargetGroupArn, targets: parseTargets(params), outcome }),
    };
    fake.server = await QueryApiServer.start(options.host ?? '127.0.0.1', api);
    return fake;
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
  seedTarget(arn: string, target: { id: string; port: number; availabilityZone?: string; state?: FakeTargetState }): void {
    this.group(arn).set(key(target.id, target.port), {
      id: target.id,
      port: target.port,
      availabilityZone: target.availabilityZone,
      state: target.state ?? 'healthy',
      describesLeft: 0,
    });
  }

  /** Sets the reported health of a registered target (e.g. `unhealthy`). */
  setTargetState(arn: string, id: string, port: number, state: FakeTargetState, reason?: string): void {
    const target = this.group(arn).get(key(id, port));
    if (!target) throw new Error(`fake-elbv2: ${id}:${port} is not in ${arn}`);
    target.state = state;
    target.reason = reason;
    target.describesLeft = 0;
  }

  /** The targets of a group as the fake holds them now (draining ones included). */
  targets(arn: string): FakeTarget[] {
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
  callsOf(...actions: string[]): FakeCall[] {
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

  private group(arn: string): Map<string, FakeTarget> {
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

  private dispatch(action: string, params: Record<string, string>, targets: FakeCall['targets'], requestId: string): string {
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

  private describe(arn: string, named: FakeCall['targets'], requestId: string): string {
    const group = this.group(arn);
    const described: FakeTarget[] = [];
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
  private advance(group: Map<string, FakeTarget>): void {
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

  private register(arn: string, targets: FakeCall['targets']): void {
    const group = this.group(arn);
    for (const t of targets) {
      if (t.port === undefined) throw new QueryApiError('ValidationError', `Target ${t.id} needs a port`);
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(t.id)) {
        throw new QueryApiError('InvalidTarget', `The following targets are not valid IP addresses: ${t.id}`);
      }
    }
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

  private deregister(arn: string, targets: FakeCall['targets']): void {
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

function requiredTargets(targets: FakeCall['targets']): FakeCall['targets'] {
  if (targets.length === 0) throw new QueryApiError('ValidationError', 'Targets is required');
  return targets;
}

function parseTargets(params: Record<string, string>): FakeCall['targets'] {
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


function memberXml(t: FakeTarget): string {
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
