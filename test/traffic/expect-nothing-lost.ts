/** The promise of a planned change, as the modality and the HL7 sender see it (jest only). */
import type { TrafficReport } from './harness';

/**
 * Zero failed associations (refused, reset or closed; none refused by the VIP for want of a target) and every
 * HL7 message acknowledged. Client timeouts are reported apart: they appear in the failure message, and are not
 * asserted, since a loaded machine can delay a loopback association past the client's bound.
 */
export function expectNothingLost(report: TrafficReport): void {
  const context = `client timeouts (reported apart): ${report.dicom.timeouts}; first failures: ${JSON.stringify(report.dicom.firstFailures)}`;
  expect({ failed: report.dicom.failed, refusedNoTarget: report.vips.dicom.refusedNoTarget, context }).toEqual({ failed: 0, refusedNoTarget: 0, context });
  expect(report.dicom.attempts).toBeGreaterThan(20);
  expect(report.mllp.unacknowledged).toBe(0);
  expect(report.mllp.acknowledged).toBe(report.mllp.generated);
  expect(report.mllp.generated).toBeGreaterThan(20);
}
