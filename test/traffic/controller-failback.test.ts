/**
 * Failback under traffic, driven by the controller: a failover DICOM/HL7 service runs on its backup B while the
 * primary A is down; A comes back, the controller (real rounds, real probes, the real ELBv2 adapter on the lab
 * endpoint) moves the service back to A. With make before break (rule 6a) the modality and the HL7 sender
 * notice nothing; with rule 6a switched off, the same failback fails associations — the model catches it.
 * Model: scale 50, rounds every 10 s, registration delay 30 s, check 5 s x 2, deregistration delay 120 s.
 */
import { ControllerLoop, TrafficLab, type TrafficReport } from './harness';

let lab: TrafficLab;

beforeEach(async () => {
  lab = await TrafficLab.start();
});

afterEach(async () => {
  await lab.close();
});

async function failback(name: string, hosts: [string, string], makeBeforeBreak: boolean): Promise<TrafficReport> {
  const [primary, backup] = hosts;
  const pool = await lab.pool(name, hosts);
  await pool.stopServer(primary);
  const controller = new ControllerLoop(lab, { intervalSeconds: 10, services: [pool.controllerService('RIS', 'failover')] }, { makeBeforeBreak }).start();
  try {
    await pool.waitFor(backup, 'healthy');
    const traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);
    await pool.startServer(primary);
    await pool.waitFor(primary, 'healthy');
    await pool.waitFor(backup, 'gone');
    await lab.clock.sleep(10_000);
    return await traffic.stop();
  } finally {
    await controller.stop();
  }
}

describe('controller-driven failback under traffic', () => {
  it('with make before break: zero failed associations and every HL7 message acknowledged', async () => {
    const report = await failback('fb', ['127.0.0.6', '127.0.0.7'], true);
    expect(report.dicom).toMatchObject({ failed: 0, timeouts: 0 });
    expect(report.dicom.attempts).toBeGreaterThan(20);
    expect(report.mllp).toMatchObject({ unacknowledged: 0, ackTimeouts: 0 });
    expect(report.mllp.acknowledged).toBe(report.mllp.generated);
    expect(report.vips.dicom.refusedNoTarget).toBe(0);
    // The HL7 connection moved once: closed on B when B's deregistration delay ended, resent on A.
    expect(report.vips.hl7.resetByTermination).toBe(1);
  });

  it('with rule 6a switched off: the same failback fails associations while A is still initial', async () => {
    const report = await failback('fb-off', ['127.0.0.8', '127.0.0.9'], false);
    expect(report.dicom.failed).toBeGreaterThan(0);
    expect(report.vips.dicom.refusedNoTarget).toBe(report.dicom.failed);
  });
});
