/**
 * `medlb pin <service>/<target> --until TIME --reason TEXT` and `medlb unpin <service>/<target> [--reason TEXT]`
 * (`--config F --state-file S` or `--stack NAME`, `--operator NAME`): keeps a server in service whatever its
 * check says — for a check that is wrong during an outage — until TIME, at most the site's
 * `controller.maxPinHours` (default 12 h) from now. The next round counts the pinned server as passing; an
 * explicit drain or halt still wins (docs/architecture.md#pins-and-maintenance-windows). Audited (set and
 * removal here, expiry by the round that sees it), shown in `medlb status`, alarmed while in force
 * (docs/operating.md#pinned).
 * TIME: ISO 8601 with a zone, or a duration from now such as `90m`, `4h`, `2h30m`.
 * Exit 0 recorded; 2 usage errors (a missing reason, a time that is not in the future or beyond the limit),
 * an unknown service or target (with a did-you-mean), an unreadable config or state.
 */
import { withPersistedDiscovery } from '../reconcile/discovery';
import { UnknownTargetError, parseTargetPath } from '../reconcile/overrides';
import { applyPinRequest, maxPinHoursOf, PinRequestError } from '../reconcile/pins';
import { parseZonedTime, WindowRequestError } from '../reconcile/windows';
import { createStsClient, resolveCallerIdentity } from '../adapters/caller-identity';
import { configVersion } from '../../contract/config-version';
import { awsOptionsOf, COMMON_OPTIONS, EXIT, operatorName, parseCommandArgs, runCommand, UsageError, writeOut } from './common';
import { loadControllerInputs } from './stack';
import { updateState } from './state-update';

const USAGE = `usage: medlb pin <service>/<target> --until TIME --reason TEXT (--config controller.json --state-file state.json | --stack NAME) [--operator NAME]
       medlb unpin <service>/<target> (--config controller.json --state-file state.json | --stack NAME) [--reason TEXT] [--operator NAME]
  pin       keep the server in service whatever its check says (a wrong check during an outage), until TIME;
            an explicit drain or halt still wins; the check decides again when the pin ends
  unpin     end a pin now
  TIME      ISO 8601 with a zone (2026-11-28T06:00:00Z, 2026-11-28T07:00:00+01:00) or a duration from now (90m, 4h, 2h30m);
            at most the site's controller.maxPinHours (default 12 h) from now
  --region R, --profile P   with --stack, as in the AWS CLI
exit codes: 0 recorded; 2 usage error, unknown name, unreadable input`;

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?$/;

/** `--until`: ISO 8601 with a zone, or `<h>h<m>m` from `now`. */
function parseUntil(text: string, now: Date): Date {
  const duration = DURATION.exec(text);
  if (duration !== null && text !== '') {
    return new Date(now.getTime() + (Number(duration[1] ?? 0) * 60 + Number(duration[2] ?? 0)) * 60_000);
  }
  return parseZonedTime('until', text);
}

/** @public The command: bin/medlb.ts loads this module by name and calls `run`; `args[0]` is `pin` or `unpin`. */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const [action, ...rest] = args;
    if (action !== 'pin' && action !== 'unpin') throw new UsageError(`unknown action '${action ?? ''}'`);
    const { values, positionals } = parseCommandArgs(rest, { ...COMMON_OPTIONS, until: { type: 'string' }, reason: { type: 'string' }, operator: { type: 'string' } }, true);
    if (values.help) {
      writeOut(USAGE);
      return EXIT.ok;
    }
    const [spec, extra] = positionals;
    if (spec === undefined) throw new UsageError('missing <service>/<target>');
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const path = parseTargetPath(spec);
    if (!path) throw new UsageError(`'${spec}' is not <service>/<target>`);
    const at = new Date();
    try {
      if (action === 'pin') {
        if (!values.reason?.trim()) throw new UsageError('pin needs --reason TEXT: it overrules the health check, and the audit must say why');
        if (values.until === undefined) throw new UsageError('pin needs --until TIME: every pin ends (at most the site\'s controller.maxPinHours, default 12 h)');
      } else if (values.until !== undefined) {
        throw new UsageError('unpin takes no --until');
      }
      const until = values.until !== undefined ? parseUntil(values.until, at) : undefined;
      const { config, store } = await loadControllerInputs(values);
      const caller = await resolveCallerIdentity(createStsClient(awsOptionsOf(values)));
      const identity = caller.identity === 'verified' ? { identity: caller.identity, principal: caller.principal } : { identity: caller.identity };
      const request = {
        action,
        service: path.service,
        target: path.target,
        by: values.operator ?? operatorName(),
        at,
        ...(values.reason !== undefined ? { reason: values.reason } : {}),
        ...(until !== undefined ? { until } : {}),
      } as const;
      const outcome = await updateState(store, (state) => applyPinRequest(withPersistedDiscovery(config, state), state, request));
      const audit = { ...outcome.audit, ...identity, configVersion: configVersion(config) };
      if (outcome.changed) await store.appendAudit([audit]);
      const next =
        action === 'unpin'
          ? outcome.changed
            ? 'the check decides again from the next round: the server goes down after `fall` failed checks'
            : 'nothing was pinned'
          : outcome.outrankedBy !== undefined
            ? `recorded, but the ${outcome.outrankedBy.action} by ${outcome.outrankedBy.by} wins until \`medlb online\`; the pin then keeps the server passing until ${audit.until}`
            : `the next round counts the server as passing until ${audit.until} (at most ${maxPinHoursOf(config)} h); the PinnedTargets alarm stays raised meanwhile`;
      writeOut(JSON.stringify({ ...audit, changed: outcome.changed, ...(outcome.previous ? { previous: outcome.previous } : {}), next }));
      return EXIT.ok;
    } catch (err) {
      if (err instanceof UnknownTargetError || err instanceof PinRequestError || err instanceof WindowRequestError) {
        process.stderr.write(`medlb: ${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  });
}
