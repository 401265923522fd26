/**
 * The lab's local ELBv2 endpoint: it speaks the real Query API (form-encoded POST, XML answers in the 2015-12-01
 * namespace), so the real AWS SDK client and the real CLI can run against it on loopback.
 *
 * It models what the controller depends on: in-memory target groups with their health-check settings and
 * attributes (ModifyTargetGroup, ModifyTargetGroupAttributes), target health in time with a data plane behind
 * each listener (target-group.ts), target validation as AWS does it against a VPC CIDR (an IP outside the VPC
 * must be private and carry `AvailabilityZone=all`), the error envelope (HTTP 400 `<ErrorResponse>`), injected
 * throttling and missing target groups, and a call log so tests can assert which calls were made, in order.
 */
import { ScaledClock, type LabClock } from './clock';
import { AWS_PRIVATE_TARGET_RANGES, cidrContains, ipv4ToNumber, parseCidr, type Ipv4Cidr } from './ip-ranges';
import { API_VERSION, XML_NAMESPACE, attributesResponse, emptyResponse, errorXml, memberXml, parseAttributes, parseTargets, requiredArn, requiredTargets, targetGroupResponse, type CallTargets } from './elbv2-wire';
import { QueryApiError, QueryApiServer, type QueryApi } from './query-api-server';
import { LabTargetGroup, type EndpointTarget, type TargetSpec, type TargetStateName } from './target-group';
import { parseActions, parseConditions, ruleXml, type LabListenerRule } from './listener-rules';
import type { HealthCheckSettings } from './target-group-settings';
import type { Vip } from './vip';

export type { EndpointTarget, TargetStateName } from './target-group';


/** One API call as the endpoint received it. */
export interface Elbv2Call {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly targetGroupArn?: string;
  /** Targets named by the call (`Targets.member.N.*`), in order. */
  readonly targets: CallTargets;
  /** `ok`, or the error code the endpoint answered with. */
  readonly outcome: string;
}

/** Options of the endpoint. */
export interface Elbv2EndpointOptions {
  /** Loopback address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /**
   * How target health is modelled: `checks` runs AWS's documented behaviour in time, with real TCP health
   * checks of groups that have a listener (see target-group.ts); `describes` is the older model where
   * `initial` and `draining` last a number of DescribeTargetHealth calls. @default 'checks'
   */
  readonly healthModel?: 'checks' | 'describes';
  /** The lab's clock (the controller under test takes the same one). @default new ScaledClock(1) */
  readonly clock?: LabClock;
  /**
   * `checks` model: seconds of model time a registration takes before health checks start (AWS: "it can take
   * a few minutes for the registration process to complete and health checks to start"). @default 60
   */
  readonly registrationDelaySeconds?: number;
  /** Health-check settings of every new target group (AWS's defaults otherwise). @default DEFAULT_HEALTH_CHECK */
  readonly healthCheck?: Partial<HealthCheckSettings>;
  /** Attributes of every new target group, over AWS's defaults. @default {} */
  readonly targetGroupAttributes?: Readonly<Record<string, string>>;
  /** `describes` model: describes during which a newly registered target reports `initial`. @default 1 */
  readonly initialDescribes?: number;
  /** `describes` model: describes during which a deregistered target reports `draining` before it vanishes. @default 1 */
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
  /** The clock every delay, interval and timeout of the endpoint runs on. */
  readonly clock: LabClock;
  private readonly groups = new Map<string, LabTargetGroup>();
  /** Listener rules by rule ARN (DescribeRules, ModifyRule), in creation order. */
  private readonly listenerRules = new Map<string, LabListenerRule>();
  private readonly faults: PendingFault[] = [];
  private readonly strictDeregister: boolean;
  private readonly vpcCidr: Ipv4Cidr;
  private readonly privateRanges: readonly Ipv4Cidr[];
  private readonly vpcAvailabilityZone: string;

  private server!: QueryApiServer;

  private constructor(private readonly options: Elbv2EndpointOptions) {
    this.clock = options.clock ?? new ScaledClock(1);
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

  /**
   * Creates an empty target group (replacing one with the same ARN), with the endpoint's default settings
   * overridden by `settings`.
   */
  createTargetGroup(
    arn: string,
    settings: { readonly healthCheck?: Partial<HealthCheckSettings>; readonly attributes?: Readonly<Record<string, string>> } = {},
  ): void {
    void this.groups.get(arn)?.close();
    this.groups.set(
      arn,
      new LabTargetGroup(
        arn,
        {
          healthModel: this.options.healthModel ?? 'checks',
          clock: this.clock,
          registrationDelayMs: (this.options.registrationDelaySeconds ?? 60) * 1000,
          initialDescribes: this.options.initialDescribes ?? 1,
          drainingDescribes: this.options.drainingDescribes ?? 1,
        },
        {
          healthCheck: { ...this.options.healthCheck, ...settings.healthCheck },
          attributes: { ...this.options.targetGroupAttributes, ...settings.attributes },
        },
      ),
    );
  }

  /** Deletes a target group: every later call naming it gets `TargetGroupNotFound`. */
  deleteTargetGroup(arn: string): void {
    void this.groups.get(arn)?.close();
    this.groups.delete(arn);
  }

  /**
   * Adds a listener that forwards to the group: a VIP on `host:port` (port 0: an ephemeral one). From now on
   * the group's targets are health-checked and new connections follow their states.
   */
  addListener(arn: string, listener: { readonly host?: string; readonly port?: number } = {}): Promise<Vip> {
    return this.group(arn).attachListener(listener.host ?? '127.0.0.1', listener.port ?? 0);
  }

  /** The group's listener VIP (its address and counters). */
  vip(arn: string): Vip {
    const vip = this.group(arn).vip;
    if (!vip) throw new Error(`elbv2-endpoint: ${arn} has no listener`);
    return vip;
  }

  /** The group's health-check settings and attributes as they stand. */
  settings(arn: string): { readonly healthCheck: HealthCheckSettings; readonly attributes: Readonly<Record<string, string>> } {
    const group = this.group(arn);
    return { healthCheck: group.healthCheck, attributes: group.attributes };
  }

  /** Puts a target straight into a group in the given state (a pre-existing registration). */
  seedTarget(arn: string, target: { id: string; port: number; availabilityZone?: string; state?: TargetStateName }): void {
    this.group(arn).seed(target, target.state);
  }

  /** Sets the reported health of a registered target (e.g. `unhealthy`). */
  setTargetState(arn: string, id: string, port: number, state: TargetStateName, reason?: string): void {
    this.group(arn).setState(id, port, state, reason);
  }

  /** The targets of a group as the endpoint holds them now (draining ones included). */
  targets(arn: string): EndpointTarget[] {
    return this.group(arn).list();
  }

  /** Ids of targets registered and not draining, sorted. */
  registeredIds(arn: string): string[] {
    return this.targets(arn)
      .filter((t) => t.state !== 'draining')
      .map((t) => t.id)
      .sort();
  }

  /** Creates (or replaces) a listener rule, as CloudFormation would; the API then describes and modifies it. */
  createListenerRule(rule: LabListenerRule): void {
    this.listenerRules.set(rule.ruleArn, rule);
  }

  /** The rules of a listener as they stand, in priority order (the default rule last). */
  rulesOf(listenerArn: string): LabListenerRule[] {
    const rank = (rule: LabListenerRule) => (rule.priority === 'default' ? Infinity : Number(rule.priority));
    return [...this.listenerRules.values()].filter((rule) => rule.listenerArn === listenerArn).sort((a, b) => rank(a) - rank(b));
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

  /** Stops the server, every health check and every VIP. */
  async close(): Promise<void> {
    await Promise.all([...this.groups.values()].map((group) => group.close()));
    await this.server.close();
  }

  private group(arn: string): LabTargetGroup {
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
      case 'ModifyTargetGroupAttributes':
      case 'DescribeTargetGroupAttributes': {
        const group = this.group(requiredArn(arn));
        if (action === 'ModifyTargetGroupAttributes') group.modifyAttributes(parseAttributes(params));
        return attributesResponse(action, group.attributes, requestId);
      }
      case 'ModifyTargetGroup': {
        const group = this.group(requiredArn(arn));
        group.modifyHealthCheck(params);
        return targetGroupResponse(group, requestId);
      }
      case 'DescribeRules':
        return this.describeRules(params, requestId);
      case 'ModifyRule':
        return this.modifyRule(params, requestId);
      default:
        throw new QueryApiError('InvalidAction', `Action ${action} is not valid for this web service`);
    }
  }

  private describeRules(params: Record<string, string>, requestId: string): string {
    const named: string[] = [];
    for (let n = 1, arn = params['RuleArns.member.1']; arn !== undefined; n += 1, arn = params[`RuleArns.member.${n}`]) named.push(arn);
    let rules: LabListenerRule[];
    if (named.length > 0) {
      rules = named.map((arn) => {
        const rule = this.listenerRules.get(arn);
        if (!rule) throw new QueryApiError('RuleNotFound', `One or more rules not found`);
        return rule;
      });
    } else if (params.ListenerArn) {
      rules = this.rulesOf(params.ListenerArn);
      if (rules.length === 0) throw new QueryApiError('ListenerNotFound', `One or more listeners not found`);
    } else {
      throw new QueryApiError('ValidationError', 'A listener ARN or rule ARNs must be specified');
    }
    return (
      `<DescribeRulesResponse xmlns="${XML_NAMESPACE}"><DescribeRulesResult><Rules>${rules.map(ruleXml).join('')}</Rules></DescribeRulesResult>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeRulesResponse>`
    );
  }

  private modifyRule(params: Record<string, string>, requestId: string): string {
    const arn = params.RuleArn;
    if (!arn) throw new QueryApiError('ValidationError', 'RuleArn is required');
    const rule = this.listenerRules.get(arn);
    if (!rule) throw new QueryApiError('RuleNotFound', `One or more rules not found`);
    const conditions = parseConditions(params);
    const actions = parseActions(params);
    if (rule.priority === 'default' && conditions) throw new QueryApiError('OperationNotPermitted', 'Conditions cannot be modified on a default rule');
    const modified: LabListenerRule = { ...rule, conditions: conditions ?? rule.conditions, actions: actions ?? rule.actions };
    this.listenerRules.set(arn, modified);
    return (
      `<ModifyRuleResponse xmlns="${XML_NAMESPACE}"><ModifyRuleResult><Rules>${ruleXml(modified)}</Rules></ModifyRuleResult>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></ModifyRuleResponse>`
    );
  }

  private describe(arn: string, named: Elbv2Call['targets'], requestId: string): string {
    const members = this.group(arn).describe(named).map((t) => memberXml(t)).join('');
    return (
      `<DescribeTargetHealthResponse xmlns="${XML_NAMESPACE}"><DescribeTargetHealthResult>` +
      `<TargetHealthDescriptions>${members}</TargetHealthDescriptions></DescribeTargetHealthResult>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`
    );
  }

  private register(arn: string, targets: Elbv2Call['targets']): void {
    const group = this.group(arn);
    // AWS rejects the whole call when one target is invalid, so validate all before registering any.
    group.register(targets.map((t) => this.validateTarget(t)));
  }
  /**
   * What RegisterTargets checks for an IP target (TargetDescription.AvailabilityZone, docs/architecture.md#aws-facts). The
   * messages are the ones AWS has been seen to answer with (ValidationError, HTTP 400); the wording for a
   * publicly routable address was not found in any source and is this endpoint's own.
   */
  private validateTarget(t: Elbv2Call['targets'][number]): TargetSpec {
    if (t.port === undefined) throw new QueryApiError('ValidationError', `A port must be specified for target '${t.id}'`);
    const valid = { id: t.id, port: t.port, availabilityZone: t.availabilityZone };
    const address = ipv4ToNumber(t.id);
    if (address === undefined) throw new QueryApiError('ValidationError', `The IP address '${t.id}' is not a valid IPv4 address`);
    if (cidrContains(this.vpcCidr, address)) {
      if (t.availabilityZone === 'all') {
        throw new QueryApiError(
          'ValidationError',
          `The IP address '${t.id}' is within the VPC, and cannot have its Availability Zone overridden to 'all' from '${this.vpcAvailabilityZone}'`,
        );
      }
      return valid;
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
    return valid;
  }

  private deregister(arn: string, targets: Elbv2Call['targets']): void {
    const group = this.group(arn);
    const missing = targets.filter((t) => !group.has(t.id, t.port ?? 0));
    if (missing.length > 0 && this.strictDeregister) {
      throw new QueryApiError(
        'InvalidTarget',
        `The following targets are not registered in the target group: ${missing.map((t) => `'${t.id}:${t.port}'`).join(', ')}`,
      );
    }
    group.deregister(targets.filter((t) => group.has(t.id, t.port ?? 0)).map((t) => ({ id: t.id, port: t.port ?? 0 })));
  }
}
