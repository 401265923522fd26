/**
 * `medlb` command-line entry (docs/architecture.md#cli). Each command lives in its own module under lambda/cli and
 * exports `run(args): Promise<number>` returning the exit code; stdout carries only the command's output.
 */
type CommandModule = { run(args: string[]): Promise<number> };

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-return -- each command module is loaded on demand (loading them all costs every command the AWS SDK clients of the others); each exports run as CommandModule says, and test/cli/help.test.ts runs every command */
const COMMANDS: Record<string, () => CommandModule> = {
  probe: () => require('../lambda/cli/probe'),
  reconcile: () => require('../lambda/cli/reconcile'),
  status: () => require('../lambda/cli/status'),
  drain: () => require('../lambda/cli/override'),
  halt: () => require('../lambda/cli/override'),
  online: () => require('../lambda/cli/override'),
  diff: () => require('../lambda/cli/diff'),
  audit: () => require('../lambda/cli/audit'),
  run: () => require('../lambda/cli/run'),
  failback: () => require('../lambda/cli/failback'),
  preflight: () => require('../lambda/cli/preflight'),
  // The lab plays AWS on this machine; it lives in lab/, which lambda/ must never import.
  lab: () => require('../lab/lab-command'),
  pin: () => require('../lambda/cli/pin'),
  unpin: () => require('../lambda/cli/pin'),
};
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-return -- only COMMANDS loads modules by name */

const USAGE = `usage: medlb <command> [options]
commands:
  probe <protocol> <host>:<port> [options]     check one real server (tcp|dicom|hl7|xds|http|https)
  reconcile (--config F --state-file S | --stack NAME) [--dry-run]   one round from this machine
  run --stack NAME --rounds N                  N rounds now by the deployed controller (Lambda Invoke)
  status (--config F --state-file S | --stack NAME) [--wide] [--json]
  drain|halt|online <service>/<target> (--config F --state-file S | --stack NAME) [--reason TEXT] [--force]
  drain|halt <service>/<target> --from TIME --until TIME --reason TEXT ...   a maintenance window (scheduled drain or halt)
  pin <service>/<target> --until TIME --reason TEXT ...   keep a server in service whatever its check says
  unpin <service>/<target> (--config F --state-file S | --stack NAME)   end a pin now
  audit (--config F --state-file S | --stack NAME) [--service S] [--target T] [--since TIME] [--until TIME] [--json]   the audit trail, oldest first
  failback <service> (--config F --state-file S | --stack NAME) [--reason TEXT]   manual failback of a failover service
  preflight (<site file> | --stack NAME) [--json] [--wide]   every check once against every real server, before or after deploy
  lab <site file> [--dir D] [--speed N] | lab stop|start <service>/<target>   the site on this machine: loopback VIPs, stand-in servers, the controller's rounds
  diff (--template F | --site F) (--stack NAME | --deployed F) [--allow-replacement]   before cdk deploy: refuse replacing what holds traffic
commands that talk to AWS take --region R and --profile P, as the AWS CLI does; \`medlb <command> --help\` for details
exit codes: 0 ok / healthy; 1 unhealthy (probe, preflight), a service failed (reconcile) or a replacement found (diff); 2 usage or input error, or a target group status cannot read`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!command) {
    // Not asked for: the usage is an error message here, so it goes to stderr with exit 2.
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const load = COMMANDS[command];
  if (!load) {
    process.stderr.write(`medlb: unknown command '${command}'\n${USAGE}\n`);
    return 2;
  }
  // Override commands need to know which action was asked for.
  const args = ['drain', 'halt', 'online', 'pin', 'unpin'].includes(command) ? [command, ...rest] : rest;
  return load().run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`medlb: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
