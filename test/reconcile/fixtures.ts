/** Shared builders for the reconcile tests: small configs, observations and verdicts. */
import type { ElbTargetState, ObservedTarget } from '../../lambda/reconcile/ports';
import { parseControllerConfig, type ControllerConfig } from '../../contract/controller-config';
import type { ProbeResult } from '../../lambda/probes/types';

export const TG1 = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/dicom-104/0123456789abcdef';
export const TG2 = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/dicom-11112/0123456789abcdef';
export const TG3 = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/hl7-2575/0123456789abcdef';

/** Targets A, B, C of service S1 live on 127.0.0.1..3; D, E of service S2 on 127.0.0.4..5. */
export const IP: Record<string, string> = { A: '127.0.0.1', B: '127.0.0.2', C: '127.0.0.3', D: '127.0.0.4', E: '127.0.0.5' };

export interface ServiceOptions {
  mode?: 'balanced' | 'failover';
  rise?: number;
  fall?: number;
  targets?: Array<string | { name: string; drained?: boolean; availabilityZone?: 'all' }>;
}

/** Config with S1 (TG1 :104, TG2 :11112) and, when asked, S2 (TG3 :2575, targets D, E). */
export function makeConfig(s1: ServiceOptions = {}, s2?: ServiceOptions): ControllerConfig {
  const targets = (list: ServiceOptions['targets'], fallback: string[]) =>
    (list ?? fallback).map((t) => (typeof t === 'string' ? { name: t, ip: IP[t] } : { ...t, ip: IP[t.name] }));
  const services: unknown[] = [
    {
      name: 'S1',
      mode: s1.mode ?? 'balanced',
      rise: s1.rise ?? 2,
      fall: s1.fall ?? 3,
      check: { protocol: 'tcp', port: 104, timeoutMs: 1000 },
      targetGroups: [
        { arn: TG1, port: 104 },
        { arn: TG2, port: 11112 },
      ],
      targets: targets(s1.targets, ['A', 'B', 'C']),
    },
  ];
  if (s2) {
    services.push({
      name: 'S2',
      mode: s2.mode ?? 'balanced',
      rise: s2.rise ?? 2,
      fall: s2.fall ?? 3,
      check: { protocol: 'hl7', port: 2575, timeoutMs: 1000 },
      targetGroups: [{ arn: TG3, port: 2575 }],
      targets: targets(s2.targets, ['D', 'E']),
    });
  }
  return parseControllerConfig({ version: 1, services });
}

export function pass(reason = 'connected'): ProbeResult {
  return { healthy: true, latencyMs: 1.5, reason };
}
export function fail(reason = 'connection refused'): ProbeResult {
  return { healthy: false, latencyMs: 0.5, reason };
}

/** `{A: true, B: false}` → verdicts of one service. */
export function verdictsOf(spec: Record<string, boolean>): Record<string, ProbeResult> {
  return Object.fromEntries(Object.entries(spec).map(([name, ok]) => [name, ok ? pass() : fail()]));
}

/** Observed registrations of targets (by name) in a target group at its port, e.g. `registered(TG1, 104, {A: 'healthy'})`. */
export function registered(port: number, spec: Record<string, ElbTargetState>): ObservedTarget[] {
  return Object.entries(spec).map(([name, state]) => ({ ip: IP[name] ?? name, port, state }));
}
