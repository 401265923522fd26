/**
 * EC2 discovery, the pure part (docs/architecture.md#discovery): from a DescribeInstances answer (or its failure) and the last
 * known set, decide which instances are a service's discovered targets this round, and name and order them.
 * The round runner (lambda/controller/round.ts) asks EC2; this module never does I/O.
 *
 * - Identity: a discovered target is its instance id. Its health counters are stored under the instance id
 *   (see {@link healthKeyOf}), so a replacement with the same `Name` tag starts without history and must pass
 *   `rise` like any newcomer (bootstrap aside).
 * - Name: the `Name` tag (the instance id when it has none), suffixed with `-<instance id>` when two targets of
 *   the service would share it (another instance, or a static target). Operator overrides follow the name, and
 *   also apply through the `Name` tag of a suffixed target, so a drained `PACS1` stays drained while replaced.
 * - Order: static targets in config order, then discovered ones by name, then instance id (failover priority).
 * - A successful answer replaces the set (a missing instance leaves the config and is deregistered), except
 *   an answer with zero instances while a discovered target is in service: the last known set is kept for
 *   `fall` consecutive such answers and the empty answer is believed in the next one.
 * - A failed answer changes nothing: the last known set is used and the service is reported as failed.
 */
import type { ControllerConfig, ServiceConfig, TargetConfig } from '../../contract/controller-config';
import type { ControllerState, DiscoveredInstance, DiscoveryMatch, DiscoveryState } from './state';

/** Where a target of the effective config came from. */
export type TargetSource = 'static' | DiscoveryMatch;

/** A target of the effective config: a static one, or a discovered instance. */
export type ResolvedTarget = TargetConfig & {
  /** Discovered targets only: the instance (its health counters are kept under this id). */
  readonly instanceId?: string;
  /** Discovered targets only: the `Name` tag, through which overrides also apply. */
  readonly nameTag?: string;
  /** @default 'static' */
  readonly source?: TargetSource;
};

/** What EC2 answered for one service this round. */
export type DiscoveryAnswer = { readonly instances: readonly DiscoveredInstance[] } | { readonly error: string };

/** The outcome of discovery for one service. */
export interface DiscoveryResolution {
  /** The set to use (and persist) this round. */
  readonly state: DiscoveryState;
  /** The discovered targets, named and ordered, after the static ones. */
  readonly targets: readonly ResolvedTarget[];
  /** EC2 failed: no discovery-driven change was made and the service is reported as failed. */
  readonly error?: string;
  /** Something the report must say (an empty answer not believed yet, an instance skipped). */
  readonly notes: readonly string[];
}

/** The key of a target's health counters in the state: its instance id when discovered, else its name. */
export function healthKeyOf(target: ResolvedTarget): string {
  return target.instanceId ?? target.name;
}

/** Where a target came from, as `medlb status` shows it: `static`, `instance i-…` or `tags Key=v1|v2,…`. */
export function sourceText(service: ServiceConfig, target: ResolvedTarget): string {
  if (target.source === undefined || target.source === 'static') return 'static';
  if (target.source === 'instance-id') return `instance ${target.instanceId}`;
  const tags = Object.entries(service.discovery?.tags ?? {}).map(([key, values]) => `${key}=${values.join('|')}`);
  return `tags ${tags.join(',')}`;
}

/**
 * Names and orders discovered instances behind a service's static targets. Instances whose address is already
 * a static target's (or an earlier instance's) are skipped: ELB knows a target by address and port.
 */
export function discoveredTargets(staticTargets: readonly TargetConfig[], instances: readonly DiscoveredInstance[]): { targets: ResolvedTarget[]; skipped: string[] } {
  const staticNames = new Set(staticTargets.map((t) => t.name));
  const takenIps = new Map<string, string>(staticTargets.map((t) => [t.ip, `static target ${t.name}`]));
  const skipped: string[] = [];
  const unique: DiscoveredInstance[] = [];
  for (const instance of [...instances].sort((a, b) => compare(a.instanceId, b.instanceId))) {
    if (unique.some((u) => u.instanceId === instance.instanceId)) continue;
    const holder = takenIps.get(instance.privateIp);
    if (holder !== undefined) {
      skipped.push(`${instance.instanceId} skipped: its address ${instance.privateIp} is already ${holder}`);
      continue;
    }
    takenIps.set(instance.privateIp, `instance ${instance.instanceId}`);
    unique.push(instance);
  }
  const baseName = (i: DiscoveredInstance) => i.nameTag?.trim() || i.instanceId;
  const uses = new Map<string, number>();
  for (const instance of unique) uses.set(baseName(instance), (uses.get(baseName(instance)) ?? 0) + 1);
  const targets = unique.map((instance): ResolvedTarget => {
    const base = baseName(instance);
    const shared = (uses.get(base) ?? 0) > 1 || staticNames.has(base);
    return {
      name: shared && base !== instance.instanceId ? `${base}-${instance.instanceId}` : base,
      ip: instance.privateIp,
      instanceId: instance.instanceId,
      ...(instance.nameTag ? { nameTag: instance.nameTag } : {}),
      source: instance.matchedBy,
    };
  });
  targets.sort((a, b) => compare(a.name, b.name) || compare(a.instanceId ?? '', b.instanceId ?? ''));
  return { targets, skipped };
}

/**
 * Decides the discovered set of one service this round.
 * @param isInService whether an address is registered (not draining) in one of the service's target groups;
 *   undefined when ELB could not be described (then an empty answer is not believed either)
 */
export function resolveDiscovery(props: {
  readonly service: ServiceConfig;
  readonly previous: DiscoveryState | undefined;
  readonly answer: DiscoveryAnswer;
  readonly isInService: ((ip: string) => boolean) | undefined;
  readonly now: Date;
}): DiscoveryResolution {
  const { service, previous, answer } = props;
  const lastKnown: DiscoveryState = previous ?? { instances: [], resolvedAt: props.now.toISOString(), suspiciousEmptyAnswers: 0 };
  const build = (state: DiscoveryState, notes: string[], error?: string): DiscoveryResolution => {
    const { targets, skipped } = discoveredTargets(service.targets, state.instances);
    return { state, targets, notes: [...notes, ...skipped], ...(error !== undefined ? { error } : {}) };
  };
  if ('error' in answer) {
    return build(lastKnown, [`EC2 discovery failed: using the last known ${lastKnown.instances.length} instance(s) from ${lastKnown.resolvedAt}`], `EC2 discovery failed: ${answer.error}`);
  }
  if (answer.instances.length === 0 && lastKnown.instances.length > 0) {
    const isInService = props.isInService;
    const inService = isInService === undefined || lastKnown.instances.some((i) => isInService(i.privateIp));
    if (inService) {
      const count = lastKnown.suspiciousEmptyAnswers + 1;
      if (count <= service.fall) {
        return build({ ...lastKnown, suspiciousEmptyAnswers: count }, [
          `EC2 answered zero instances while discovered targets are in service: keeping the last known ${lastKnown.instances.length} instance(s) (${count} of ${service.fall} such answers before acting)`,
        ]);
      }
      return build({ instances: [], resolvedAt: props.now.toISOString(), suspiciousEmptyAnswers: 0 }, [
        `EC2 answered zero instances ${count} times in a row (more than fall = ${service.fall}): believed; the discovered targets leave the service`,
      ]);
    }
  }
  return build({ instances: answer.instances, resolvedAt: props.now.toISOString(), suspiciousEmptyAnswers: 0 }, []);
}

/** A service with its static targets followed by discovered ones. */
export function withTargets(service: ServiceConfig, discovered: readonly ResolvedTarget[]): ServiceConfig {
  return discovered.length === 0 ? service : { ...service, targets: [...service.targets, ...discovered] };
}

/**
 * The config with every service's last known discovered set (from the state) appended: what drain, online
 * and status use, without calling EC2.
 */
export function withPersistedDiscovery(config: ControllerConfig, state: ControllerState): ControllerConfig {
  return {
    ...config,
    services: config.services.map((service) => {
      const known = service.discovery ? state.services[service.name]?.discovery : undefined;
      return known ? withTargets(service, discoveredTargets(service.targets, known.instances).targets) : service;
    }),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
