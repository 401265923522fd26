/**
 * `medlb drain|halt|online <service>/<target> --config F --state-file S [--reason TEXT] [--force] [--operator NAME]`: records an
 * operator override (who: the caller's AWS principal from STS beside a display name — `--operator`,
 * `MEDLB_OPERATOR` or the OS user —, or `identity: unverified` without credentials; when; why; the config
 * version) in the state and the audit trail. The next round
 * applies it: drain and halt both deregister (open connections may finish within the target group's
 * deregistration delay, then are closed; ELB has no instant per-target cut-off), online clears either.
 * Prints one JSON line describing what was recorded. Names match regardless of case.
 * Safety net: `halt` needs `--reason` (it is an emergency stop: the audit must say why), and a drain or halt
 * that would leave the service with nothing to serve — its last serving server, or the active server of a
 * failover service with no healthy standby — is refused unless `--force` is given (overrides.ts overrideRisk).
 * Maintenance windows: `drain|halt ... --from TIME --until TIME` schedules the drain or halt instead
 * (windows.ts; the controller applies it while in force, docs/architecture.md#pins-and-maintenance-windows), with
 * the same `--force` guard judged on the state at the request. `online` also ends a window in force for the
 * target (and `--cancel-windows` every window of it not ended yet).
 * Exit 0; 2 for usage errors (bad or reversed window times), an unknown service or target (with a did-you-mean),
 * a refused request, and an unreadable config or state.
 */
import { withPersistedDiscovery } from '../reconcile/discovery';
import type { ControllerState } from '../reconcile/state';
import { applyOperatorAction, OPERATOR_ACTIONS, OverrideRefusedError, parseTargetPath, UnknownTargetError, type OperatorAction } from '../reconcile/overrides';
import { awsOptionsOf, COMMON_OPTIONS, EXIT, operatorName, parseCommandArgs, runCommand, UsageError, writeOut } from './common';
import { loadControllerInputs } from './stack';
import { createStsClient, resolveCallerIdentity, type CallerIdentity } from '../adapters/caller-identity';
import { configVersion } from '../../contract/config-version';
import { cancelWindows, parseZonedTime, scheduleWindow, WindowRequestError } from '../reconcile/windows';
import type { AuditRecord } from '../reconcile/state';
import { updateState } from './state-update';

/** The audit fields of the caller's identity (docs: README § Audit trail and trust). */
function auditIdentity(caller: CallerIdentity) {
  return caller.identity === 'verified' ? { identity: caller.identity, principal: caller.principal } : { identity: caller.identity };
}

/** What the next round does with each action (make before break: docs/architecture.md § Make before break). */
const WHAT_HAPPENS_NEXT: Readonly<Record<OperatorAction, string>> = {
  drain:
    'the next round registers a replacement where one is needed; the server stays registered until another wanted server is healthy in ELB, ' +
    'then takes no new connections; open ones may finish within the deregistration delay (`medlb status` shows what it is waiting for)',
  halt: 'the next round deregisters it at once, even before a replacement is healthy; open connections may finish within the deregistration delay',
  online: 'the next round registers it once it passes its checks; it takes new connections once healthy in ELB',
};

const USAGE = `usage: medlb drain|halt|online <service>/<target> (--config controller.json --state-file state.json | --stack NAME) [--reason TEXT] [--force] [--operator NAME]
       medlb drain|halt <service>/<target> --from TIME --until TIME --reason TEXT ...   a maintenance window
  drain     planned removal: leaves once a replacement is healthy in ELB (make before break)
  halt      emergency stop, at once; --reason is required
  online    clears a drain or halt, and ends a maintenance window in force for the server
  --from TIME --until TIME   schedule the drain or halt as a maintenance window: the controller applies it at
            --from and clears it at --until (the server returns after rise); ISO 8601 with a zone, e.g.
            2026-11-28T22:00:00Z or 2026-11-28T23:00:00+01:00; an explicit drain, halt or pin in force wins over it
  --cancel-windows   with online: also cancel every scheduled window of the server
  --force   drain or halt even the last serving server (or a failover service's active one with no healthy standby);
            for a window judged on the state now, not at its start
  --operator NAME   display name recorded beside the verified AWS principal (default MEDLB_OPERATOR, else the OS user)
  --region R, --profile P   with --stack, as in the AWS CLI
names match regardless of case. exit codes: 0 recorded; 2 usage error, unknown name, refused without --force, unreadable input`;

/**
 * @public The command: bin/medlb.ts loads this module by name and calls `run`. `args[0]` is the action (the
 * router passes the command name first).
 */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const [action, ...rest] = args;
    const operatorAction = OPERATOR_ACTIONS.find((known) => known === action);
    if (operatorAction === undefined) throw new UsageError(`unknown operator action '${action ?? ''}'`);
    const { values, positionals } = parseCommandArgs(
      rest,
      {
        ...COMMON_OPTIONS,
        reason: { type: 'string' },
        force: { type: 'boolean' },
        operator: { type: 'string' },
        from: { type: 'string' },
        until: { type: 'string' },
        'cancel-windows': { type: 'boolean' },
      },
      true,
    );
    if (values.help) {
      writeOut(USAGE);
      return EXIT.ok;
    }
    const [pathText, extra] = positionals;
    if (pathText === undefined) throw new UsageError('missing <service>/<target>');
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const path = parseTargetPath(pathText);
    if (!path) throw new UsageError(`'${pathText}' is not <service>/<target>`);
    if (action === 'halt' && !values.reason?.trim()) throw new UsageError('halt needs --reason TEXT: it is an emergency stop, and the audit must say why');
    const scheduled = values.from !== undefined || values.until !== undefined;
    if (scheduled && action === 'online') throw new UsageError('online takes no --from/--until: it acts now (and ends a window in force)');
    if (values['cancel-windows'] === true && action !== 'online') throw new UsageError('--cancel-windows goes with online');
    if (scheduled) {
      if (values.from === undefined || values.until === undefined) throw new UsageError('a maintenance window needs both --from TIME and --until TIME');
      if (!values.reason?.trim()) throw new UsageError('a maintenance window needs --reason TEXT: the audit and `medlb status` show it until it ends');
    }
    const { config, store } = await loadControllerInputs(values);
    // Before anything is written: a caller STS refuses changes nothing.
    const caller = auditIdentity(await resolveCallerIdentity(createStsClient(awsOptionsOf(values))));
    const request = {
      action: operatorAction,
      service: path.service,
      target: path.target,
      by: values.operator ?? operatorName(),
      at: new Date(),
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
      force: values.force === true,
    };
    const stamp = (record: AuditRecord): AuditRecord => ({ ...record, ...caller, configVersion: configVersion(config) });
    try {
      if (values.from !== undefined && values.until !== undefined && request.action !== 'online') {
        const window = { ...request, action: request.action, from: parseZonedTime('from', values.from), until: parseZonedTime('until', values.until) };
        const outcome = await updateState(store, (state: ControllerState) => scheduleWindow(withPersistedDiscovery(config, state), state, window));
        const audit = outcome.audit.map(stamp);
        await store.appendAudit(audit);
        writeOut(
          JSON.stringify({
            ...audit[0],
            changed: outcome.changed,
            window: outcome.ids[0],
            next: `the controller ${action === 'drain' ? 'drains' : 'halts'} the server at ${window.from.toISOString()} (the first round from then) and lets it back at ${window.until.toISOString()} once it passes its checks (rise); \`medlb status\` lists the window, \`medlb online\` ends it early`,
          }),
        );
        return EXIT.ok;
      }
      // Discovered targets are named from the persisted set: no EC2 call.
      const outcome = await updateState(store, (state: ControllerState) => {
        const applied = applyOperatorAction(withPersistedDiscovery(config, state), state, request);
        const none: AuditRecord[] = [];
        if (request.action !== 'online') return { ...applied, windows: none };
        // online means "in service now": it also ends a window in force for the server.
        const ended = cancelWindows(withPersistedDiscovery(config, state), applied.state, request, values['cancel-windows'] === true ? 'all' : 'in-force');
        return { ...applied, state: ended.state, changed: applied.changed || ended.changed, windows: ended.audit };
      });
      const audit = stamp(outcome.audit);
      await store.appendAudit([audit, ...outcome.windows.map(stamp)]);
      writeOut(
        JSON.stringify({
          ...audit,
          changed: outcome.changed,
          ...(outcome.previous ? { previous: outcome.previous } : {}),
          ...(outcome.windows.length > 0 ? { windowsEnded: outcome.windows.map((w) => w.reason) } : {}),
          ...(outcome.changed ? { next: WHAT_HAPPENS_NEXT[request.action] } : {}),
        }),
      );
      return EXIT.ok;
    } catch (err) {
      if (err instanceof UnknownTargetError || err instanceof OverrideRefusedError || err instanceof WindowRequestError) {
        process.stderr.write(`medlb: ${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  });
}
