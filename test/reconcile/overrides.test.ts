import { applyOperatorAction, closestName, OverrideRefusedError, overrideRisk, parseTargetPath, UnknownTargetError } from '../../lambda/reconcile/overrides';
import { reconcile } from '../../lambda/reconcile/reconciler';
import { emptyState, type ControllerState } from '../../lambda/reconcile/state';
import { IP, TG1, TG2, makeConfig, registered, verdictsOf } from './fixtures';

const config = makeConfig();
const AT = new Date('2026-11-24T10:00:00.000Z');
const LATER = new Date('2026-11-24T11:00:00.000Z');

describe('operator actions', () => {
  test.each(['drain', 'halt'] as const)('%s records an override and an audit record (who, when, why)', (action) => {
    const result = applyOperatorAction(config, emptyState(), { action, service: 'S1', target: 'B', by: 'alice', at: AT, reason: 'patching' });
    expect(result.changed).toBe(true);
    expect(result.state.services.S1!.overrides).toEqual({ B: { action, by: 'alice', at: AT.toISOString(), reason: 'patching' } });
    expect(result.audit).toEqual({ who: 'alice', when: AT.toISOString(), action, service: 'S1', target: 'B', reason: 'patching' });
  });

  test('online clears a drain or halt and keeps the other targets and counters', () => {
    const start: ControllerState = {
      version: 2,
      services: {
        S1: {
          targets: { A: { passes: 2, failures: 0, up: true } },
          overrides: { A: { action: 'halt', by: 'bob', at: 'x' }, B: { action: 'drain', by: 'bob', at: 'y' } },
        },
      },
    };
    const result = applyOperatorAction(config, start, { action: 'online', service: 'S1', target: 'A', by: 'carol', at: AT });
    expect(result.changed).toBe(true);
    expect(result.previous).toEqual({ action: 'halt', by: 'bob', at: 'x' });
    expect(result.state.services.S1).toEqual({ targets: { A: { passes: 2, failures: 0, up: true } }, overrides: { B: { action: 'drain', by: 'bob', at: 'y' } } });
    expect(start.services.S1!.overrides.A).toBeDefined(); // input not mutated
    expect(result.audit).toEqual({ who: 'carol', when: AT.toISOString(), action: 'online', service: 'S1', target: 'A' });
  });

  test('a repeated drain changes nothing (the first record stays) but is audited; halt over drain replaces it', () => {
    const first = applyOperatorAction(config, emptyState(), { action: 'drain', service: 'S1', target: 'A', by: 'alice', at: AT });
    const again = applyOperatorAction(config, first.state, { action: 'drain', service: 'S1', target: 'A', by: 'bob', at: LATER });
    expect(again.changed).toBe(false);
    expect(again.state).toBe(first.state);
    expect(again.audit.who).toBe('bob');
    const halt = applyOperatorAction(config, first.state, { action: 'halt', service: 'S1', target: 'A', by: 'bob', at: LATER, reason: 'smoke' });
    expect(halt.changed).toBe(true);
    expect(halt.state.services.S1!.overrides.A).toEqual({ action: 'halt', by: 'bob', at: LATER.toISOString(), reason: 'smoke' });
  });

  test('online without an override changes nothing', () => {
    const result = applyOperatorAction(config, emptyState(), { action: 'online', service: 'S1', target: 'C', by: 'alice', at: AT });
    expect(result.changed).toBe(false);
    expect(result.previous).toBeUndefined();
  });

  test.each([
    ['NOPE', 'A', /unknown service 'NOPE' \(known: S1\)/],
    ['S2', 'A', /unknown service 'S2'; did you mean 'S1'\? \(known: S1\)/],
    ['S1', 'Z', /unknown target 'Z' in service 'S1'; did you mean 'A'\? \(known: A, B, C\)/],
  ])('unknown %s/%s is a typed error', (service, target, message) => {
    const act = () => applyOperatorAction(config, emptyState(), { action: 'drain', service, target, by: 'alice', at: AT });
    expect(act).toThrow(UnknownTargetError);
    expect(act).toThrow(message);
  });

  test.each([
    ['S1/A', { service: 'S1', target: 'A' }],
    ['S1/rack/2', { service: 'S1', target: 'rack/2' }],
    ['S1', undefined],
    ['/A', undefined],
    ['S1/', undefined],
  ])('parseTargetPath(%j)', (path, expected) => {
    expect(parseTargetPath(path)).toEqual(expected);
  });

  test('drain → next round deregisters; online → next round registers again', () => {
    const healthy = { A: { passes: 5, failures: 0, up: true }, B: { passes: 5, failures: 0, up: true }, C: { passes: 5, failures: 0, up: true } };
    const base: ControllerState = { version: 2, services: { S1: { targets: healthy, overrides: {} } } };
    const all = { A: 'healthy', B: 'healthy', C: 'healthy' } as const;
    const drained = applyOperatorAction(config, base, { action: 'drain', service: 'S1', target: 'B', by: 'alice', at: AT }).state;
    const round1 = reconcile({
      config, state: drained, now: AT, verdicts: { S1: verdictsOf({ A: true, B: true, C: true }) },
      observed: { [TG1]: registered(104, all), [TG2]: registered(11112, all) },
    });
    expect(round1.actions).toEqual([
      { service: 'S1', targetGroupArn: TG1, register: [], deregister: [{ ip: IP.B, port: 104 }] },
      { service: 'S1', targetGroupArn: TG2, register: [], deregister: [{ ip: IP.B, port: 11112 }] },
    ]);
    const online = applyOperatorAction(config, round1.state, { action: 'online', service: 'S1', target: 'B', by: 'alice', at: LATER }).state;
    const afterDrain = { A: 'healthy', B: 'draining', C: 'healthy' } as const;
    const round2 = reconcile({
      config, state: online, now: LATER, verdicts: { S1: verdictsOf({ A: true, B: true, C: true }) },
      observed: { [TG1]: registered(104, afterDrain), [TG2]: registered(11112, afterDrain) },
    });
    expect(round2.actions).toEqual([
      { service: 'S1', targetGroupArn: TG1, register: [{ ip: IP.B, port: 104 }], deregister: [] },
      { service: 'S1', targetGroupArn: TG2, register: [{ ip: IP.B, port: 11112 }], deregister: [] },
    ]);
  });
});

describe('safe overrides', () => {
  const health = (up: Record<string, boolean>) =>
    Object.fromEntries(Object.entries(up).map(([name, isUp]) => [name, { passes: isUp ? 3 : 0, failures: isUp ? 0 : 3, up: isUp }]));
  const stateWith = (up: Record<string, boolean>, overrides: ControllerState['services'][string]['overrides'] = {}): ControllerState => ({
    version: 2,
    services: { S1: { targets: health(up), overrides } },
  });
  const balanced = makeConfig({ targets: ['A', 'B'] });
  const failover = makeConfig({ mode: 'failover', targets: ['A', 'B'] });
  const S1 = (c: typeof balanced) => c.services[0];

  test('draining or halting the last serving server of a balanced service is risky; with another up it is not', () => {
    expect(overrideRisk(S1(balanced)!, stateWith({ A: true, B: true }), 'drain', 'A')).toBeUndefined();
    expect(overrideRisk(S1(balanced)!, stateWith({ A: true, B: false }), 'drain', 'A')).toEqual({
      action: 'drain',
      service: 'S1',
      target: 'A',
      consequence: 'draining S1/A leaves service S1 with no server to take new connections (B down)',
    });
    expect(overrideRisk(S1(balanced)!, stateWith({ A: true, B: true }, { B: { action: 'halt', by: 'bob', at: 't' } }), 'halt', 'A')?.consequence).toBe(
      'halting S1/A leaves service S1 with no server to take new connections (B halted by bob)',
    );
  });

  test('the active server of a failover service with no healthy standby is risky; with one it is not', () => {
    expect(overrideRisk(S1(failover)!, stateWith({ A: true, B: true }), 'halt', 'A')).toBeUndefined();
    expect(overrideRisk(S1(failover)!, stateWith({ A: true, B: false }), 'halt', 'A')?.consequence).toBe(
      'halting S1/A, the active server of failover service S1 with no healthy standby (B down), stops S1 traffic',
    );
    // Taking out the standby never stops traffic.
    expect(overrideRisk(S1(failover)!, stateWith({ A: true, B: false }), 'drain', 'B')).toBeUndefined();
  });

  test('a server that is down or already out is never risky, nor is online; with nothing up (fail-open) the last candidate is', () => {
    expect(overrideRisk(S1(balanced)!, stateWith({ A: true, B: false }), 'drain', 'B')).toBeUndefined();
    expect(overrideRisk(S1(balanced)!, stateWith({ A: true, B: false }, { A: { action: 'drain', by: 'bob', at: 't' } }), 'halt', 'A')).toBeUndefined();
    expect(overrideRisk(S1(balanced)!, stateWith({ A: true, B: false }), 'online', 'A')).toBeUndefined();
    // Nothing is up: ELB may still route to whatever it has (fail-open), so the last one not taken out counts.
    expect(overrideRisk(S1(balanced)!, stateWith({ A: false, B: false }), 'drain', 'A')).toBeUndefined();
    expect(overrideRisk(S1(balanced)!, stateWith({ A: false, B: false }, { B: { action: 'drain', by: 'bob', at: 't' } }), 'drain', 'A')?.consequence).toMatch(
      /no server to take new connections \(B drained by bob\) \(no server is up: ELB may still be routing to it, fail-open\)$/,
    );
  });

  test('applyOperatorAction refuses a risky request unless forced, and audits the forced one as such', () => {
    const start = stateWith({ A: true, B: false });
    const request = { action: 'halt' as const, service: 'S1', target: 'A', by: 'alice', at: AT, reason: 'ransomware' };
    const refused = () => applyOperatorAction(balanced, start, request);
    expect(refused).toThrow(OverrideRefusedError);
    expect(refused).toThrow('refused: halting S1/A leaves service S1 with no server to take new connections (B down). Add --force to halt it anyway.');
    const forced = applyOperatorAction(balanced, start, { ...request, force: true });
    expect(forced.changed).toBe(true);
    expect(forced.audit).toEqual({ who: 'alice', when: AT.toISOString(), action: 'halt', service: 'S1', target: 'A', reason: 'ransomware', forced: true });
  });

  test('names match regardless of case; state and audit carry the names as the config spells them', () => {
    const result = applyOperatorAction(makeConfig(), emptyState(), { action: 'drain', service: 's1', target: 'b', by: 'alice', at: AT });
    expect(result.state.services.S1!.overrides.B).toMatchObject({ action: 'drain', by: 'alice' });
    expect(result.audit).toMatchObject({ service: 'S1', target: 'B' });
  });

  test('did-you-mean finds a close name (case, a typo, a prefix) and nothing for a far one', () => {
    const known = ['DICOM-Modalities', 'HL7', 'XDS-Registry', 'XDS-Repository'];
    expect(closestName('dicom-modalitys', known)).toBe('DICOM-Modalities');
    expect(closestName('DICOM', known)).toBe('DICOM-Modalities');
    expect(closestName('HL8', known)).toBe('HL7');
    expect(closestName('PACS', known)).toBeUndefined();
  });
});
