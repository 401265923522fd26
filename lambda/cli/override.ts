/**
 * `medlb drain|halt|online <service>/<target> --config F --state-file S [--reason TEXT]`: records an operator
 * override (who: `MEDLB_OPERATOR` or the OS user; when; why) in the state and the audit trail. The next round
 * applies it: drain and halt both deregister (open connections may finish within the target group's
 * deregistration delay, then are closed; ELB has no instant per-target cut-off), online clears either.
 * Prints one JSON line describing what was recorded. Exit 0; 2 for usage errors, an unknown service or
 * target, and an unreadable config or state.
 */
import { StateConflictError } from '../reconcile/ports';
import { withPersistedDiscovery } from '../reconcile/discovery';
import type { ControllerState } from '../reconcile/state';
import { applyOperatorAction, OPERATOR_ACTIONS, parseTargetPath, UnknownTargetError, type OperatorAction } from '../reconcile/overrides';
import { COMMON_OPTIONS, EXIT, operatorName, parseCommandArgs, runCommand, UsageError, writeOut } from './common';
import { loadControllerInputs } from './stack';

/** What the next round does with each action (make before break: docs/architecture.md § Make before break). */
const WHAT_HAPPENS_NEXT: Readonly<Record<OperatorAction, string>> = {
  drain:
    'the next round registers a replacement where one is needed; the server stays registered until another wanted server is healthy in ELB, ' +
    'then takes no new connections; open ones may finish within the deregistration delay (`medlb status` shows what it is waiting for)',
  halt: 'the next round deregisters it at once, even before a replacement is healthy; open connections may finish within the deregistration delay',
  online: 'the next round registers it once it passes its checks; it takes new connections once healthy in ELB',
};

const USAGE = 'usage: medlb drain|halt|online <service>/<target> (--config controller.json --state-file state.json | --stack NAME) [--reason TEXT]';

/**
 * @public The command: bin/medlb.ts loads this module by name and calls `run`. `args[0]` is the action (the
 * router passes the command name first).
 */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const [action, ...rest] = args;
    if (!OPERATOR_ACTIONS.includes(action as OperatorAction)) throw new UsageError(`unknown operator action '${action ?? ''}'`);
    const { values, positionals } = parseCommandArgs(rest, { ...COMMON_OPTIONS, reason: { type: 'string' } }, true);
    if (values.help) {
      process.stderr.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'missing <service>/<target>' : `unexpected argument '${positionals[1]}'`);
    }
    const path = parseTargetPath(positionals[0]!);
    if (!path) throw new UsageError(`'${positionals[0]}' is not <service>/<target>`);
    const { config, store } = await loadControllerInputs(values);
    const request = {
      action: action as OperatorAction,
      service: path.service,
      target: path.target,
      by: operatorName(),
      at: new Date(),
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
    };
    // Discovered targets are named from the persisted set: no EC2 call.
    const apply = (state: ControllerState) => applyOperatorAction(withPersistedDiscovery(config, state), state, request);
    try {
      let outcome = apply(await store.load());
      try {
        if (outcome.changed) await store.save(outcome.state);
      } catch (err) {
        // A round saved meanwhile: apply the request to the fresh state once more.
        if (!(err instanceof StateConflictError)) throw err;
        outcome = apply(await store.load());
        if (outcome.changed) await store.save(outcome.state);
      }
      await store.appendAudit([outcome.audit]);
      writeOut(
        JSON.stringify({
          ...outcome.audit,
          changed: outcome.changed,
          ...(outcome.previous ? { previous: outcome.previous } : {}),
          ...(outcome.changed ? { next: WHAT_HAPPENS_NEXT[request.action] } : {}),
        }),
      );
      return EXIT.ok;
    } catch (err) {
      if (err instanceof UnknownTargetError) {
        process.stderr.write(`medlb: ${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  });
}
