/**
 * The round's EC2 discovery step (docs/architecture.md#discovery): DescribeInstances for every service with a
 * `discovery` block, then each answer applied to the config (discovered targets after the static ones) and to
 * the state (the last known set), for the reconciler.
 */
import type { InstanceDiscoveryPort, ObservedTarget } from '../reconcile/ports';
import type { ControllerConfig, ServiceConfig } from '../../contract/controller-config';
import { resolveDiscovery, withTargets, type DiscoveryAnswer } from '../reconcile/discovery';
import type { ObservedTargetGroups } from '../reconcile/reconcile-types';
import { isRegistered } from '../reconcile/target-groups';
import { serviceState, type ControllerState, type DiscoveredInstance } from '../reconcile/state';
import { mapConcurrent } from './concurrency';
import type { RoundLogger } from './round-logger';
import type { DiscoverySummary } from './round-summary';

/** The config and state a round reconciles once discovery is resolved. */
export interface ResolvedRound {
  /** Static targets followed by discovered ones. */
  readonly config: ControllerConfig;
  /** The loaded state with each discovered service's set for this round. */
  readonly state: ControllerState;
  readonly discovery: ReadonlyMap<string, DiscoverySummary>;
  /** Services whose discovery failed. */
  readonly failed: ReadonlySet<string>;
}

/** Asks EC2 for every service with a discovery block; a failure becomes that service's answer. */
export async function discoverAll(
  config: ControllerConfig,
  port: InstanceDiscoveryPort | undefined,
  limit: number,
  logger: RoundLogger,
): Promise<ReadonlyMap<string, DiscoveryAnswer>> {
  const services = config.services.flatMap((service) => (service.discovery !== undefined ? [{ service, discovery: service.discovery }] : []));
  const answers = await mapConcurrent(services, limit, async ({ service, discovery }): Promise<DiscoveryAnswer> => {
    if (!port) return { error: 'no EC2 discovery client is configured' };
    try {
      const found = await port.describeInstances(discovery);
      return {
        instances: found.map((i): DiscoveredInstance => ({
          instanceId: i.instanceId,
          ...(i.name !== undefined ? { nameTag: i.name } : {}),
          privateIp: i.privateIp,
          ...(i.availabilityZone !== undefined ? { availabilityZone: i.availabilityZone } : {}),
          matchedBy: i.matchedById ? 'instance-id' : 'tags',
        })),
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.error('DescribeInstances failed', { service: service.name, error: message });
      return { error: message };
    }
  });
  return new Map(services.map(({ service }, i) => [service.name, answers[i] ?? { error: 'not asked' }]));
}

/** Applies each service's discovery answer to the config and the state. */
export function resolveRound(
  config: ControllerConfig,
  state: ControllerState,
  answers: ReadonlyMap<string, DiscoveryAnswer>,
  observed: ObservedTargetGroups,
  now: Date,
): ResolvedRound {
  const discovery = new Map<string, DiscoverySummary>();
  const failed = new Set<string>();
  const services: Record<string, ControllerState['services'][string]> = { ...state.services };
  const resolvedServices = config.services.map((service) => {
    const answer = answers.get(service.name);
    if (answer === undefined) return service;
    const previous = serviceState(state, service.name);
    const resolution = resolveDiscovery({ service, previous: previous.discovery, answer, isInService: inServiceCheck(service, observed), now });
    services[service.name] = { ...previous, discovery: resolution.state };
    if (resolution.error !== undefined) failed.add(service.name);
    discovery.set(service.name, {
      instances: resolution.state.instances.length,
      resolvedAt: resolution.state.resolvedAt,
      suspiciousEmptyAnswers: resolution.state.suspiciousEmptyAnswers,
      notes: resolution.notes,
      ...(resolution.error !== undefined ? { error: resolution.error } : {}),
    });
    return withTargets(service, resolution.targets);
  });
  return { config: { ...config, services: resolvedServices }, state: { ...state, services }, discovery, failed };
}

/** Whether an address is registered (not draining) in one of the service's groups; undefined when ELB is unknown. */
function inServiceCheck(service: ServiceConfig, observed: ObservedTargetGroups): ((ip: string) => boolean) | undefined {
  const lists: (readonly ObservedTarget[])[] = [];
  for (const tg of service.targetGroups) {
    const seen = observed[tg.arn];
    if (seen === undefined || 'error' in seen) return undefined;
    lists.push(seen.filter((o) => o.port === tg.port && isRegistered(o.state)));
  }
  return (ip) => lists.some((list) => list.some((o) => o.ip === ip));
}
