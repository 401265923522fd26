/**
 * Planned operator changes under traffic, driven by the controller (real rounds, real probes, the real ELBv2
 * adapter on the lab endpoint) and asked for with the real `medlb drain|online` on the loop's config and state
 * file: (a) drain of the ACTIVE server of a failover service, (b) `online` of that drained server (a failback made
 * before break), (c) a rolling patch of a balanced two-server pool. A modality opens a new association every
 * 50 ms and an HL7 sender keeps one MLLP connection: zero failed associations (refused, reset, no target) and
 * every HL7 message acknowledged; client timeouts are reported apart (in the failure message), not asserted.
 * With rule 6a switched off, the same drain and the same rolling patch fail associations — the model catches the
 * fault.
 * Model: scale 50, rounds every 10 s, rise 2, fall 2, registration delay 30 s, check 5 s x 2, deregistration
 * delay 120 s. Time budget (serial, the dataplane project): about 40 s of wall time, measured 30–45 s at load
 * average 17 on 2 cores; 2 min at most; hang bounds only (20–40 s of wall time per awaited state).
 */
import { expectNothingLost } from './expect-nothing-lost';
import { TrafficLab } from './harness';
import { drainActiveThenOnline, rollingPatch } from './scenarios';

let lab: TrafficLab;

beforeEach(async () => {
  lab = await TrafficLab.start();
});

afterEach(async () => {
  await lab.close();
});


describe('operator changes under traffic (controller-driven)', () => {
  it('(a) drain of the active server of a failover service, then (b) online of it: nothing fails', async () => {
    const { drain, online } = await drainActiveThenOnline(lab, { name: 'drain-active', hosts: ['127.0.0.20', '127.0.0.21', '127.0.0.22'], thenOnline: true });
    expectNothingLost(drain.report);
    // Rule 6a had to hold A while B was initial: the switch waited across at least one round.
    expect(drain.roundsWaiting).toBeGreaterThan(0);
    // The HL7 connection moved once: closed on A when A's deregistration delay ended, the message resent on B.
    expect(drain.report.vips.hl7.resetByTermination).toBe(1);

    expectNothingLost(online!.report);
    expect(online!.roundsWaiting).toBeGreaterThan(0);
  });

  it('(a) with rule 6a switched off: the same drain fails associations while the standby is initial', async () => {
    const { drain } = await drainActiveThenOnline(lab, { name: 'drain-active-off', hosts: ['127.0.0.23', '127.0.0.24', '127.0.0.25'], thenOnline: false, makeBeforeBreak: false });
    expect(drain.report.dicom.failed).toBeGreaterThan(0);
    expect(drain.report.vips.dicom.refusedNoTarget).toBe(drain.report.dicom.failed);
    expect(drain.roundsWaiting).toBe(0);
  });

  it('(c) rolling patch of a balanced pool (drain, stop, start, online A; then B): nothing fails', async () => {
    const result = await rollingPatch(lab, { name: 'rolling', hosts: ['127.0.0.26', '127.0.0.27', '127.0.0.28'] });
    expectNothingLost(result.report);
    // B's drain was accepted once the controller saw A up, before ELB did: rule 6a kept B until A was healthy.
    expect(result.roundsWaiting).toBeGreaterThan(0);
    expect(Object.keys(result.times).sort()).toEqual(['PACS1 drained', 'PACS1 serving again', 'PACS2 drained', 'PACS2 serving again']);
  });

  it('(c) with rule 6a switched off: draining B as soon as the controller sees A up fails associations', async () => {
    const result = await rollingPatch(lab, { name: 'rolling-off', hosts: ['127.0.0.42', '127.0.0.43', '127.0.0.44'], makeBeforeBreak: false });
    expect(result.report.dicom.failed).toBeGreaterThan(0);
    expect(result.report.vips.dicom.refusedNoTarget).toBe(result.report.dicom.failed);
  });
});
