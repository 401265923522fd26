/**
 * `npm run bench -- traffic`: the traffic scenarios of issue 9 item 6 as MODEL results — the lab's ELBv2
 * endpoint with its data plane in scaled time (lab/), a modality opening a new C-ECHO association every 50 ms
 * and an MLLP sender with a message every 50 ms through the VIPs, stand-in servers on 127.0.0.x. Times are
 * model seconds (wall time x scale), observed by polling DescribeTargetHealth (resolution about 0.5 s).
 * Exit 1 when a planned scenario fails an association or loses a message, or a control experiment fails none.
 */
import { ControllerLoop, TrafficLab, type Pool, type TrafficReport } from '../test/traffic/harness';

const SCALE = 50;
const ASSUMPTIONS = [
  `scale ${SCALE} (1 wall ms = ${SCALE} model ms); registration delay 30 s before the NLB's first check (AWS: "a few minutes" — a lower bound here)`,
  'NLB TCP check every 5 s, timeout 4 s, healthy 2, unhealthy 2 (the stack\'s setting); deregistration delay 120 s, then connections closed',
  'unhealthy targets drain for the deregistration delay instead of being reset (the stack\'s setting); controller rounds every 10 s, rise 2, fall 2',
  'while a switch waits, the controller re-reads the waiting groups every 2 s; new connections go to healthy targets only, round-robin (AWS: flow hash)',
  'the controller\'s own work is scaled too (a round of 100-300 wall ms is 5-15 model s), so controller-side times are upper bounds',
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
  return Object.fromEntries(Object.keys(events).map((label) => [label, times[label]!]));
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
        'old leaves': () => pool.waitFor(backup, 'draining'),
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
        'failure → deregistered': () => pool.waitFor(active, 'draining'),
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

function controllerFor(lab: TrafficLab, pool: Pool, makeBeforeBreak: boolean): ControllerLoop {
  return new ControllerLoop(lab, { intervalSeconds: 10, services: [pool.controllerService('SVC', 'failover')] }, { makeBeforeBreak }).start();
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const scenario of [() => move(true), () => move(false), () => failback(true), () => failback(false), () => crash()]) rows.push(await scenario());

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
