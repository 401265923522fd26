/**
 * A target with its own port (config `targets[].port`, the appliance's "real server port"): the reconciler knows a
 * target by address and port, registers it at its own port instead of its group's, counts it registered there,
 * and treats the same address at the group's port as a stray.
 */
import { parseControllerConfig, type ControllerConfig } from '../../contract/controller-config';
import type { ObservedTarget } from '../../lambda/reconcile/ports';
import { reconcile } from '../../lambda/reconcile/reconciler';
import { emptyState, type ControllerState } from '../../lambda/reconcile/state';
import { IP, TG3, verdictsOf } from './fixtures';

const NOW = new Date('2026-11-27T17:00:00.000Z');

/** S2: one target group (TG3 :2575); D on the group's port, E on its own port 3575. */
function config(): ControllerConfig {
  return parseControllerConfig({
    version: 1,
    services: [
      {
        name: 'S2',
        mode: 'balanced',
        rise: 2,
        fall: 2,
        check: { protocol: 'hl7', port: 2575, timeoutMs: 1000 },
        targetGroups: [{ arn: TG3, port: 2575 }],
        targets: [
          { name: 'D', ip: IP.D },
          { name: 'E', ip: IP.E, port: 3575 },
        ],
      },
    ],
  });
}

const upState = (): ControllerState => ({
  version: 2,
  services: { S2: { targets: { D: { passes: 3, failures: 0, up: true }, E: { passes: 3, failures: 0, up: true } }, overrides: {} } },
});

function round(observed: ObservedTarget[], probes: Record<string, boolean>, state: ControllerState = upState()) {
  return reconcile({ config: config(), verdicts: { S2: verdictsOf(probes) }, state, observed: { [TG3]: observed }, now: NOW });
}

describe('a target with its own port', () => {
  test('is registered at its own port, the others at the group port', () => {
    const result = round([], { D: true, E: true }, emptyState());
    expect(result.actions).toEqual([
      { service: 'S2', targetGroupArn: TG3, register: [{ ip: IP.D, port: 2575 }, { ip: IP.E, port: 3575 }], deregister: [] },
    ]);
  });

  test('registered and healthy at its own port: nothing to write, and the report counts it registered there', () => {
    const result = round(
      [
        { ip: IP.D!, port: 2575, state: 'healthy' },
        { ip: IP.E!, port: 3575, state: 'healthy' },
      ],
      { D: true, E: true },
    );
    expect(result.actions).toEqual([]);
    const e = result.services[0]!.targets.find((t) => t.name === 'E')!;
    expect(e.targetGroups).toEqual([{ targetGroupArn: TG3, port: 3575, state: 'healthy' }]);
    expect(e.registration).toBe('registered');
    expect(result.services[0]!.unknownTargets).toEqual([]);
  });

  test('its address at the group port is a stray: registered at its own port first, the stray leaves (at once when ELB reports it unhealthy)', () => {
    const result = round(
      [
        { ip: IP.D!, port: 2575, state: 'healthy' },
        { ip: IP.E!, port: 2575, state: 'unhealthy' },
      ],
      { D: true, E: true },
    );
    expect(result.actions).toEqual([
      { service: 'S2', targetGroupArn: TG3, register: [{ ip: IP.E, port: 3575 }], deregister: [{ ip: IP.E, port: 2575 }] },
    ]);
  });

  test('a down target leaves from its own port', () => {
    const state: ControllerState = {
      version: 2,
      services: { S2: { targets: { D: { passes: 3, failures: 0, up: true }, E: { passes: 0, failures: 1, up: true } }, overrides: {} } },
    };
    const result = round(
      [
        { ip: IP.D!, port: 2575, state: 'healthy' },
        { ip: IP.E!, port: 3575, state: 'healthy' },
      ],
      { D: true, E: false },
      state,
    );
    expect(result.actions).toEqual([{ service: 'S2', targetGroupArn: TG3, register: [], deregister: [{ ip: IP.E, port: 3575 }] }]);
  });

  test("the config refuses a target's own port in a service with several target groups", () => {
    expect(() =>
      parseControllerConfig({
        version: 1,
        services: [
          {
            name: 'S1',
            mode: 'balanced',
            rise: 2,
            fall: 2,
            check: { protocol: 'tcp', port: 104, timeoutMs: 1000 },
            targetGroups: [
              { arn: TG3.replace('hl7-2575', 'dicom-104'), port: 104 },
              { arn: TG3.replace('hl7-2575', 'dicom-11112'), port: 11112 },
            ],
            targets: [{ name: 'A', ip: IP.A, port: 1104 }],
          },
        ],
      }),
    ).toThrow(/services\[0\]\.targets\[0\]\.port: a target's own port needs a service with one target group; 'S1' has 2 \(ports 104, 11112\)/);
  });
});
