/**
 * An unplanned crash under traffic, driven by the controller: the active server of a failover service stops
 * dead. Associations fail until the controller has seen `fall` failed checks, moved the service to the backup
 * and the NLB reports the backup healthy — and only until then; every HL7 message is still acknowledged once the
 * sender reconnects and resends. How long the window lasts is the benchmark's figure (bench/traffic.bench.ts);
 * here it only has a generous bound, as a hang check.
 * Model: scale 50, rounds every 10 s, fall 2, registration delay 30 s, check 5 s x 2, deregistration delay 120 s.
 */
import { ControllerLoop, TrafficLab } from './harness';

const SCALE = 50;
let lab: TrafficLab;

beforeEach(async () => {
  lab = await TrafficLab.start({ scale: SCALE });
});

afterEach(async () => {
  await lab.close();
});

it('a crash of the active server fails associations only until the backup is healthy in ELB', async () => {
  const [active, backup] = ['127.0.0.10', '127.0.0.11'];
  const pool = await lab.pool('crash', [active, backup]);
  const controller = new ControllerLoop(lab, { intervalSeconds: 10, services: [pool.controllerService('PACS', 'failover')] }).start();
  try {
    await pool.waitFor(active, 'healthy');
    const traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);

    await pool.stopServer(active);
    await pool.waitFor(backup, 'healthy');
    const backupHealthyAtMs = traffic.dicom.elapsedMs();
    await lab.clock.sleep(20_000);
    const report = await traffic.stop();

    expect(report.dicom.failed).toBeGreaterThan(0);
    const window = report.dicom.failureWindow!;
    // Failures stop once the backup serves (the poll that saw it healthy came after it was; 500 ms of slack
    // covers associations started just before), and the whole window stays far below a hang (300 s of model time).
    expect(window.toMs).toBeLessThanOrEqual(backupHealthyAtMs + 500);
    expect(((window.toMs - window.fromMs) * SCALE) / 1000).toBeLessThan(300);
    expect(report.mllp).toMatchObject({ unacknowledged: 0 });
    expect(report.mllp.acknowledged).toBe(report.mllp.generated);
    expect(report.mllp.connectionsLost).toBeGreaterThan(0);
  } finally {
    await controller.stop();
  }
});
