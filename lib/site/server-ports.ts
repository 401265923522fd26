/**
 * A real server's own port (the appliance's "real server port"): ELB registers each target with its own port
 * (`TargetDescription.Port`), so a server may listen elsewhere than the service's `ports[0].targetPort` — in a
 * single-port service. These are the rules between that field and the rest of the pool, for validate.ts.
 */
import type { PathSegments } from './problems';
import { DEFAULT_VIEWER_TARGET_PORT } from './site-defaults';

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function recordAt(value: unknown): UnknownRecord {
  return isRecord(value) ? value : {};
}

/** One problem, its path relative to the pool. */
interface PoolProblem {
  readonly path: PathSegments;
  readonly message: string;
}

/**
 * Problems of `realServers[].port` in a service or the viewer as written:
 * - a multi-port service has one target group per port, each sending to its own `targetPort`: one port per server
 *   cannot say which of them it replaces, so it is refused there;
 * - a server with its own port is checked on that port (the controller's probe and the load balancer's check on
 *   the traffic port), so an explicit `healthCheck.port` elsewhere would check something else: refused.
 * The viewer is a single-port service: its servers' port is `targetPort`.
 */
export function realServerPortProblems(rawPool: UnknownRecord, isViewer: boolean): PoolProblem[] {
  const servers = Array.isArray(rawPool.realServers) ? rawPool.realServers : [];
  const withPort = servers.flatMap((server, index) => {
    const port = recordAt(server).port;
    return typeof port === 'number' ? [{ index, port }] : [];
  });
  if (withPort.length === 0) return [];
  const ports = isViewer ? [{ port: rawPool.targetPort ?? DEFAULT_VIEWER_TARGET_PORT }] : Array.isArray(rawPool.ports) ? rawPool.ports.map((mapping) => recordAt(mapping)) : [];
  if (ports.length > 1) {
    const listed = ports.map((mapping) => String(mapping.port)).join(', ');
    return withPort.map(({ index }) => ({
      path: ['realServers', index, 'port'],
      message:
        `this service listens on ports ${listed}, each with its own target group and real-server port (ports[].targetPort): ` +
        "one port per server cannot say which of them it replaces; remove it and set targetPort per port, or give the server's other port a service of its own",
    }));
  }
  const mapping = ports[0];
  const targetPort = typeof mapping?.targetPort === 'number' ? mapping.targetPort : mapping?.port;
  const checkPort = recordAt(rawPool.healthCheck).port;
  if (typeof checkPort === 'number' && typeof targetPort === 'number' && checkPort !== targetPort) {
    const servers = withPort.map(({ index }) => `realServers[${index}]`).join(', ');
    return [
      {
        path: ['healthCheck', 'port'],
        message:
          `${servers} listen on a port of their own and are checked there (the controller's check and the NLB's check on the traffic port): ` +
          `a check port other than the service's targetPort ${targetPort} would check something else; remove healthCheck.port or set it to ${targetPort}`,
      },
    ];
  }
  return [];
}
