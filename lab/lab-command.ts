/**
 * `medlb lab <site file>` — the site on this machine (site-lab.ts) — and `medlb lab stop|start <service>/<target>`,
 * which stop and start a stand-in real server of the running lab. The command lives in lab/ (bin/medlb.ts
 * routes to it) because lambda/ must not import the lab: nothing that plays AWS may reach the Lambda.
 *
 * While it runs it prints every registration change and up/down transition of the controller's rounds, and
 * reads commands on stdin (`stop S/T`, `start S/T`, `servers`, `help`, `quit`); Ctrl-C stops it. Exit 0 when
 * stopped; 2 for usage errors, a site that does not validate, a lab already running in the directory, or an
 * address or port that cannot be listened on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { RoundResult } from '../lambda/controller/round';
import { loadSiteFile, SiteFileError, SiteValidationError } from '../lib/site';
import { NoRunningLabError, requestLabAction, type LabControlAction } from './lab-control';
import { SiteLab } from './site-lab';

const USAGE = `usage: medlb lab <site file> [--dir DIR] [--speed N] [--prefix 127.0] [--port SITE=LOCAL]... [--server SITE-IP=LOCAL-IP]... [--registration-delay S]
       medlb lab stop|start <service>/<target> [--dir DIR]
  runs the site on this machine: the ELBv2 endpoint with loopback VIPs, stand-in real servers, and the
  controller's rounds at the site's interval; prints the address map and the medlb commands that work against it
  --dir DIR                  the lab directory: controller.json, state.json, lab.env, lab.json (default ./medlb-lab)
  --speed N                  model time N times faster than the clock: rounds, NLB checks and delays (default 1)
  --prefix A.B               first two octets of the lab's loopback addresses (default 127.0: 10.12.1.100 -> 127.0.1.100)
  --port SITE=LOCAL          the local port for a site port (default: 10000 + port below 1024, else the same)
  --server SITE-IP=LOCAL-IP  use your own server at LOCAL-IP (on the lab ports) instead of a stand-in
  --registration-delay S     model seconds before a new registration's NLB checks start (default 30; AWS: "a few minutes")
  stop|start <service>/<target>   stop (connections refused, open ones reset) or start a stand-in of the running lab
exit codes: 0 stopped (Ctrl-C, quit) or done; 2 usage error, invalid site, lab already running, address in use`;

const LAB_FILE = z.object({ pid: z.number() });

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        dir: { type: 'string' },
        speed: { type: 'string' },
        prefix: { type: 'string' },
        port: { type: 'string', multiple: true },
        server: { type: 'string', multiple: true },
        'registration-delay': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dir = resolve(values.dir ?? 'medlb-lab');
  const [first, ...rest] = positionals;
  if (first === 'stop' || first === 'start') {
    if (rest.length !== 1) return usageError(`medlb lab ${first} needs one <service>/<target>`);
    return control(dir, first, rest[0] ?? '');
  }
  if (first === undefined) return usageError('missing <site file>');
  if (rest.length > 0) return usageError(`unexpected argument '${rest[0] ?? ''}'`);
  const speed = Number(values.speed ?? '1');
  if (!(Number.isFinite(speed) && speed > 0 && speed <= 1000)) return usageError(`--speed must be a number above 0, at most 1000 (got ${values.speed ?? ''})`);
  const delay = Number(values['registration-delay'] ?? '30');
  if (!(Number.isInteger(delay) && delay >= 0 && delay <= 600)) return usageError(`--registration-delay must be whole seconds 0–600 (got ${values['registration-delay'] ?? ''})`);
  const prefix = values.prefix ?? '127.0';
  if (!/^127\.(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(prefix)) return usageError(`--prefix must be 127.N (a loopback /16), got ${prefix}`);
  const ports = pairs(values.port ?? [], '--port', /^\d{1,5}$/, /^\d{1,5}$/);
  const servers = pairs(values.server ?? [], '--server', /^\d{1,3}(\.\d{1,3}){3}$/, /^\d{1,3}(\.\d{1,3}){3}$/);
  if (typeof ports === 'string') return usageError(ports);
  if (typeof servers === 'string') return usageError(servers);
  const running = runningLab(dir);
  if (running !== undefined) {
    process.stderr.write(`medlb: a lab already runs for ${dir} (process ${running}); stop it first or give another --dir\n`);
    return 2;
  }
  let lab: SiteLab;
  try {
    const site = loadSiteFile(first);
    lab = await SiteLab.start({
      site,
      dir,
      speed,
      prefix,
      registrationDelaySeconds: delay,
      ports: new Map([...ports].map(([site, local]) => [Number(site), Number(local)])),
      servers,
      onRound: printRound,
      onError: (err) => process.stderr.write(`medlb lab: round failed: ${err instanceof Error ? err.message : String(err)}\n`),
    });
  } catch (err) {
    const message = err instanceof SiteValidationError || err instanceof SiteFileError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`medlb: ${message}\n`);
    return 2;
  }
  process.stdout.write(`${lab.describe()}\n\n`);
  return serve(lab);
}

/** Runs until Ctrl-C, SIGTERM or `quit`; stdin commands act on the stand-ins. */
async function serve(lab: SiteLab): Promise<number> {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  // stdin may be closed (a lab started in the background): then there are just no commands.
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    const [command, target] = line.trim().split(/\s+/);
    if (command === 'quit' || command === 'exit') stop();
    else if ((command === 'stop' || command === 'start') && target) {
      void lab.act(command, target).then((answer) => process.stdout.write(`${JSON.stringify(answer.body)}\n`));
    } else if (command === 'servers') process.stdout.write(`${JSON.stringify(lab.standInStates(), null, 2)}\n`);
    else if (command) process.stdout.write('commands: stop <service>/<target> | start <service>/<target> | servers | quit\n');
  });
  await stopped;
  input.close();
  process.stdout.write('medlb lab: stopping\n');
  await lab.close();
  return 0;
}

async function control(dir: string, action: LabControlAction, target: string): Promise<number> {
  try {
    const answer = await requestLabAction(dir, action, target);
    if (answer.status === 200) {
      process.stdout.write(`${JSON.stringify(answer.body)}\n`);
      return 0;
    }
    process.stderr.write(`medlb: ${typeof answer.body.error === 'string' ? answer.body.error : JSON.stringify(answer.body)}\n`);
    return 2;
  } catch (err) {
    if (!(err instanceof NoRunningLabError)) throw err;
    process.stderr.write(`medlb: ${err.message}\n`);
    return 2;
  }
}

/** One line per registration change and per up/down transition of a round. */
function printRound(result: RoundResult): void {
  const time = result.summary.startedAt.slice(11, 19);
  for (const transition of result.summary.transitions) {
    process.stdout.write(`${time} ${transition.service}/${transition.target} ${transition.action}${transition.reason ? `: ${transition.reason}` : ''}\n`);
  }
  for (const service of result.summary.services) {
    for (const action of service.actions) {
      const parts = [...(action.register.length > 0 ? [`register ${action.register.join(', ')}`] : []), ...(action.deregister.length > 0 ? [`deregister ${action.deregister.join(', ')}`] : [])];
      if (parts.length > 0) process.stdout.write(`${time} ${service.name}: ${parts.join('; ')}\n`);
    }
    if (service.error) process.stdout.write(`${time} ${service.name}: FAILED ${service.error}\n`);
  }
}

/** `A=B` values as a map; a string names the first bad one. */
function pairs(values: readonly string[], option: string, left: RegExp, right: RegExp): Map<string, string> | string {
  const map = new Map<string, string>();
  for (const value of values) {
    const [a, b, ...extra] = value.split('=');
    if (a === undefined || b === undefined || extra.length > 0 || !left.test(a) || !right.test(b)) return `${option} ${value}: expected ${option === '--port' ? 'SITE-PORT=LOCAL-PORT' : 'SITE-IP=LOCAL-IP'}`;
    map.set(a, b);
  }
  return map;
}

/** The process id of a lab still running for `dir`, if any. */
function runningLab(dir: string): number | undefined {
  const path = resolve(dir, 'lab.json');
  if (!existsSync(path)) return undefined;
  try {
    const { pid } = LAB_FILE.parse(JSON.parse(readFileSync(path, 'utf8')));
    process.kill(pid, 0);
    return pid;
  } catch {
    // Unreadable, or its process is gone: a lab that was killed leaves its lab.json behind.
    return undefined;
  }
}

function usageError(message: string): number {
  process.stderr.write(`medlb: ${message}\n${USAGE}\n`);
  return 2;
}
