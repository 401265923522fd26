import { decideViewerFallback } from '../../lambda/reconcile/viewer-fallback';

describe('decideViewerFallback', () => {
  it.each([
    // [targetsUp, elbHealthy, serving] → [serve, change]
    [0, 0, false, true, 'on'],
    [1, 0, false, false, undefined], // medlb's check passes: the ALB's lagging check alone does not raise the page
    [0, 1, false, false, undefined], // ELB has a healthy target: forwarding works
    [0, 0, true, true, undefined], // kept while nothing is healthy in ELB
    [2, 0, true, true, undefined], // medlb's probe recovering is not enough: ELB's verdict is what forwarding meets
    [0, 1, true, false, 'off'], // one healthy in ELB: forwarding returns at once
  ] as const)('up %d, ELB healthy %d, serving %s → serve %s, change %s', (targetsUp, elbHealthy, serving, serve, change) => {
    const decision = decideViewerFallback({ targetsUp, elbHealthy, serving });
    expect(decision.serve).toBe(serve);
    expect(decision.change).toBe(change);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('changes nothing when the rule or ELB could not be described', () => {
    expect(decideViewerFallback({ targetsUp: 0, elbHealthy: 0, serving: undefined })).toEqual({ serve: undefined, reason: expect.stringContaining('could not be described') });
    expect(decideViewerFallback({ targetsUp: 0, elbHealthy: undefined, serving: true })).toEqual({ serve: true, reason: expect.stringContaining('unknown') });
    expect(decideViewerFallback({ targetsUp: 0, elbHealthy: undefined, serving: false })).toEqual({ serve: false, reason: expect.stringContaining('unknown') });
  });
});
