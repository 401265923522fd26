import { createControllerMetrics, publishRoundMetrics, type RoundMetricsInput } from '../../lambda/adapters/metrics';
import { reconcile } from '../../lambda/reconcile/reconciler';
import { reconcileWithSchedule } from '../../lambda/reconcile/scheduled-reconcile';
import { fail, makeConfig, pass, registered, TG1, TG2, TG3 } from '../reconcile/fixtures';

/** Runs `emit` and returns every EMF document Powertools wrote to stdout. */
function captureEmf(emit: () => void): any[] {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    emit();
  } finally {
    spy.mockRestore();
  }
  return lines.join('').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/** `{dimensions: [...], metrics: {Name: [unit, value]}}` per EMF document, for exact comparison. */
function summarize(doc: any) {
  const directive = doc._aws.CloudWatchMetrics;
  expect(directive).toHaveLength(1);
  expect(directive[0].Namespace).toBe('Medlb');
  expect(directive[0].Dimensions).toHaveLength(1);
  const dimensions: string[] = directive[0].Dimensions[0];
  return {
    dimensions: Object.fromEntries(dimensions.map((d) => [d, doc[d]])),
    metrics: Object.fromEntries(directive[0].Metrics.map((m: any) => [m.Name, [m.Unit, doc[m.Name]]])),
  };
}

function roundInput(): RoundMetricsInput {
  const config = makeConfig({ targets: ['A', 'B'] }, { targets: ['D'] });
  const decision = reconcile({
    config,
    verdicts: { S1: { A: pass(), B: { ...fail(), latencyMs: 1000 } }, S2: { D: fail() } },
    state: { version: 2, services: { S1: { targets: { A: { passes: 3, failures: 0, up: true } }, overrides: {} } } },
    observed: { [TG1]: registered(104, { A: 'healthy' }), [TG2]: registered(11112, { A: 'healthy' }), [TG3]: { error: 'DescribeTargetHealth: TargetGroupNotFound', code: 'TargetGroupNotFound' } },
    now: new Date('2026-11-24T10:00:00.000Z'),
  });
  return { site: 'example-hospital', services: decision.services, roundDurationMs: 1234.5, elbWrites: 2, elbErrors: 1 };
}

describe('EMF round metrics', () => {
  const saved = { dev: process.env.POWERTOOLS_DEV, disabled: process.env.POWERTOOLS_METRICS_DISABLED, svc: process.env.POWERTOOLS_SERVICE_NAME };
  beforeAll(() => {
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_SERVICE_NAME = 'medlb-controller'; // must NOT become a dimension
  });
  afterAll(() => {
    for (const [key, value] of [['POWERTOOLS_DEV', saved.dev], ['POWERTOOLS_METRICS_DISABLED', saved.disabled], ['POWERTOOLS_SERVICE_NAME', saved.svc]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  test('exactly the §3.4 metrics, units and dimension sets, with no Powertools service dimension', () => {
    const metrics = createControllerMetrics();
    const at = new Date('2026-11-24T10:00:05.000Z');
    const docs = captureEmf(() => publishRoundMetrics(metrics, roundInput(), at));
    expect(docs.map(summarize)).toEqual([
      { dimensions: { Site: 'example-hospital', Service: 'S1', Target: 'A' }, metrics: { ProbeSuccess: ['Count', 1], ProbeLatency: ['Milliseconds', 1.5] } },
      { dimensions: { Site: 'example-hospital', Service: 'S1', Target: 'B' }, metrics: { ProbeSuccess: ['Count', 0], ProbeLatency: ['Milliseconds', 1000] } },
      {
        dimensions: { Site: 'example-hospital', Service: 'S1' },
        metrics: {
          TargetsUp: ['Count', 1], TargetsExpected: ['Count', 2], TargetsInService: ['Count', 1], FailOpen: ['Count', 0],
          TargetsAwaitingHealthy: ['Count', 0], TargetsRoutable: ['Count', 1],
        },
      },
      { dimensions: { Site: 'example-hospital', Service: 'S2', Target: 'D' }, metrics: { ProbeSuccess: ['Count', 0], ProbeLatency: ['Milliseconds', 0.5] } },
      // S2 could not be described: in-service and fail-open are unknown, so they are not reported as 0.
      { dimensions: { Site: 'example-hospital', Service: 'S2' }, metrics: { TargetsUp: ['Count', 0], TargetsExpected: ['Count', 1] } },
      {
        dimensions: { Site: 'example-hospital' },
        metrics: { Heartbeat: ['Count', 1], RoundDuration: ['Milliseconds', 1234.5], ElbWrites: ['Count', 2], ElbErrors: ['Count', 1] },
      },
    ]);
    for (const doc of docs) {
      expect(doc).not.toHaveProperty('service');
      expect(doc._aws.Timestamp).toBe(at.getTime());
    }
  });

  test('pins and the oldest override: PinnedTargets and OldestOverrideAgeSeconds per service, 0 when none', () => {
    const config = makeConfig({ targets: ['A', 'B'] });
    const now = new Date('2026-11-24T10:00:00.000Z');
    const decision = reconcileWithSchedule({
      config,
      verdicts: { S1: { A: fail(), B: pass() } },
      state: {
        version: 2,
        services: {
          S1: {
            targets: { A: { passes: 3, failures: 0, up: true }, B: { passes: 3, failures: 0, up: true } },
            overrides: {},
            pins: { A: { by: 'alice', at: '2026-11-24T09:00:00.000Z', until: '2026-11-24T12:00:00.000Z', reason: 'check wrong' } },
          },
        },
      },
      observed: { [TG1]: registered(104, { A: 'healthy', B: 'healthy' }), [TG2]: registered(11112, { A: 'healthy', B: 'healthy' }) },
      now,
    });
    const docs = captureEmf(() => publishRoundMetrics(createControllerMetrics(), { site: 's', services: decision.services, roundDurationMs: 1, elbWrites: 0, elbErrors: 0 }, now)).map(summarize);
    // The pinned server's own check failed: ProbeSuccess stays the check's verdict.
    expect(docs.find((d) => d.dimensions.Target === 'A')?.metrics.ProbeSuccess).toEqual(['Count', 0]);
    expect(docs.find((d) => d.dimensions.Service === 'S1' && !d.dimensions.Target)?.metrics).toMatchObject({
      PinnedTargets: ['Count', 1],
      OldestOverrideAgeSeconds: ['Seconds', 3600],
    });
    const none = reconcileWithSchedule({ ...decision, config, verdicts: { S1: { A: pass(), B: pass() } }, observed: { [TG1]: [], [TG2]: [] }, now, state: { version: 2, services: {} } });
    const cleared = captureEmf(() => publishRoundMetrics(createControllerMetrics(), { site: 's', services: none.services, roundDurationMs: 1, elbWrites: 0, elbErrors: 0 }, now)).map(summarize);
    expect(cleared.find((d) => d.dimensions.Service === 'S1' && !d.dimensions.Target)?.metrics).toMatchObject({ PinnedTargets: ['Count', 0], OldestOverrideAgeSeconds: ['Seconds', 0] });
  });

  test('fail-open is reported as FailOpen=1 with the kept registrations in TargetsInService', () => {
    const config = makeConfig({ targets: ['A', 'B'] });
    const decision = reconcile({
      config,
      verdicts: { S1: { A: fail(), B: fail() } },
      state: { version: 2, services: { S1: { targets: { A: { passes: 0, failures: 5, up: false }, B: { passes: 0, failures: 5, up: false } }, overrides: {} } } },
      observed: { [TG1]: registered(104, { A: 'unhealthy', B: 'unhealthy' }), [TG2]: registered(11112, { A: 'unhealthy' }) },
      now: new Date('2026-11-24T10:00:00.000Z'),
    });
    const docs = captureEmf(() =>
      publishRoundMetrics(createControllerMetrics(), { site: 's', services: decision.services, roundDurationMs: 3000, elbWrites: 0, elbErrors: 0 }),
    ).map(summarize);
    expect(docs.find((d) => d.dimensions.Service === 'S1' && !d.dimensions.Target)).toEqual({
      dimensions: { Site: 's', Service: 'S1' },
      // Registered is not routable: ELB reports both unhealthy, so nothing takes new connections (the outage alarm).
      metrics: {
        TargetsUp: ['Count', 0], TargetsExpected: ['Count', 2], TargetsInService: ['Count', 2], FailOpen: ['Count', 1],
        TargetsAwaitingHealthy: ['Count', 0], TargetsRoutable: ['Count', 0],
      },
    });
  });
});
