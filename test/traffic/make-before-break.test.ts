/**
 * A modality and an HL7 sender through the lab's VIPs while a balanced two-server pool moves from server A to
 * server B, the target-group changes made by the test itself. Make before break (register B, wait until ELB
 * reports it healthy, then deregister A) must cost nothing; break before make (deregister A, then register B)
 * must show failed associations — the proof that the model catches the fault the controller has to avoid.
 * Model: scale 50, registration delay 30 s, check 5 s x 2 (timeout 4 s), deregistration delay 120 s.
 */
import { TrafficLab } from './harness';

let lab: TrafficLab;

beforeEach(async () => {
  lab = await TrafficLab.start();
});

afterEach(async () => {
  await lab.close();
});

describe('moving a balanced DICOM/HL7 pool from A to B under traffic', () => {
  it('make before break: zero failed associations and every HL7 message acknowledged', async () => {
    const pool = await lab.pool('mbb', ['127.0.0.2', '127.0.0.3']);
    await pool.register('127.0.0.2');
    await pool.waitFor('127.0.0.2', 'healthy');
    const traffic = pool.startTraffic();

    await pool.register('127.0.0.3');
    await pool.waitFor('127.0.0.3', 'healthy');
    await pool.deregister('127.0.0.2');
    // A drains: its MLLP connection stays until the deregistration delay ends, then it is closed.
    await pool.waitFor('127.0.0.2', 'gone');
    await lab.clock.sleep(10_000);
    const report = await traffic.stop();

    expect(report.dicom).toMatchObject({ failed: 0, timeouts: 0 });
    expect(report.dicom.attempts).toBeGreaterThan(20);
    expect(report.dicom.succeeded).toBe(report.dicom.attempts);
    expect(report.mllp).toMatchObject({ unacknowledged: 0, ackTimeouts: 0 });
    expect(report.mllp.acknowledged).toBe(report.mllp.generated);
    // Both servers took associations, and the one HL7 connection on A was closed when A's delay ended.
    expect(Object.keys(report.vips.dicom.forwarded).sort()).toEqual([`127.0.0.2:${pool.dicom.port}`, `127.0.0.3:${pool.dicom.port}`]);
    expect(report.vips.dicom.refusedNoTarget).toBe(0);
    expect(report.vips.hl7.resetByTermination).toBe(1);
    expect(report.mllp.connections).toBe(2);
  });

  it('break before make: associations fail while the replacement is initial (the model catches the fault)', async () => {
    const pool = await lab.pool('bbm', ['127.0.0.4', '127.0.0.5']);
    await pool.register('127.0.0.4');
    await pool.waitFor('127.0.0.4', 'healthy');
    const traffic = pool.startTraffic();
    await lab.clock.sleep(10_000);

    await pool.deregister('127.0.0.4');
    await pool.register('127.0.0.5');
    await pool.waitFor('127.0.0.5', 'healthy');
    await lab.clock.sleep(10_000);
    const report = await traffic.stop();

    expect(report.dicom.failed).toBeGreaterThan(0);
    expect(report.dicom.failedBy.reset + report.dicom.failedBy.closed).toBe(report.dicom.failed);
    expect(report.vips.dicom.refusedNoTarget).toBeGreaterThan(0);
    // The HL7 sender held its connection on A (draining, not yet closed) and resent nothing: a persistent
    // connection hides the gap that every new association sees.
    expect(report.mllp.unacknowledged).toBe(0);
  });
});
