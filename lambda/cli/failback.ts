/**
 * `medlb failback <service> (--config F --state-file S | --stack NAME) [--reason TEXT]`: asks a failover service
 * with `failback: manual` to return to its first server (docs/architecture.md, manual failback). The next round
 * registers the first server and deregisters the standby once the first is healthy in ELB (make before break).
 * Records the request (who, when, why) and an audit record. Exit 0 (also when nothing is pending: the message says
 * so); 2 for usage errors, an unknown service, or a service that does not fail back by hand.
 */
import { withPersistedDiscovery } from '../reconcile/discovery';
import { StateConflictError } from '../reconcile/ports';
import { serviceState, type ControllerState } from '../reconcile/state';
import { healthKeyOf, type ResolvedTarget } from '../reconcile/discovery';
import { COMMON_OPTIONS, EXIT, operatorName, parseCommandArgs, runCommand, UsageError, writeOut } from './common';
import { loadControllerInputs } from './stack';

const USAGE = 'usage: medlb failback <service> (--config controller.json --state-file state.json | --stack NAME) [--reason TEXT]';

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const { values, positionals } = parseCommandArgs(args, { ...COMMON_OPTIONS, reason: { type: 'string' } }, true);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const [name, extra] = positionals;
    if (name === undefined) throw new UsageError('missing <service>');
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const { config, store } = await loadControllerInputs(values);
    const service = config.services.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (service === undefined) {
      process.stderr.write(`medlb: unknown service '${name}' (known: ${config.services.map((s) => s.name).join(', ')})\n`);
      return EXIT.usage;
    }
    if (service.mode !== 'failover' || service.failback !== 'manual') {
      process.stderr.write(`medlb: ${service.name} fails back by itself (mode ${service.mode}${service.mode === 'failover' ? ', failback automatic' : ''}): nothing to ask\n`);
      return EXIT.usage;
    }
    const at = new Date().toISOString();
    const by = operatorName();
    const request = (state: ControllerState): { next?: ControllerState; message: string } => {
      const stored = serviceState(state, service.name);
      const targets: readonly ResolvedTarget[] = withPersistedDiscovery(config, state).services.find((s) => s.name === service.name)?.targets ?? [];
      const first = targets.find((t) => !t.drained && stored.overrides[t.name] === undefined && stored.targets[healthKeyOf(t)]?.up === true);
      if (first === undefined) return { message: `no server of ${service.name} is up: nothing to fail back to` };
      if (stored.active === undefined || stored.active.name === first.name) return { message: `nothing pending: ${service.name} is on its first server ${first.name}` };
      const failbackRequest = { by, at, ...(values.reason !== undefined ? { reason: values.reason } : {}) };
      return {
        next: { ...state, services: { ...state.services, [service.name]: { ...stored, failbackRequest } } },
        message: `failback of ${service.name} from ${stored.active.name} to ${first.name} requested: the next round registers ${first.name}; ${stored.active.name} leaves once ${first.name} is healthy in ELB`,
      };
    };
    let outcome = request(await store.load());
    if (outcome.next) {
      try {
        await store.save(outcome.next);
      } catch (err) {
        if (!(err instanceof StateConflictError)) throw err;
        outcome = request(await store.load());
        if (outcome.next) await store.save(outcome.next);
      }
      await store.appendAudit([{ who: by, when: at, action: 'failback', service: service.name, target: '-', ...(values.reason !== undefined ? { reason: values.reason } : {}) }]);
    }
    writeOut(JSON.stringify({ action: 'failback', service: service.name, who: by, when: at, requested: outcome.next !== undefined, message: outcome.message }));
    return EXIT.ok;
  });
}
