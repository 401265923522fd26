/**
 * `npm run bench -- traffic`: the traffic scenarios of issue 9 item 6 as MODEL results — the lab's ELBv2
 * endpoint with its data plane in scaled time (lab/), a modality opening a new C-ECHO association every 50 ms
 * and an MLLP sender with a message every 50 ms through the VIPs, stand-in servers on 127.0.0.x. Times are
 * model seconds (wall time x scale), observed by polling DescribeTargetHealth (resolution about 0.5 s).
 * The controller-driven operator and replacement scenarios are those of test/traffic/scenarios.ts (the real
 * `medlb drain|online`, a new config file, the lab's EC2 endpoint).
 * Exit 1 when a planned scenario fails an association or loses a message, or a control experiment fails none.
 */
import { cpus, loadavg } from 'node:os';
import { ControllerLoop, TrafficLab, type Pool, type TrafficReport } from '../test/traffic/harness';
import { configReplacement, drainActiveThenOnline, ec2Replacement, rollingPatch, type ScenarioResult } from '../test/traffic/scenarios';

const SCALE = 50;
const ASSUMPTIONS = [
  `scale ${SCALE} (1 wall ms = ${SCALE} model ms); registration delay 30 s before the NLB's first check (AWS: "a few minutes" — a lower bound here)`,
  'NLB TCP check every 5 s, timeout 4 s, healthy 2, unhealthy 2 (the stack\'s setting); deregistration delay 120 s, then connections closed',
  'unhealthy targets drain for the deregistration delay instead of being reset (the stack\'s setting); controller rounds every 10 s, rise 2, fall 2',
  'while a switch waits, the controller re-reads the waiting groups every 2 s; new connections go to healthy targets only, round-robin (AWS: flow hash)',
  'the controller\'s own work is scaled too (a round of 100-300 wall ms is 5-15 model s), so controller-side times are upper bounds',
  'operator scenarios run the real `medlb drain|online` between two rounds; the operator repeats a refused drain every 2 s and stops a drained server only once ELB has drained it',
  'a config change is read by the next round (as a deploy writes the Lambda\'s config); an EC2 replacement starts the new instance and terminates the old one in one step, the old server answering until its target has left (a lifecycle hook that waits for it)',
  'times are from the moment the change was asked for: "old leaves" = the old server deregistered (the change completed for new connections), "old drained" = its deregistration delay over (open connections closed)',
];

interface Row {
  readonly scenario: string;
  readonly planned: boolean;
  readonly report: TrafficReport;
  /** Named durations in model seconds. */
  readonly times: Record<string, number>;
}

async function withLab<T>(run: (lab: TrafficLab) => Promise<T>): Promise<T> {
  const lab = await TrafficLab.start({ scale: SCALE });
  try {
    return await run(lab);
  } finally {
    await lab.close();
  }
}

const seconds = (lab: TrafficLab, from: number) => Math.round((lab.clock.now() - from) / 100) / 10;

/** Waits for every event at once, recording when each was first seen (model seconds since `from`). */
async function measure(lab: TrafficLab, from: number, events: Record<string, () => Promise<void>>): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  await Promise.all(Object.entries(events).map(async ([label, event]) => {
    await event();
    times[label] = seconds(lab, from);
  }));
  return times;
}

/** A test-driven move of a balanced pool from A to B, in the given order. */
function move(makeBeforeBreak: boolean): Promise<Row> {
  return withLab(async (lab) => {
    const pool = await lab.pool(makeBeforeBreak ? 'mbb' : 'bbm', ['127.0.0.2', '127.0.0.3']);
    await pool.register('127.0.0.2');
    await pool.waitFor('127.0.0.2', 'healthy');
    const traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);
    const start = lab.clock.now();
    const times: Record<string, number> = {};
    if (makeBeforeBreak) {
      await pool.register('127.0.0.3');
      await pool.waitFor('127.0.0.3', 'healthy');
      times['new serving'] = seconds(lab, start);
      await pool.deregister('127.0.0.2');
      times['old leaves'] = seconds(lab, start);
    } else {
      await pool.deregister('127.0.0.2');
      times['old leaves'] = seconds(lab, start);
      await pool.register('127.0.0.3');
      await pool.waitFor('127.0.0.3', 'healthy');
      times['new serving'] = seconds(lab, start);
    }
    await pool.waitFor('127.0.0.2', 'gone');
    times['old drained'] = seconds(lab, start);
    await lab.clock.sleep(10_000);
    return { scenario: makeBeforeBreak ? 'move A→B, make before break (test-driven)' : 'move A→B, break before make (control)', planned: makeBeforeBreak, report: await traffic.stop(), times };
  });
}

/** A controller-driven failback of a failover service to its recovered primary. */
function failback(makeBeforeBreak: boolean): Promise<Row> {
  return withLab(async (lab) => {
    const [primary, backup] = ['127.0.0.6', '127.0.0.7'];
    const pool = await lab.pool('fb', [primary, backup]);
    await pool.stopServer(primary);
    const controller = controllerFor(lab, pool, makeBeforeBreak);
    try {
      await pool.waitFor(backup, 'healthy');
      const traffic = pool.startTraffic();
      await lab.clock.sleep(10_000);
      const start = lab.clock.now();
      await pool.startServer(primary);
      const times = await measure(lab, start, {
        'recovery → serving': () => pool.waitFor(primary, 'healthy'),
        'old leaves': () => pool.waitFor(backup, ['draining', 'gone']),
        'old drained': () => pool.waitFor(backup, 'gone'),
      });
      await lab.clock.sleep(10_000);
      return { scenario: `failback (controller, rule 6a ${makeBeforeBreak ? 'on' : 'off: control'})`, planned: makeBeforeBreak, report: await traffic.stop(), times };
    } finally {
      await controller.stop();
    }
  });
}

/** A controller-driven failover after the active server crashes. */
function crash(): Promise<Row> {
  return withLab(async (lab) => {
    const [active, backup] = ['127.0.0.10', '127.0.0.11'];
    const pool = await lab.pool('crash', [active, backup]);
    const controller = controllerFor(lab, pool, true);
    try {
      await pool.waitFor(active, 'healthy');
      const traffic = pool.startTraffic();
      await lab.clock.sleep(10_000);
      const start = lab.clock.now();
      await pool.stopServer(active);
      const times = await measure(lab, start, {
        'failure → deregistered': () => pool.waitFor(active, ['draining', 'gone']),
        'failure → backup serving': () => pool.waitFor(backup, 'healthy'),
      });
      await lab.clock.sleep(20_000);
      const report = await traffic.stop();
      const window = report.dicom.failureWindow;
      if (window) times['failure window'] = Math.round(((window.toMs - window.fromMs) * SCALE) / 100) / 10;
      return { scenario: 'crash of the active server (controller, unplanned)', planned: false, report, times };
    } finally {
      await controller.stop();
    }
  });
}

/** A row of a controller-driven scenario of test/traffic/scenarios.ts. */
function rowOf(scenario: string, planned: boolean, result: ScenarioResult): Row {
  return { scenario, planned, report: result.report, times: result.times };
}

/** (a) drain of the active server of a failover service and (b) online of it: two rows from one run. */
async function drainAndOnline(): Promise<Row[]> {
  return withLab(async (lab) => {
    const { drain, online } = await drainActiveThenOnline(lab, { name: 'drain', hosts: ['127.0.0.20', '127.0.0.21', '127.0.0.22'], thenOnline: true });
    if (!online) throw new Error('drainActiveThenOnline: asked for the online phase, got none');
    return [
      rowOf('`medlb drain` of the active server (failover; controller, rule 6a on)', true, drain),
      rowOf('`medlb online` of the drained server (failback; controller, rule 6a on)', true, online),
    ];
  });
}

function controllerFor(lab: TrafficLab, pool: Pool, makeBeforeBreak: boolean): ControllerLoop {
  return new ControllerLoop(lab, { intervalSeconds: 10, services: [pool.controllerService('SVC', 'failover')] }, { makeBeforeBreak }).start();
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const scenarios: (() => Promise<Row | Row[]>)[] = [
    () => move(true),
    () => move(false),
    () => failback(true),
    () => failback(false),
    drainAndOnline,
    () => withLab(async (lab) => rowOf('`medlb drain` of the active server (failover; rule 6a off: control)', false, (await drainActiveThenOnline(lab, { name: 'drain-off', hosts: ['127.0.0.23', '127.0.0.24', '127.0.0.25'], thenOnline: false, makeBeforeBreak: false })).drain)),
    () => withLab(async (lab) => rowOf('rolling patch of a balanced pair (drain, stop, start, online A; then B; controller)', true, await rollingPatch(lab, { name: 'rolling', hosts: ['127.0.0.26', '127.0.0.27', '127.0.0.28'] }))),
    () => withLab(async (lab) => rowOf('rolling patch (rule 6a off: control)', false, await rollingPatch(lab, { name: 'rolling-off', hosts: ['127.0.0.42', '127.0.0.43', '127.0.0.44'], makeBeforeBreak: false }))),
    () => withLab(async (lab) => rowOf('server address replaced in the config (failover primary; controller, rule 6a on)', true, await configReplacement(lab, { name: 'cfg', hosts: ['127.0.0.30', '127.0.0.31', '127.0.0.32'] }))),
    () => withLab(async (lab) => rowOf('server address replaced in the config (rule 6a off: control)', false, await configReplacement(lab, { name: 'cfg-off', hosts: ['127.0.0.33', '127.0.0.34', '127.0.0.35'], makeBeforeBreak: false }))),
    () => withLab(async (lab) => rowOf('EC2 instance replaced (discovery by tag, one server; controller, rule 6a on)', true, await ec2Replacement(lab, { name: 'ec2', hosts: ['127.0.0.36', '127.0.0.37', '127.0.0.38'] }))),
    () => withLab(async (lab) => rowOf('EC2 instance replaced (rule 6a off: control)', false, await ec2Replacement(lab, { name: 'ec2-off', hosts: ['127.0.0.39', '127.0.0.40', '127.0.0.41'], makeBeforeBreak: false }))),
    () => crash(),
  ];
  const startedAt = new Date();
  for (const scenario of scenarios) rows.push(...[await scenario()].flat());

  process.stdout.write(`Run ${startedAt.toISOString()}; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end; Node ${process.version}\n`);
  process.stdout.write('Model results (lab data plane, not AWS measurements). Assumptions:\n');
  for (const line of ASSUMPTIONS) process.stdout.write(`- ${line}\n`);
  process.stdout.write('\n| scenario | associations | failed | client timeouts | HL7 sent / acked / unacked | HL7 reconnects | times (model s) |\n|---|---:|---:|---:|---|---:|---|\n');
  let missed = 0;
  for (const { scenario, planned, report, times } of rows) {
    const { dicom, mllp } = report;
    const timeText = Object.entries(times).map(([k, v]) => `${k} ${v}`).join('; ');
    process.stdout.write(
      `| ${scenario} | ${dicom.attempts} | ${dicom.failed} | ${dicom.timeouts} | ${mllp.generated} / ${mllp.acknowledged} / ${mllp.unacknowledged} | ${mllp.connections - 1} | ${timeText} |\n`,
    );
    const ok = planned ? dicom.failed === 0 && mllp.unacknowledged === 0 : scenario.includes('control') ? dicom.failed > 0 : true;
    if (!ok) {
      missed += 1;
      process.stdout.write(`  ^ target missed: ${planned ? 'a planned change must fail nothing' : 'the control experiment must show failures'}\n`);
    }
  }
  process.exit(missed > 0 ? 1 : 0);
}

void main();
