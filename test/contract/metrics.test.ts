import { CONTROLLER_METRICS, METRICS_NAMESPACE } from '../../contract/metrics';
import { roundMetricGroups } from '../../lambda/adapters/metrics';

describe('the controller emits the metrics of the contract', () => {
  it('with the unit and the exact dimension set the contract gives each', () => {
    const groups = roundMetricGroups({
      site: 'lab',
      services: [
        {
          name: 'DICOM',
          counts: { targetsUp: 1, targetsExpected: 2, targetsInService: 1, failOpen: 0 },
          targets: [{ name: 'PACS1', probe: { healthy: true, latencyMs: 3, reason: 'ok' } }],
        },
      ] as unknown as Parameters<typeof roundMetricGroups>[0]['services'],
      roundDurationMs: 12,
      elbWrites: 0,
      elbErrors: 0,
    });
    const emitted = groups.flatMap((group) => group.metrics.map((metric) => ({ name: metric.name, unit: metric.unit, dimensions: Object.keys(group.dimensions) })));
    expect(emitted.length).toBeGreaterThanOrEqual(10);
    for (const metric of emitted) {
      const contract = CONTROLLER_METRICS[metric.name];
      expect({ name: metric.name, unit: metric.unit, dimensions: metric.dimensions }).toEqual({ name: metric.name, unit: contract.unit, dimensions: [...contract.dimensions] });
    }
    expect(METRICS_NAMESPACE).toBe('Medlb');
  });
});
