/**
 * DICOM C-ECHO benchmark (issue 3). Not a test: it prints figures for BENCHMARKS.md and exits 1 when a target
 * is missed.
 *
 * 1. Sequential checks, a new association each, against one local `storescp` (TCP_NODELAY=1), in the same run:
 *    our in-process probe, an `echoscu` process per check (what the appliance does), the `dcmjs-dimse` client.
 *    Targets: probe ≥ 20 × echoscu and ≥ dcmjs-dimse.
 * 2. A sweep of 200 targets on loopback addresses 127.0.x.y, 20 % of them silent, at a 2 s timeout, all probed
 *    concurrently as the controller does: healthy ones go to `storescp --fork` (listening on every address,
 *    and 127.0.0.0/8 is all local), silent ones to silent peers. Target: wall time ≤ 1.5 × timeout. Reports RSS.
 *
 * Needs: apt-get install -y dcmtk
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as dimse from 'dcmjs-dimse';
import { probeDicom } from '../lambda/probes/dicom';
import type { CheckSpec } from '../lambda/probes/types';
import { startDicomPeer, type DicomPeer } from '../test/peers/dicom-peers';
import { freePort } from '../test/peers/free-port';

const AE = 'PACS';
const SEQUENTIAL_SECONDS = 3;
const ECHOSCU_CHECKS = 40;
const SWEEP_TARGETS = 200;
const SWEEP_SILENT_SHARE = 0.2;
const SWEEP_TIMEOUT_MS = 2000;

async function startStorescp(extraArgs: string[]): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('storescp', [...extraArgs, '-aet', AE, String(port)], {
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: 'ignore',
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    const result = await probeDicom({ host: '127.0.0.1', port }, { protocol: 'dicom', timeoutMs: 500, calledAeTitle: AE });
    if (result.healthy) return { port, child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error(`storescp ${extraArgs.join(' ')} did not answer on port ${port}`);
}

/** Runs `check` back to back for about `seconds` (or `maxChecks`) and returns checks per second. */
async function rate(label: string, seconds: number, maxChecks: number, check: () => Promise<boolean>): Promise<number> {
  for (let i = 0; i < 3; i++) await check(); // warm-up: JIT, page cache, first fork
  let checks = 0;
  let failures = 0;
  const startedAt = performance.now();
  while (checks < maxChecks && performance.now() - startedAt < seconds * 1000) {
    if (!(await check())) failures += 1;
    checks += 1;
  }
  const elapsedS = (performance.now() - startedAt) / 1000;
  const perSecond = checks / elapsedS;
  console.log(
    `${label.padEnd(34)} ${String(checks).padStart(5)} checks in ${elapsedS.toFixed(2)} s = ` +
      `${perSecond.toFixed(1).padStart(7)} checks/s (${((elapsedS * 1000) / checks).toFixed(2)} ms each), failures ${failures}`,
  );
  if (failures > 0) throw new Error(`${label}: ${failures} checks failed`);
  return perSecond;
}

function echoscuOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'echoscu',
      ['-v', '-aet', 'MEDLB', '-aec', AE, '127.0.0.1', String(port)],
      { env: { ...process.env, TCP_NODELAY: '1' } },
      // echoscu exits 0 even on abort or failure status: read its log.
      (_error, stdout, stderr) => resolve(/Received Echo Response \(Success\)/.test(`${stdout}${stderr}`)),
    );
  });
}

dimse.log.setLevel('silent');

function dcmjsDimseOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const client = new dimse.Client();
    const request = new dimse.requests.CEchoRequest();
    let success = false;
    // dcmjs-dimse never emits 'closed' on some failures: it needs its own outer timer.
    const timer = setTimeout(() => resolve(false), 5000);
    request.on('response', (response: InstanceType<typeof dimse.responses.CEchoResponse>) => {
      success = response.getStatus() === dimse.constants.Status.Success;
    });
    client.on('closed', () => {
      clearTimeout(timer);
      resolve(success);
    });
    client.on('networkError', () => {
      clearTimeout(timer);
      resolve(false);
    });
    client.addRequest(request);
    client.send('127.0.0.1', port, 'MEDLB', AE, { associationLingerTimeout: 0 });
  });
}

async function sweep(forkedPort: number): Promise<{ wallMs: number; ok: boolean }> {
  const silentCount = Math.round(SWEEP_TARGETS * SWEEP_SILENT_SHARE);
  const silentPeers: DicomPeer[] = [];
  for (let i = 0; i < silentCount; i++) {
    silentPeers.push(await startDicomPeer({ kind: 'silent' }, { host: `127.0.6.${i + 1}` }));
  }
  const healthyTargets = Array.from({ length: SWEEP_TARGETS - silentCount }, (_, i) => ({
    host: `127.0.${5 + Math.floor(i / 250)}.${(i % 250) + 1}`,
    port: forkedPort,
  }));
  const targets = [...healthyTargets, ...silentPeers.map((peer) => ({ host: peer.host, port: peer.port }))];
  const check: CheckSpec = { protocol: 'dicom', timeoutMs: SWEEP_TIMEOUT_MS, calledAeTitle: AE };

  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const startedAt = performance.now();
  const results = await Promise.all(targets.map((target) => probeDicom(target, check)));
  const wallMs = performance.now() - startedAt;
  clearInterval(sampler);
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  await Promise.all(silentPeers.map((peer) => peer.close()));

  const healthy = results.slice(0, healthyTargets.length);
  const silent = results.slice(healthyTargets.length);
  const healthyOk = healthy.filter((result) => result.healthy).length;
  const silentOk = silent.filter((result) => !result.healthy && result.reason.startsWith('no response to A-ASSOCIATE-RQ')).length;
  const latencies = healthy.map((result) => result.latencyMs).sort((a, b) => a - b);
  const percentile = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
  console.log(
    `sweep: ${targets.length} targets (${healthyTargets.length} on storescp --fork at 127.0.5.x, ${silentCount} silent at 127.0.6.x), ` +
      `timeout ${SWEEP_TIMEOUT_MS} ms`,
  );
  console.log(
    `  healthy ${healthyOk}/${healthyTargets.length} (latency p50 ${percentile(50).toFixed(1)} ms, p99 ${percentile(99).toFixed(1)} ms), ` +
      `silent reported as no response ${silentOk}/${silentCount}`,
  );
  console.log(
    `  wall time ${wallMs.toFixed(0)} ms = ${(wallMs / SWEEP_TIMEOUT_MS).toFixed(2)} × timeout (target ≤ 1.5 ×); ` +
      `RSS before ${(rssBefore / 2 ** 20).toFixed(1)} MiB, peak ${(peakRss / 2 ** 20).toFixed(1)} MiB, ` +
      `after ${(rss / 2 ** 20).toFixed(1)} MiB (process includes tsx and dcmjs-dimse)`,
  );
  return { wallMs, ok: healthyOk === healthyTargets.length && silentOk === silentCount };
}

async function main(): Promise<number> {
  const missing = ['storescp', 'echoscu'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    console.error(`missing ${missing.join(', ')}: apt-get install -y dcmtk`);
    return 1;
  }
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString()}`,
  );
  const sequential = await startStorescp([]);
  const forked = await startStorescp(['--fork']);
  let allMet = true;
  try {
    console.log(`sequential C-ECHO, new association per check, storescp TCP_NODELAY=1 on 127.0.0.1:${sequential.port}`);
    const ours = await rate('medlb probeDicom (in-process)', SEQUENTIAL_SECONDS, 100_000, async () =>
      (await probeDicom({ host: '127.0.0.1', port: sequential.port }, { protocol: 'dicom', timeoutMs: 2000, calledAeTitle: AE }))
        .healthy,
    );
    const echoscu = await rate('echoscu process per check', 30, ECHOSCU_CHECKS, () => echoscuOnce(sequential.port));
    const dcmjs = await rate('dcmjs-dimse Client', SEQUENTIAL_SECONDS, 100_000, () => dcmjsDimseOnce(sequential.port));
    const vsEchoscu = ours / echoscu;
    const vsDcmjs = ours / dcmjs;
    console.log(`ratio probe / echoscu     = ${vsEchoscu.toFixed(1)} × (target ≥ 20 ×) ${vsEchoscu >= 20 ? 'MET' : 'MISSED'}`);
    console.log(`ratio probe / dcmjs-dimse = ${vsDcmjs.toFixed(2)} × (target ≥ 1 ×) ${vsDcmjs >= 1 ? 'MET' : 'MISSED'}`);
    allMet &&= vsEchoscu >= 20 && vsDcmjs >= 1;

    const swept = await sweep(forked.port);
    const sweepMet = swept.ok && swept.wallMs <= 1.5 * SWEEP_TIMEOUT_MS;
    console.log(`sweep target ${sweepMet ? 'MET' : 'MISSED'}`);
    allMet &&= sweepMet;
  } finally {
    sequential.child.kill();
    forked.child.kill();
  }
  return allMet ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
