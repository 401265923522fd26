/**
 * Servers replaced under traffic, driven by the controller (real rounds, real probes, the real ELBv2 and EC2
 * discovery adapters on the lab endpoints): (d) a server's address changed in the site (a deploy writes the new
 * controller config; the old address is no longer in it), (e) an EC2 instance replaced (the new instance
 * running with the service's tags, the old one terminated; its server answers until its target has left). A
 * modality opens a new association every 50 ms and an HL7 sender keeps one MLLP connection: zero failed
 * associations (refused, reset, no target) and every HL7 message acknowledged; client timeouts are reported
 * apart, not asserted. With rule 6a switched off, both replacements fail associations.
 * Model: scale 50, rounds every 10 s, rise 2, fall 2, registration delay 30 s, check 5 s x 2, deregistration
 * delay 120 s. Time budget (serial, the dataplane project): about 30 s of wall time, measured 21–31 s at load
 * average 17 on 2 cores; 2 min at most; hang bounds only (20 s of wall time per awaited state).
 */
import { expectNothingLost } from './expect-nothing-lost';
import { TrafficLab } from './harness';
import { configReplacement, ec2Replacement } from './scenarios';

let lab: TrafficLab;

beforeEach(async () => {
  lab = await TrafficLab.start();
});

afterEach(async () => {
  await lab.close();
});


describe('servers replaced under traffic (controller-driven)', () => {
  it('(d) a server given a new address in the config: nothing fails', async () => {
    const result = await configReplacement(lab, { name: 'cfg', hosts: ['127.0.0.30', '127.0.0.31', '127.0.0.32'] });
    expectNothingLost(result.report);
    expect(result.roundsWaiting).toBeGreaterThan(0);
  });

  it('(d) with rule 6a switched off: the same replacement fails associations', async () => {
    const result = await configReplacement(lab, { name: 'cfg-off', hosts: ['127.0.0.33', '127.0.0.34', '127.0.0.35'], makeBeforeBreak: false });
    expect(result.report.dicom.failed).toBeGreaterThan(0);
    expect(result.report.vips.dicom.refusedNoTarget).toBe(result.report.dicom.failed);
  });

  it('(e) an EC2 instance replaced (discovery by tag): nothing fails', async () => {
    const result = await ec2Replacement(lab, { name: 'ec2', hosts: ['127.0.0.36', '127.0.0.37', '127.0.0.38'] });
    expectNothingLost(result.report);
    expect(result.roundsWaiting).toBeGreaterThan(0);
  });

  it('(e) with rule 6a switched off: the same replacement fails associations', async () => {
    const result = await ec2Replacement(lab, { name: 'ec2-off', hosts: ['127.0.0.39', '127.0.0.40', '127.0.0.41'], makeBeforeBreak: false });
    expect(result.report.dicom.failed).toBeGreaterThan(0);
    expect(result.report.vips.dicom.refusedNoTarget).toBe(result.report.dicom.failed);
  });
});
