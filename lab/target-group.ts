/**
 * One target group of the lab's ELBv2 endpoint: its targets and their health states, its settings, and — once a
 * listener uses it — the data plane that routes new connections by those states.
 *
 * Two health models:
 * - `checks` (the lab's): AWS's documented behaviour in (scaled) time. A new target is `initial` for the
 *   registration delay, then until the group's own TCP check (a real connect to the target's check port, at the
 *   group's interval) passes `HealthyThresholdCount` times in a row; `UnhealthyThresholdCount` failures make it
 *   `unhealthy`. Only a group a listener uses is checked: without one, its targets are `unused`
 *   (`Target.NotInUse`). Deregistered targets are `draining` for the deregistration delay, then gone.
 * - `describes` (older tests): `initial` and `draining` last a number of DescribeTargetHealth calls.
 *
 * Routing (both models): a new connection goes only to a `healthy` target; `initial` and `draining` targets
 * never get one. When every registered, non-draining target is unhealthy the group fails open and routes to all
 * of them, as AWS documents. With `stickiness.enabled`, a client IP keeps its target while that target stays
 * eligible. Otherwise targets take turns (AWS hashes each flow; round-robin is its deterministic stand-in).
 */
import type { LabClock } from './clock';
import { tcpCheck } from './tcp-check';
import {
  applyAttributes,
  applyHealthCheck,
  dataPlaneAttributes,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_TCP_ATTRIBUTES,
  type HealthCheckSettings,
} from './target-group-settings';
import { Vip, type ForwardedConnection, type RouteTarget } from './vip';

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
  /** `describes` model: describes left before `initial` turns `healthy` or `draining` disappears. */
  describesLeft: number;
}

/** A target as the group models it. */
interface ModelTarget extends EndpointTarget, RouteTarget {
  /** Consecutive passed / failed checks. */
  passes: number;
  failures: number;
  /** Bumped whenever the target's checks restart or stop, so a late check result is ignored. */
  generation: number;
  cancelCheck?: () => void;
  cancelStateTimer?: () => void;
}

/** How a group models health and time. */
export interface TargetGroupContext {
  readonly healthModel: 'checks' | 'describes';
  readonly clock: LabClock;
  /** `checks` model: time a new registration takes before health checks start, in model ms. */
  readonly registrationDelayMs: number;
  /** `describes` model. */
  readonly initialDescribes: number;
  readonly drainingDescribes: number;
}

/** A target as a RegisterTargets / DeregisterTargets call names it. */
export interface TargetSpec {
  readonly id: string;
  readonly port: number;
  readonly availabilityZone?: string;
}

const REGISTERING = { reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' };
const INITIAL_CHECKS = { reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' };
const FAILED_CHECKS = { reason: 'Target.FailedHealthChecks', description: 'Health checks failed' };
const DEREGISTERING = { reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' };
const NOT_IN_USE = { reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' };

/** One target group. */
export class LabTargetGroup {
  /** The listener's VIP, once {@link attachListener} was called. */
  vip?: Vip;
  private healthCheckSettings: HealthCheckSettings;
  private attributeValues: Record<string, string>;
  private readonly members = new Map<string, ModelTarget>();
  private readonly sticky = new Map<string, string>();
  private turn = 0;

  constructor(
    readonly arn: string,
    private readonly context: TargetGroupContext,
    settings: { readonly healthCheck?: Partial<HealthCheckSettings>; readonly attributes?: Readonly<Record<string, string>> } = {},
  ) {
    this.healthCheckSettings = { ...DEFAULT_HEALTH_CHECK, ...settings.healthCheck };
    this.attributeValues = applyAttributes(DEFAULT_TCP_ATTRIBUTES, settings.attributes ?? {});
  }

  get healthCheck(): HealthCheckSettings {
    return this.healthCheckSettings;
  }

  get attributes(): Readonly<Record<string, string>> {
    return this.attributeValues;
  }

  /** ModifyTargetGroupAttributes: validated as a whole; applies to what happens from now on. */
  modifyAttributes(changes: Readonly<Record<string, string>>): void {
    this.attributeValues = applyAttributes(this.attributeValues, changes);
  }

  /** ModifyTargetGroup's health-check parameters; the next scheduled check uses them. */
  modifyHealthCheck(params: Readonly<Record<string, string | undefined>>): void {
    this.healthCheckSettings = applyHealthCheck(this.healthCheckSettings, params);
  }

  /** The targets as they stand (draining ones included). */
  list(): EndpointTarget[] {
    return [...this.members.values()].map((t) => ({
      id: t.id,
      port: t.port,
      availabilityZone: t.availabilityZone,
      state: t.state,
      reason: t.reason,
      description: t.description,
      describesLeft: t.describesLeft,
    }));
  }

  has(id: string, port: number): boolean {
    return this.members.has(key(id, port));
  }

  /** What DescribeTargetHealth reports now (all targets, or the named ones); the `describes` model then moves on. */
  describe(named: readonly { readonly id: string; readonly port?: number }[]): EndpointTarget[] {
    const reported =
      named.length > 0
        ? named.map(
            (t) =>
              this.members.get(key(t.id, t.port ?? 0)) ?? {
                id: t.id,
                port: t.port ?? 0,
                state: 'unused' as const,
                reason: 'Target.NotRegistered',
                describesLeft: 0,
              },
          )
        : [...this.members.values()];
    const unused = this.context.healthModel === 'checks' && !this.vip;
    const view = reported.map((t): EndpointTarget =>
      unused && this.members.has(key(t.id, t.port)) && t.state !== 'draining' ? { ...t, state: 'unused', ...NOT_IN_USE } : { ...t },
    );
    if (this.context.healthModel === 'describes') this.advanceByDescribe();
    return view;
  }

  register(targets: readonly TargetSpec[]): void {
    for (const spec of targets) {
      const existing = this.members.get(key(spec.id, spec.port));
      // Registering again is a no-op in ELB, unless the target is draining: then it comes back.
      if (existing && existing.state !== 'draining') continue;
      if (existing) this.stopTimers(existing);
      const target: ModelTarget = {
        id: spec.id,
        port: spec.port,
        availabilityZone: spec.availabilityZone,
        key: key(spec.id, spec.port),
        ip: spec.id,
        connections: existing?.connections ?? new Set<ForwardedConnection>(),
        state: 'initial',
        ...REGISTERING,
        describesLeft: this.context.initialDescribes - 1,
        passes: 0,
        failures: 0,
        generation: (existing?.generation ?? 0) + 1,
      };
      this.members.set(target.key, target);
      if (this.context.healthModel === 'checks' && this.vip) this.startChecks(target, this.context.registrationDelayMs);
    }
  }

  /** Marks registered targets `draining` (the caller checks that they are registered). */
  deregister(targets: readonly TargetSpec[]): void {
    for (const spec of targets) {
      const target = this.members.get(key(spec.id, spec.port));
      if (!target || target.state === 'draining') continue;
      this.stopTimers(target);
      Object.assign(target, { state: 'draining', ...DEREGISTERING, describesLeft: this.context.drainingDescribes - 1 });
      if (this.context.healthModel !== 'checks') continue;
      const { deregistrationDelaySeconds } = dataPlaneAttributes(this.attributeValues);
      target.cancelStateTimer = this.context.clock.setTimer(() => {
        if (dataPlaneAttributes(this.attributeValues).terminateAtDeregistration) terminateAll(target);
        if (this.members.get(target.key) === target) this.members.delete(target.key);
      }, deregistrationDelaySeconds * 1000);
    }
  }

  /** Puts a target straight into the group in the given state (a registration that predates the test). */
  seed(spec: TargetSpec, state: TargetStateName = 'healthy'): void {
    this.register([spec]);
    const target = this.members.get(key(spec.id, spec.port));
    if (target === undefined) throw new Error(`seed: ${spec.id}:${spec.port} was not registered`);
    this.stopTimers(target);
    Object.assign(target, { state, reason: undefined, description: undefined, describesLeft: 0 });
    if (this.context.healthModel === 'checks' && this.vip && state !== 'draining') this.startChecks(target, 0);
  }

  /** Overrides a target's reported state (the `describes` model's way to play a failed NLB check). */
  setState(id: string, port: number, state: TargetStateName, reason?: string): void {
    const target = this.members.get(key(id, port));
    if (!target) throw new Error(`elbv2-endpoint: ${id}:${port} is not in ${this.arn}`);
    Object.assign(target, { state, reason, description: undefined, describesLeft: 0 });
  }

  /** Starts the listener's VIP on `host:port`; from now on the group's targets are health-checked. */
  async attachListener(host: string, port: number): Promise<Vip> {
    if (this.vip) throw new Error(`elbv2-endpoint: ${this.arn} already has a listener`);
    this.vip = await Vip.start(host, port, (clientIp) => this.route(clientIp));
    if (this.context.healthModel === 'checks') {
      for (const target of this.members.values()) {
        if (target.state === 'draining') continue;
        this.startChecks(target, target.state === 'initial' ? this.context.registrationDelayMs : 0);
      }
    }
    return this.vip;
  }

  /** Stops every timer and the VIP (resetting its connections). */
  async close(): Promise<void> {
    for (const target of this.members.values()) this.stopTimers(target);
    await this.vip?.close();
  }

  /** The data plane's choice for a new connection from `clientIp` (see the file comment). */
  private route(clientIp: string): { target: RouteTarget; failOpen: boolean } | undefined {
    const live = [...this.members.values()].filter((t) => t.state !== 'draining').sort((a, b) => (a.key < b.key ? -1 : 1));
    let candidates = live.filter((t) => t.state === 'healthy');
    const failOpen = candidates.length === 0 && live.length > 0 && live.every((t) => t.state === 'unhealthy' || t.state === 'unhealthy.draining');
    if (failOpen) candidates = live;
    if (candidates.length === 0) return undefined;
    const stickySourceIp = dataPlaneAttributes(this.attributeValues).stickySourceIp;
    const previous = stickySourceIp ? candidates.find((t) => t.key === this.sticky.get(clientIp)) : undefined;
    const target = previous ?? candidates[this.turn++ % candidates.length];
    if (target === undefined) return undefined;
    if (stickySourceIp) this.sticky.set(clientIp, target.key);
    return { target, failOpen };
  }

  private advanceByDescribe(): void {
    for (const [k, t] of this.members) {
      if (t.describesLeft > 0) {
        t.describesLeft -= 1;
        continue;
      }
      if (t.state === 'initial') Object.assign(t, { state: 'healthy', reason: undefined, description: undefined });
      else if (t.state === 'draining' || t.state === 'unhealthy.draining') this.members.delete(k);
    }
  }

  private startChecks(target: ModelTarget, delayMs: number): void {
    this.stopTimers(target);
    const generation = target.generation;
    const run = () => {
      if (target.generation !== generation) return;
      if (target.state === 'initial') Object.assign(target, INITIAL_CHECKS);
      const settings = this.healthCheckSettings;
      // Checks run on the interval whatever each takes: the timeout is below the interval.
      target.cancelCheck = this.context.clock.setTimer(run, settings.intervalSeconds * 1000);
      const checkPort = settings.port === 'traffic-port' ? target.port : settings.port;
      void tcpCheck(target.ip, checkPort, settings.timeoutSeconds * 1000, this.context.clock).then((passed) => {
        if (target.generation === generation) this.applyCheck(target, passed);
      });
    };
    target.cancelCheck = this.context.clock.setTimer(run, delayMs);
  }

  private applyCheck(target: ModelTarget, passed: boolean): void {
    const { healthyThresholdCount, unhealthyThresholdCount } = this.healthCheckSettings;
    if (passed) {
      target.passes += 1;
      target.failures = 0;
      if (target.state !== 'healthy' && target.passes >= healthyThresholdCount) {
        target.cancelStateTimer?.();
        Object.assign(target, { state: 'healthy', reason: undefined, description: undefined });
      }
      return;
    }
    target.failures += 1;
    target.passes = 0;
    if (target.failures < unhealthyThresholdCount) return;
    if (target.state === 'initial') Object.assign(target, { state: 'unhealthy', ...FAILED_CHECKS });
    else if (target.state === 'healthy') this.becomeUnhealthy(target);
  }

  /**
   * A healthy target failed its checks: AWS resets its connections, unless unhealthy connection termination is
   * off — then it is `unhealthy.draining` (no new connections, open ones kept) for the draining interval, and
   * its connections are terminated if it has not recovered by then.
   */
  private becomeUnhealthy(target: ModelTarget): void {
    const { terminateWhenUnhealthy, unhealthyDrainingSeconds } = dataPlaneAttributes(this.attributeValues);
    const toUnhealthy = () => {
      terminateAll(target);
      Object.assign(target, { state: 'unhealthy', ...FAILED_CHECKS });
    };
    if (terminateWhenUnhealthy || unhealthyDrainingSeconds === 0) {
      toUnhealthy();
      return;
    }
    Object.assign(target, { state: 'unhealthy.draining', ...FAILED_CHECKS });
    target.cancelStateTimer = this.context.clock.setTimer(() => {
      if (target.state === 'unhealthy.draining') toUnhealthy();
    }, unhealthyDrainingSeconds * 1000);
  }

  private stopTimers(target: ModelTarget): void {
    target.generation += 1;
    target.cancelCheck?.();
    target.cancelStateTimer?.();
    target.cancelCheck = undefined;
    target.cancelStateTimer = undefined;
  }
}

function terminateAll(target: ModelTarget): void {
  for (const connection of [...target.connections]) connection.terminate();
}

function key(id: string, port: number): string {
  return `${id}:${port}`;
}
