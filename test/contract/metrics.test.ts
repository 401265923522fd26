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
          overrideSummary: { pinnedTargets: 1, oldestOverride: { target: 'PACS2', kind: 'drain', by: 'alice', since: '2026-11-24T10:00:00.000Z', ageSeconds: 90_000 } },
        },
      ] as unknown as Parameters<typeof roundMetricGroups>[0]['services'],
      roundDurationMs: 12,
      elbWrites: 0,
      elbErrors: 0,
    });
    const emitted = groups.flatMap((group) => group.metrics.map((metric) => ({ name: metric.name, unit: metric.unit, dimensions: Object.keys(group.dimensions) })));
    expect(emitted.length).toBeGreaterThanOrEqual(12);
    expect(emitted.map((m) => m.name)).toEqual(expect.arrayContaining(['PinnedTargets', 'OldestOverrideAgeSeconds']));
    for (const metric of emitted) {
      const contract = CONTROLLER_METRICS[metric.name];
      expect({ name: metric.name, unit: metric.unit, dimensions: metric.dimensions }).toEqual({ name: metric.name, unit: contract.unit, dimensions: [...contract.dimensions] });
    }
    expect(METRICS_NAMESPACE).toBe('Medlb');
  });
});
