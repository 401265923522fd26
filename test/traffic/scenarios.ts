/**
 * The controller-driven traffic scenarios of issue 9 item 6, shared by the dataplane tests (test/traffic) and the
 * benchmark (bench/traffic.bench.ts): each sets a pool up, starts the modality and the HL7 sender, makes ONE
 * planned change the way an operator or a deploy makes it, and returns what the clients saw and when the change
 * completed (model seconds since the change was asked for). Operator commands are the real `medlb drain|online`
 * (ControllerLoop.operator), a config change is a new config file for the next round, an EC2 replacement is a
 * change on the lab's EC2 endpoint that the controller's real discovery adapter reads.
 */
import { ControllerLoop, type TrafficLab, type TrafficReport } from './harness';

/** One scenario's outcome. */
export interface ScenarioResult {
  readonly report: TrafficReport;
  /** Named moments in model seconds since the change was asked for, in the order they were seen. */
  readonly times: Record<string, number>;
  /** Rounds that ended with a make-before-break switch still waiting (0 means rule 6a never had to hold a target). */
  readonly roundsWaiting: number;
}

/** Options every scenario takes. */
export interface ScenarioOptions {
  /** Rule 6a (the control experiment switches it off). @default true */
  readonly makeBeforeBreak?: boolean;
  /** Loopback addresses 127.0.0.x unique to this run: A, B, and C for a replacement. */
  readonly hosts: readonly [string, string, string];
  /** Target-group name prefix, unique within the lab. */
  readonly name: string;
}

const INTERVAL_SECONDS = 10;
/** The old server has left the target group: deregistered and draining, or already drained. */
const LEFT = ['draining', 'gone'] as const;

/** Model seconds since `from`, to a tenth. */
function since(lab: TrafficLab, from: number): number {
  return Math.round((lab.clock.now() - from) / 100) / 10;
}

/** Records when each awaited event was first seen. */
class Moments {
  readonly times: Record<string, number> = {};
  constructor(
    private readonly lab: TrafficLab,
    private readonly from = lab.clock.now(),
  ) {}

  async see(label: string, event: Promise<void>): Promise<void> {
    await event;
    this.times[label] = since(this.lab, this.from);
  }
}

/**
 * `medlb drain` as a careful operator runs it: the command refuses a drain that would leave nothing to serve (a
 * server still coming up is not serving yet), so the operator repeats it until it is accepted, every 2 model s.
 */
async function drainWhenAccepted(lab: TrafficLab, loop: ControllerLoop, path: string, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const outcome = await loop.operator('drain', path, '--reason', 'patching');
    if (outcome.exitCode === 0) return;
    if (!outcome.stderr.includes('refused') || Date.now() > deadline) throw new Error(`medlb drain ${path}: exit ${outcome.exitCode}: ${outcome.stderr}${outcome.stdout}`);
    await lab.clock.sleep(2000);
  }
}

async function online(loop: ControllerLoop, path: string): Promise<void> {
  const outcome = await loop.operator('online', path, '--reason', 'patched');
  if (outcome.exitCode !== 0) throw new Error(`medlb online ${path}: exit ${outcome.exitCode}: ${outcome.stderr}${outcome.stdout}`);
}

function roundsWaiting(loop: ControllerLoop): number {
  return loop.rounds.filter((round) => round.pending.length > 0).length;
}

/** Runs `body` with a controller loop, stopping it whatever happens. */
async function withLoop<T>(loop: ControllerLoop, body: (loop: ControllerLoop) => Promise<T>): Promise<T> {
  loop.start();
  try {
    return await body(loop);
  } finally {
    await loop.stop();
  }
}

/**
 * (a) `medlb drain` of the ACTIVE server A of a failover service [A, B], then, when `thenOnline`, (b) `medlb online`
 * of A once the drain has completed (a failback to A, made before break). Returns one result per phase.
 */
export async function drainActiveThenOnline(lab: TrafficLab, options: ScenarioOptions & { readonly thenOnline: boolean }): Promise<{ drain: ScenarioResult; online?: ScenarioResult }> {
  const [a, b] = options.hosts;
  const pool = await lab.pool(options.name, [a, b]);
  const service = pool.controllerService('PACS', 'failover');
  const loop = new ControllerLoop(lab, { intervalSeconds: INTERVAL_SECONDS, services: [service] }, { makeBeforeBreak: options.makeBeforeBreak ?? true });
  return withLoop(loop, async () => {
    await pool.waitFor(a, 'healthy');
    // B must be up in the controller's eyes, or `medlb drain` refuses to drain the active server without --force.
    await loop.afterRounds(3);
    let traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);

    let moments = new Moments(lab);
    let waitingBefore = roundsWaiting(loop);
    await drainWhenAccepted(lab, loop, 'PACS/PACS1');
    await Promise.all([moments.see('replacement serving', pool.waitFor(b, 'healthy')), moments.see('old leaves', pool.waitFor(a, LEFT))]);
    await moments.see('old drained', pool.waitFor(a, 'gone'));
    await lab.clock.sleep(10_000);
    const drain: ScenarioResult = { report: await traffic.stop(), times: moments.times, roundsWaiting: roundsWaiting(loop) - waitingBefore };
    if (!options.thenOnline) return { drain };

    traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);
    moments = new Moments(lab);
    waitingBefore = roundsWaiting(loop);
    await online(loop, 'PACS/PACS1');
    await Promise.all([moments.see('replacement serving', pool.waitFor(a, 'healthy')), moments.see('old leaves', pool.waitFor(b, LEFT))]);
    await moments.see('old drained', pool.waitFor(b, 'gone'));
    await lab.clock.sleep(10_000);
    return { drain, online: { report: await traffic.stop(), times: moments.times, roundsWaiting: roundsWaiting(loop) - waitingBefore } };
  });
}

/**
 * (c) A rolling patch of a balanced pool [A, B]: for each server in turn `medlb drain` (repeated until accepted),
 * wait until ELB has drained it, stop it, patch (10 model s), start it, `medlb online`; the next server's drain
 * is asked for at once and accepted as soon as the controller sees the patched server up — before ELB does, so
 * rule 6a holds the next server until the patched one is healthy.
 */
export async function rollingPatch(lab: TrafficLab, options: ScenarioOptions): Promise<ScenarioResult> {
  const [a, b] = options.hosts;
  const pool = await lab.pool(options.name, [a, b]);
  const service = pool.controllerService('PACS', 'balanced');
  const loop = new ControllerLoop(lab, { intervalSeconds: INTERVAL_SECONDS, services: [service] }, { makeBeforeBreak: options.makeBeforeBreak ?? true });
  return withLoop(loop, async () => {
    await Promise.all([pool.waitFor(a, 'healthy'), pool.waitFor(b, 'healthy')]);
    const traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);

    const moments = new Moments(lab);
    const waitingBefore = roundsWaiting(loop);
    const servingAgain: Promise<void>[] = [];
    for (const [host, name] of [[a, 'PACS1'], [b, 'PACS2']] as const) {
      await drainWhenAccepted(lab, loop, `PACS/${name}`);
      await moments.see(`${name} drained`, pool.waitFor(host, 'gone'));
      await pool.stopServer(host);
      await lab.clock.sleep(10_000);
      await pool.startServer(host);
      await online(loop, `PACS/${name}`);
      // The operator moves on without watching ELB: the next drain is accepted once the controller sees this
      // server up, and rule 6a is what keeps the next server until this one is healthy.
      servingAgain.push(moments.see(`${name} serving again`, pool.waitFor(host, 'healthy', 40_000)));
    }
    await Promise.all(servingAgain);
    await lab.clock.sleep(10_000);
    return { report: await traffic.stop(), times: moments.times, roundsWaiting: roundsWaiting(loop) - waitingBefore };
  });
}

/**
 * (d) A server replaced in the site: the failover service [PACS1 on A, PACS2 on B] runs on A; a deploy changes
 * PACS1's address to C (the old address is no longer in the config). The next round reads the new config.
 */
export async function configReplacement(lab: TrafficLab, options: ScenarioOptions): Promise<ScenarioResult> {
  const [a, b, c] = options.hosts;
  const pool = await lab.pool(options.name, [a, b, c]);
  const serviceWith = (primary: string) => pool.controllerService('PACS', 'failover', { targets: [{ name: 'PACS1', ip: primary }, { name: 'PACS2', ip: b }] });
  const loop = new ControllerLoop(lab, { intervalSeconds: INTERVAL_SECONDS, services: [serviceWith(a)] }, { makeBeforeBreak: options.makeBeforeBreak ?? true });
  return withLoop(loop, async () => {
    await pool.waitFor(a, 'healthy');
    await loop.afterRounds(2);
    const traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);

    const moments = new Moments(lab);
    const waitingBefore = roundsWaiting(loop);
    await loop.replaceConfig({ intervalSeconds: INTERVAL_SECONDS, services: [serviceWith(c)] });
    await Promise.all([moments.see('replacement serving', pool.waitFor(c, 'healthy')), moments.see('old leaves', pool.waitFor(a, LEFT))]);
    await moments.see('old drained', pool.waitFor(a, 'gone'));
    await lab.clock.sleep(10_000);
    return { report: await traffic.stop(), times: moments.times, roundsWaiting: roundsWaiting(loop) - waitingBefore };
  });
}

/**
 * (e) An EC2 instance replaced: a balanced service discovers its one server by tag (`Role=pacs`); a new instance
 * with the same tags (and `Name`) starts running on C and the old one on A is terminated in the same step. Model
 * assumption: the old instance's server keeps answering until its target has left the target group (a
 * termination that waits for the deregistration, e.g. an Auto Scaling lifecycle hook); a server that dies at
 * once is the crash scenario.
 */
export async function ec2Replacement(lab: TrafficLab, options: ScenarioOptions): Promise<ScenarioResult> {
  const [a, , c] = options.hosts;
  const pool = await lab.pool(options.name, [a, c]);
  const ec2 = await lab.ec2();
  const tags = { Role: 'pacs', Name: 'PACS1' };
  const [oldId, newId] = ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'];
  ec2.putInstance({ instanceId: oldId, privateIp: a, tags });
  const service = pool.controllerService('PACS', 'balanced', { targets: [], discovery: { tags: { Role: ['pacs'] } } });
  const loop = new ControllerLoop(lab, { intervalSeconds: INTERVAL_SECONDS, services: [service] }, { makeBeforeBreak: options.makeBeforeBreak ?? true, discoveryEndpoint: ec2 });
  return withLoop(loop, async () => {
    await pool.waitFor(a, 'healthy');
    const traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);

    const moments = new Moments(lab);
    const waitingBefore = roundsWaiting(loop);
    ec2.putInstance({ instanceId: newId, privateIp: c, tags });
    ec2.instance(oldId).state = 'terminated';
    await Promise.all([moments.see('replacement serving', pool.waitFor(c, 'healthy')), moments.see('old leaves', pool.waitFor(a, LEFT))]);
    await moments.see('old drained', pool.waitFor(a, 'gone'));
    await pool.stopServer(a);
    await lab.clock.sleep(10_000);
    return { report: await traffic.stop(), times: moments.times, roundsWaiting: roundsWaiting(loop) - waitingBefore };
  });
}
