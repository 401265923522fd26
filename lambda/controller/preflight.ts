/**
 * Preflight (docs/architecture.md#cli): every service's configured check, run once against each of its real
 * servers — static ones and, when an EC2 client is given, the instances discovery finds now — concurrently and
 * through the round's own probe path (./target-check.ts: the same options, timeouts and certificates).
 *
 * It reads the controller config and, for discovery, EC2. It writes nothing: no ELB call at all, no state, no
 * audit record, no metric. `medlb preflight <site>` runs it on the operator's machine; `medlb preflight --stack`
 * asks the deployed controller to run it from its own subnets (the handler's `{ "preflight": true }` event).
 */
import { DEFAULT_XDS_TRANSACTION } from '../../contract/check';
import type { ControllerConfig, ServiceConfig, TargetConfig } from '../../contract/controller-config';
import { DEFAULT_CALLED_AE_TITLE, DEFAULT_CALLING_AE_TITLE } from '../probes/dicom/dicom-defaults';
import { DEFAULT_HL7_MESSAGE_TYPE, DEFAULT_HTTP_PATH } from '../probes/probe-defaults';
import { discoveredTargets, sourceText, type ResolvedTarget } from '../reconcile/discovery';
import type { InstanceDiscoveryPort } from '../reconcile/ports';
import type { DiscoveredInstance } from '../reconcile/state';
import { mapConcurrent } from './concurrency';
import { ROUND_DEFAULTS } from './round-defaults';
import { loadDefaultProbe, probeTarget, targetCheckOf, type ProbeFunction } from './target-check';

/** One server's verdict. */
export interface PreflightResult {
  readonly service: string;
  /** The real server's label (a discovered instance: its Name tag, as the round names it). */
  readonly server: string;
  /** Where the probe went: `ip:port`. */
  readonly address: string;
  /** `static`, `instance i-…` or `tags Key=v,…` (as `medlb status` shows it). */
  readonly source: string;
  /** The check in a few words, e.g. `dicom MEDLB→PACS tls`. */
  readonly check: string;
  readonly healthy: boolean;
  readonly reason: string;
  readonly latencyMs: number;
}

/** Something about a service other than a server's verdict: discovery skipped, failed, or an instance left out. */
export interface PreflightNote {
  readonly service: string;
  readonly message: string;
  /** True when it means some servers could not be checked (discovery failed): the preflight does not pass. */
  readonly failed: boolean;
}

/** What a preflight found; the same shape whether it ran here or in the controller. */
export interface PreflightReport {
  /** Where the probes came from: this machine, or the deployed controller's subnets. */
  readonly ranFrom: 'local' | 'controller';
  /** ISO 8601 start. */
  readonly at: string;
  /** Every server checked passed, and no note failed. */
  readonly ok: boolean;
  readonly results: readonly PreflightResult[];
  readonly notes: readonly PreflightNote[];
}

/** EC2 discovery for the preflight: a client, or why there is none (no credentials, no region, no VPC yet). */
export type PreflightDiscovery = { readonly port: InstanceDiscoveryPort } | { readonly skipped: string };

/** Inputs of {@link runPreflight}. */
export interface PreflightProps {
  readonly config: ControllerConfig;
  /** EC2 discovery for services with a `discovery` block. @default skipped: "no EC2 client" */
  readonly discovery?: PreflightDiscovery;
  /** @default the probe library */
  readonly probe?: ProbeFunction;
  /** Probes in flight at once. @default the round's */
  readonly concurrency?: number;
  /** @default 'local' */
  readonly ranFrom?: PreflightReport['ranFrom'];
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** Thrown by a discovery port when discovery cannot run at all (e.g. credentials that may not describe instances): a skip note, not a failure. */
export class DiscoverySkipped extends Error {
  override readonly name = 'DiscoverySkipped';
}

/** Runs every check once against every real server; never throws for a server's or EC2's failure. */
export async function runPreflight(props: PreflightProps): Promise<PreflightReport> {
  const at = (props.now ?? (() => new Date()))().toISOString();
  const probe = props.probe ?? loadDefaultProbe();
  const notes: PreflightNote[] = [];
  const resolved = await Promise.all(props.config.services.map((service) => resolveTargets(service, props.discovery, notes)));
  const jobs = resolved.flatMap(({ service, targets }) => targets.map((target) => ({ service, target })));
  const results = await mapConcurrent(jobs, props.concurrency ?? ROUND_DEFAULTS.probeConcurrency, async ({ service, target }): Promise<PreflightResult> => {
    const verdict = await probeTarget(probe, service, target);
    const { target: address } = targetCheckOf(service, target);
    return {
      service: service.name,
      server: target.name,
      address: `${address.host}:${address.port}`,
      source: sourceText(service, target),
      check: checkSummary(service.check),
      healthy: verdict.healthy,
      reason: verdict.reason,
      latencyMs: Math.round(verdict.latencyMs * 10) / 10,
    };
  });
  const ok = results.every((result) => result.healthy) && !notes.some((note) => note.failed);
  return { ranFrom: props.ranFrom ?? 'local', at, ok, results, notes };
}

/** A service's static targets followed by the instances EC2 reports now (named as the round names them). */
async function resolveTargets(
  service: ServiceConfig,
  discovery: PreflightDiscovery | undefined,
  notes: PreflightNote[],
): Promise<{ service: ServiceConfig; targets: readonly ResolvedTarget[] }> {
  const staticTargets: readonly TargetConfig[] = service.targets;
  if (service.discovery === undefined) return { service, targets: staticTargets };
  if (discovery === undefined || 'skipped' in discovery) {
    const why = discovery?.skipped ?? 'no EC2 client';
    notes.push({ service: service.name, message: `EC2 discovery skipped (${why}): only the static servers were checked`, failed: false });
    return { service, targets: staticTargets };
  }
  try {
    const instances = await discovery.port.describeInstances(service.discovery);
    const found = instances.map(
      (i): DiscoveredInstance => ({
        instanceId: i.instanceId,
        ...(i.name !== undefined ? { nameTag: i.name } : {}),
        privateIp: i.privateIp,
        ...(i.availabilityZone !== undefined ? { availabilityZone: i.availabilityZone } : {}),
        matchedBy: i.matchedById ? 'instance-id' : 'tags',
      }),
    );
    const { targets, skipped } = discoveredTargets(staticTargets, found);
    notes.push({ service: service.name, message: `EC2 discovery found ${found.length} running instance(s)`, failed: false });
    for (const message of skipped) notes.push({ service: service.name, message, failed: false });
    return { service, targets: [...staticTargets, ...targets] };
  } catch (err) {
    if (err instanceof DiscoverySkipped) {
      notes.push({ service: service.name, message: `EC2 discovery skipped (${err.message}): only the static servers were checked`, failed: false });
      return { service, targets: staticTargets };
    }
    const message = err instanceof Error ? err.message : String(err);
    notes.push({ service: service.name, message: `EC2 discovery failed: ${message}; only the static servers were checked`, failed: true });
    return { service, targets: staticTargets };
  }
}

/** The check in a few words for the table: protocol, the identity it presents, TLS. */
function checkSummary(check: ServiceConfig['check']): string {
  const parts: string[] = [check.protocol];
  if (check.protocol === 'dicom') parts.push(`${check.callingAeTitle ?? DEFAULT_CALLING_AE_TITLE}→${check.calledAeTitle ?? DEFAULT_CALLED_AE_TITLE}`);
  if (check.protocol === 'hl7') parts.push(check.messageType ?? DEFAULT_HL7_MESSAGE_TYPE);
  if (check.protocol === 'xds') parts.push(check.transaction ?? DEFAULT_XDS_TRANSACTION);
  if (check.protocol === 'http' || check.protocol === 'https') parts.push(check.path ?? DEFAULT_HTTP_PATH);
  if (check.tls === true) parts.push('tls');
  return parts.join(' ');
}
