/**
 * `medlb reconcile --config F --state-file S [--dry-run]`: one controller round (docs/architecture.md#reconcile-rules) from a
 * terminal, printing the JSON round summary. Exit 0; 1 when a service failed; 2 for usage errors and an
 * unreadable config or state.
 */
import { runRound } from '../controller/round';
import { ClientCertificateCache, withClientCertificates } from '../controller/client-certificates';
import { createSecretsManagerClient, SecretsManagerClientCertificates } from '../adapters/secrets-manager-client-certificates';
import { probe } from '../probes';
import { awsOptionsOf, COMMON_OPTIONS, EXIT, openDiscovery, openElb, openFallbackRules, parseCommandArgs, runCommand, stderrLogger, UsageError, writeOut } from './common';
import { loadControllerInputs } from './stack';

const USAGE = `usage: medlb reconcile (--config controller.json --state-file state.json | --stack NAME) [--dry-run] [--region R] [--profile P]
  one controller round from this machine, for local files and the lab; against a deployed stack use
  \`medlb run --stack NAME --rounds N\` (the deployed controller's own rounds: no second writer)
exit codes: 0 done; 1 a service failed; 2 usage or input error`;

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const { values, positionals } = parseCommandArgs(args, { ...COMMON_OPTIONS, 'dry-run': { type: 'boolean' } }, true);
    if (values.help) {
      writeOut(USAGE);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const { config, store } = await loadControllerInputs(values);
    const result = await runRound({
      config,
      stateStore: store,
      elb: openElb(awsOptionsOf(values)),
      ...(config.services.some((service) => service.discovery !== undefined) ? { discovery: openDiscovery(awsOptionsOf(values)) } : {}),
      ...(config.services.some((service) => service.fallbackRuleArn !== undefined) ? { fallbackRules: openFallbackRules(awsOptionsOf(values)) } : {}),
      ...(config.services.some((service) => service.check.clientCertificate !== undefined)
        ? { probe: withClientCertificates(probe, new ClientCertificateCache({ source: new SecretsManagerClientCertificates(createSecretsManagerClient(awsOptionsOf(values))) })) }
        : {}),
      dryRun: values['dry-run'] === true,
      logger: stderrLogger('reconcile'),
    });
    writeOut(JSON.stringify(result.fallback.length > 0 ? { ...result.summary, fallbackPages: result.fallback } : result.summary, null, 2));
    return result.failed ? EXIT.serviceFailed : EXIT.ok;
  });
}
