/** Pins and maintenance windows in the round (lambda/reconcile/scheduled-reconcile.ts) and as operator requests. */
import { reconcileWithSchedule } from '../../lambda/reconcile/scheduled-reconcile';
import { applyPinRequest, PinRequestError } from '../../lambda/reconcile/pins';
import { cancelWindows, parseZonedTime, scheduleWindow, WindowRequestError } from '../../lambda/reconcile/windows';
import { applyOperatorAction, OverrideRefusedError, UnknownTargetError } from '../../lambda/reconcile/overrides';
import { oldestOverride } from '../../lambda/reconcile/schedule';
import type { ControllerState, ServiceState } from '../../lambda/reconcile/state';
import { makeConfig, registered, TG1, TG2, verdictsOf } from './fixtures';

const T0 = new Date('2026-11-27T21:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const config = makeConfig({ targets: ['A', 'B'] });
const bothHealthy = { [TG1]: registered(104, { A: 'healthy', B: 'healthy' }), [TG2]: registered(11112, { A: 'healthy', B: 'healthy' }) };
const up = { passes: 5, failures: 0, up: true };

function stateWith(s1: Partial<ServiceState>): ControllerState {
  return { version: 2, services: { S1: { targets: { A: up, B: up }, overrides: {}, ...s1 } } };
}

describe('maintenance windows in the round', () => {
  const scheduled = scheduleWindow(config, stateWith({}), {
    action: 'drain',
    service: 's1',
    target: 'b',
    from: at(60),
    until: at(120),
    by: 'alice',
    at: T0,
    reason: 'patching',
  });

  it('records the window under its own kind, with names as the config spells them, audited as scheduled', () => {
    expect(scheduled.state.services.S1!.overrides).toEqual({});
    expect(scheduled.state.services.S1!.windows).toEqual({
      'B@2026-11-27T22:00:00.000Z': { target: 'B', action: 'drain', from: '2026-11-27T22:00:00.000Z', until: '2026-11-27T23:00:00.000Z', by: 'alice', at: T0.toISOString(), reason: 'patching' },
    });
    expect(scheduled.audit).toEqual([expect.objectContaining({ action: 'window-scheduled', service: 'S1', target: 'B', from: '2026-11-27T22:00:00.000Z', until: '2026-11-27T23:00:00.000Z' })]);
  });

  it('does nothing before the window, drains made before break while it is in force, and lets the server back after it', () => {
    const before = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: true, B: true }) }, state: scheduled.state, observed: bothHealthy, now: at(59) });
    expect(before.actions).toEqual([]);
    expect(before.audit).toEqual([]);

    const opened = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: true, B: true }) }, state: before.state, observed: bothHealthy, now: at(60) });
    // A is healthy in ELB, so B leaves at once (make before break has its replacement).
    expect(opened.actions.flatMap((a) => a.deregister)).toEqual([
      { ip: '127.0.0.2', port: 104 },
      { ip: '127.0.0.2', port: 11112 },
    ]);
    expect(opened.audit).toEqual([expect.objectContaining({ action: 'window-open', target: 'B', who: 'medlb-controller' })]);
    // The window is never persisted as an override (an older controller would apply it for ever).
    expect(opened.state.services.S1!.overrides).toEqual({});
    expect(opened.state.services.S1!.windows).toEqual(scheduled.state.services.S1!.windows);
    expect(opened.services[0]!.targets[1]!.override).toMatchObject({ action: 'drain', by: 'alice' });
    expect(opened.services[0]!.counts.targetsExpected).toBe(1);

    const drained = { [TG1]: registered(104, { A: 'healthy', B: 'draining' }), [TG2]: registered(11112, { A: 'healthy', B: 'draining' }) };
    const during = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: true, B: true }) }, state: opened.state, observed: drained, now: at(90) });
    expect(during.actions).toEqual([]);
    expect(during.audit).toEqual([]);

    const closed = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: true, B: true }) }, state: during.state, observed: drained, now: at(120) });
    expect(closed.audit).toEqual([expect.objectContaining({ action: 'window-close', target: 'B', reason: expect.stringContaining('window ended at 2026-11-27T23:00:00.000Z') })]);
    expect(closed.actions.flatMap((a) => a.register)).toEqual([
      { ip: '127.0.0.2', port: 104 },
      { ip: '127.0.0.2', port: 11112 },
    ]);
  });

  it('a halt window leaves at once even without a healthy replacement', () => {
    const halt = scheduleWindow(config, stateWith({}), { action: 'halt', service: 'S1', target: 'B', from: at(0), until: at(10), by: 'bob', at: T0, reason: 'firmware' });
    const observed = { [TG1]: registered(104, { A: 'initial', B: 'healthy' }), [TG2]: registered(11112, { A: 'initial', B: 'healthy' }) };
    const round = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: true, B: true }) }, state: halt.state, observed, now: at(1) });
    expect(round.actions.flatMap((a) => a.deregister)).toHaveLength(2);
  });

  it('an explicit override and a pin win over a window', () => {
    const withDrain = stateWith({ ...scheduled.state.services.S1, overrides: { B: { action: 'halt', by: 'carol', at: T0.toISOString(), reason: 'broken' } } });
    const round = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: true, B: true }) }, state: withDrain, observed: bothHealthy, now: at(61) });
    expect(round.services[0]!.targets[1]!.override).toMatchObject({ action: 'halt', by: 'carol' });
    expect(round.audit.filter((r) => r.action === 'window-open')).toEqual([]);

    const pinned = stateWith({ ...scheduled.state.services.S1, pins: { B: { by: 'dave', at: T0.toISOString(), until: at(300).toISOString(), reason: 'check wrong' } } });
    const kept = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: true, B: false }) }, state: pinned, observed: bothHealthy, now: at(61) });
    expect(kept.actions).toEqual([]);
    expect(kept.services[0]!.targets[1]!.override).toBeUndefined();
  });

  it('refuses a window that would leave the service nothing to serve, judged on the state now, unless forced', () => {
    const aDown = stateWith({ targets: { A: { passes: 0, failures: 5, up: false }, B: up } });
    const ask = { action: 'drain' as const, service: 'S1', target: 'B', from: at(60), until: at(120), by: 'alice', at: T0 };
    expect(() => scheduleWindow(config, aDown, ask)).toThrow(OverrideRefusedError);
    expect(() => scheduleWindow(config, aDown, ask)).toThrow(/judged on the state now, 2026-11-27T21:00:00.000Z/);
    const forced = scheduleWindow(config, aDown, { ...ask, force: true });
    expect(forced.audit[0]).toMatchObject({ forced: true });
    expect(Object.values(forced.state.services.S1!.windows!)[0]).toMatchObject({ forced: true });
  });

  it('judges a drain against what the controller obeys now: a server in a window in force is already out', () => {
    expect(() => applyOperatorAction(config, scheduled.state, { action: 'drain', service: 'S1', target: 'A', by: 'x', at: at(70) })).toThrow(OverrideRefusedError);
    expect(applyOperatorAction(config, scheduled.state, { action: 'drain', service: 'S1', target: 'A', by: 'x', at: at(10) }).changed).toBe(true);
    expect(() => scheduleWindow(config, scheduled.state, { action: 'halt', service: 'S1', target: 'A', from: at(70), until: at(80), by: 'x', at: at(65) })).toThrow(OverrideRefusedError);
  });

  it('refuses bad windows with a message', () => {
    const ask = { action: 'drain' as const, service: 'S1', target: 'B', from: at(60), until: at(60), by: 'alice', at: T0 };
    expect(() => scheduleWindow(config, stateWith({}), ask)).toThrow(/is not after --from/);
    expect(() => scheduleWindow(config, stateWith({}), { ...ask, from: at(-120), until: at(-60) })).toThrow(/has already passed/);
    expect(() => scheduleWindow(config, scheduled.state, { ...ask, from: at(90), until: at(150) })).toThrow(/overlaps/);
    expect(() => scheduleWindow(config, stateWith({}), { ...ask, target: 'Bx', until: at(90) })).toThrow(UnknownTargetError);
    expect(() => parseZonedTime('from', '2026-11-27T22:00:00')).toThrow(WindowRequestError);
    expect(() => parseZonedTime('from', 'tonight')).toThrow(/--from 'tonight' is not an ISO 8601 time with a zone/);
    expect(parseZonedTime('until', '2026-11-27T23:00:00+01:00').toISOString()).toBe('2026-11-27T22:00:00.000Z');
  });

  it('cancels the window in force (medlb online) and audits it; a closed window of a cancelled item is not audited again', () => {
    const cancelled = cancelWindows(config, scheduled.state, { service: 'S1', target: 'B', by: 'erin', at: at(70) }, 'in-force');
    expect(cancelled.changed).toBe(true);
    expect(cancelled.state.services.S1!.windows).toEqual({});
    expect(cancelled.audit).toEqual([expect.objectContaining({ action: 'window-cancelled', target: 'B', who: 'erin' })]);
    expect(cancelWindows(config, scheduled.state, { service: 'S1', target: 'B', by: 'erin', at: at(10) }, 'in-force').changed).toBe(false);
    expect(cancelWindows(config, scheduled.state, { service: 'S1', target: 'B', by: 'erin', at: at(10) }, 'all').changed).toBe(true);
  });
});

describe('pins in the round', () => {
  const pinned = applyPinRequest(config, stateWith({}), { action: 'pin', service: 'S1', target: 'A', by: 'alice', at: T0, until: at(60), reason: 'AE title check wrong' });

  it('keeps a failing server in service while the pin is in force, with the real probe result in state and report', () => {
    const failing = stateWith({ ...pinned.state.services.S1, targets: { A: { passes: 0, failures: 2, up: true }, B: { passes: 0, failures: 9, up: false } } });
    const observed = { [TG1]: registered(104, { A: 'healthy' }), [TG2]: registered(11112, { A: 'healthy' }) };
    const round = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: false, B: false }) }, state: failing, observed, now: at(1) });
    expect(round.actions).toEqual([]);
    expect(round.services[0]!.failOpen).toBe(false);
    expect(round.state.services.S1!.targets.A).toMatchObject({ up: true, passes: 1, failures: 0, lastProbe: { healthy: false, reason: 'connection refused' } });
    expect(round.services[0]!.targets[0]!.probe).toMatchObject({ healthy: false });
    expect(round.services[0]!.targets[0]!.pin).toMatchObject({ by: 'alice' });
    expect(round.services[0]!.overrideSummary.pinnedTargets).toBe(1);
    expect(round.state.services.S1!.pins).toEqual(pinned.state.services.S1!.pins);

    // Expired: the check decides again (down after `fall`), and the expiry is audited once.
    const later = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: false, B: false }) }, state: round.state, observed, now: at(60) });
    expect(later.audit).toEqual([expect.objectContaining({ action: 'pin-expired', target: 'A', reason: expect.stringContaining('expired at 2026-11-27T22:00:00.000Z') })]);
    expect(later.services[0]!.overrideSummary.pinnedTargets).toBe(0);
    const again = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: false, B: false }) }, state: later.state, observed, now: at(61) });
    expect(again.audit.filter((r) => r.action === 'pin-expired')).toEqual([]);
  });

  it('brings a pinned server that is down into an empty pool at once (bootstrap counts the pin as a pass)', () => {
    const down = stateWith({ ...pinned.state.services.S1, targets: { A: { passes: 0, failures: 9, up: false }, B: { passes: 0, failures: 9, up: false } } });
    const round = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: false, B: false }) }, state: down, observed: { [TG1]: [], [TG2]: [] }, now: at(1) });
    expect(round.actions.flatMap((a) => a.register)).toEqual([
      { ip: '127.0.0.1', port: 104 },
      { ip: '127.0.0.1', port: 11112 },
    ]);
  });

  it('an explicit drain or halt outranks a pin', () => {
    const halted = stateWith({ ...pinned.state.services.S1, overrides: { A: { action: 'halt', by: 'bob', at: T0.toISOString(), reason: 'disk' } } });
    const round = reconcileWithSchedule({ config, verdicts: { S1: verdictsOf({ A: false, B: true }) }, state: halted, observed: bothHealthy, now: at(1) });
    expect(round.actions.flatMap((a) => a.deregister)).toEqual([
      { ip: '127.0.0.1', port: 104 },
      { ip: '127.0.0.1', port: 11112 },
    ]);
    expect(round.services[0]!.overrideSummary.pinnedTargets).toBe(0);
    const repin = applyPinRequest(config, halted, { action: 'pin', service: 'S1', target: 'A', by: 'alice', at: T0, until: at(60), reason: 'x' });
    expect(repin.outrankedBy).toMatchObject({ action: 'halt' });
  });

  it('needs a reason and an end within the site limit; unpin removes it', () => {
    const ask = { action: 'pin' as const, service: 'S1', target: 'A', by: 'alice', at: T0, until: at(60), reason: 'x' };
    expect(() => applyPinRequest(config, stateWith({}), { ...ask, reason: ' ' })).toThrow(PinRequestError);
    expect(() => applyPinRequest(config, stateWith({}), { ...ask, until: at(13 * 60) })).toThrow(/at most 12 h \(the site's controller.maxPinHours\)/);
    expect(() => applyPinRequest({ ...config, maxPinHours: 24 }, stateWith({}), { ...ask, until: at(13 * 60) })).not.toThrow();
    expect(() => applyPinRequest(config, stateWith({}), { ...ask, until: at(-1) })).toThrow(/not in the future/);
    expect(pinned.audit).toMatchObject({ action: 'pin', target: 'A', until: at(60).toISOString(), reason: 'AE title check wrong' });
    const unpinned = applyPinRequest(config, pinned.state, { action: 'unpin', service: 's1', target: 'a', by: 'bob', at: at(5) });
    expect(unpinned.changed).toBe(true);
    expect(unpinned.state.services.S1).not.toHaveProperty('pins');
    expect(unpinned.audit).toMatchObject({ action: 'unpin', service: 'S1', target: 'A', who: 'bob' });
  });
});

describe('the oldest override', () => {
  it('is the longest-standing explicit drain, halt or pin in force; windows do not count', () => {
    const stored: ServiceState = {
      targets: {},
      overrides: { B: { action: 'drain', by: 'bob', at: '2026-11-26T09:00:00.000Z' } },
      pins: { A: { by: 'alice', at: '2026-11-27T20:00:00.000Z', until: at(60).toISOString(), reason: 'x' } },
      windows: { 'C@x': { target: 'C', action: 'halt', from: '2026-11-20T00:00:00.000Z', until: at(60).toISOString(), by: 'c', at: '2026-11-20T00:00:00.000Z' } },
    };
    expect(oldestOverride(stored, T0)).toEqual({ target: 'B', kind: 'drain', by: 'bob', since: '2026-11-26T09:00:00.000Z', ageSeconds: 36 * 3600 });
    expect(oldestOverride({ ...stored, overrides: {} }, T0)).toMatchObject({ target: 'A', kind: 'pin', ageSeconds: 3600 });
    expect(oldestOverride({ targets: {}, overrides: {} }, T0)).toBeUndefined();
  });
});
