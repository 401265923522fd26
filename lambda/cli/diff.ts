/**
 * `medlb diff`: run before `cdk deploy`. Compares the newly synthesized template with the deployed one
 * (@aws-cdk/cloudformation-diff, the CDK CLI's own diff engine) and refuses when the deploy would replace or
 * delete what holds traffic: a target group (its listener would switch to a new, empty group at once), a load
 * balancer (its replacement cannot be created while the old one holds the static VIPs), a listener, or a load
 * balancer's security group. Each finding names the resource, the property that forces the replacement and the
 * site field behind it, traced through the construct path metadata (`aws:cdk:path`). Migration: README "Deploying".
 *
 * Exit codes (docs/architecture.md#cli): 0 no replacement (or `--allow-replacement`); 1 a replacement was found — a failed
 * pre-deploy check, like a failed preflight; 2 usage or input errors (unreadable template, stack not found, a site
 * that does not synthesize).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fullDiff, ResourceImpact, type ResourceDifference } from '@aws-cdk/cloudformation-diff';
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { z } from 'zod';
import { loadSiteFile } from '../../lib/site';
import { awsClientConfig, type AwsClientOptions } from '../adapters/aws-client-config';
import { explainMissingRegion } from '../adapters/aws-retry';
import { AWS_OPTIONS, awsOptionsOf, EXIT, InputFileError, parseCommandArgs, runCommand, UsageError, writeOut } from './common';

const USAGE = `usage: medlb diff (--template FILE | --site FILE | -c site=FILE) (--stack NAME | --deployed FILE) [--allow-replacement]
  --template FILE       a synthesized template (cdk.out/Medlb-<site>.template.json); add --site FILE to name site fields by index
  --site FILE, -c site=FILE   synthesize this site (npx cdk synth) and compare its template
  --stack NAME          the deployed template, from CloudFormation GetTemplate (standard AWS SDK environment)
  --deployed FILE       the deployed template from a file (offline)
  --allow-replacement   report replacements but exit 0 (after following the README's migration steps)
  --region R, --profile P   as in the AWS CLI (default: the standard AWS SDK chain)
exit codes: 0 no replacement (or allowed); 1 a resource holding traffic would be replaced or deleted; 2 usage or input error`;

const OPTIONS = {
  template: { type: 'string' },
  site: { type: 'string' },
  context: { type: 'string', short: 'c' },
  stack: { type: 'string' },
  deployed: { type: 'string' },
  'allow-replacement': { type: 'boolean' },
  ...AWS_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

/** The parts of a CloudFormation template this command reads. */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnResource>>;
  readonly [key: string]: unknown;
}
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Metadata?: Readonly<Record<string, unknown>>;
}

const CfnResourceSchema = z.looseObject({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).optional(),
  Metadata: z.record(z.string(), z.unknown()).optional(),
});
const CfnTemplateSchema = z.looseObject({ Resources: z.record(z.string(), CfnResourceSchema) });
/** `{ "Fn::GetAtt": [logicalId, attribute] }` and `{ "Ref": logicalId }`. */
const GetAttSchema = z.object({ 'Fn::GetAtt': z.tuple([z.string()]).rest(z.unknown()) });
const RefSchema = z.object({ Ref: z.string() });
const SubnetMappingSchema = z.object({ PrivateIPv4Address: z.string() });
const CloudAssemblyManifestSchema = z.object({
  artifacts: z.record(z.string(), z.object({ type: z.string().optional(), properties: z.object({ templateFile: z.string().optional() }).optional() })).optional(),
});

/** A resource as cloudformation-diff hands it over (untyped), or undefined when absent or not a resource. */
function cfnResourceOf(value: unknown): CfnResource | undefined {
  return CfnResourceSchema.safeParse(value).data;
}

function asUnknown(value: unknown): unknown {
  return value;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** What the command knows of the site, to name fields by index (`services[0].ports[1].targetPort`). */
export interface SiteOutline {
  readonly services: readonly { readonly label: string; readonly id?: string; readonly ports: readonly { readonly port: number }[] }[];
  readonly viewer?: { readonly label: string; readonly id?: string };
}

/** One resource holding traffic that the deploy would replace or delete. */
export interface TrafficReplacement {
  /** `replace` (same logical id), `may-replace` (CloudFormation decides at deploy time), `rename` (deleted and created under a new logical id) or `remove`. */
  readonly kind: 'replace' | 'may-replace' | 'rename' | 'remove';
  readonly type: string;
  readonly logicalId: string;
  /** The logical id it is re-created under (`rename`). */
  readonly newLogicalId?: string;
  /** Construct path below the stack, e.g. `DICOM-Modalities/TargetGroup104`. */
  readonly path?: string;
  /** Properties that force the replacement, with their values. */
  readonly properties: readonly { readonly name: string; readonly oldValue: unknown; readonly newValue: unknown }[];
  /** Site fields behind it. */
  readonly siteFields: readonly string[];
  /** What the replacement would do to traffic, and what to do instead. */
  readonly effect: string;
}

const TRAFFIC_TYPES = new Set([
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
]);

/** Security groups that a load balancer of the template uses (`SecurityGroups: [{Fn::GetAtt: [id, GroupId]}]`). */
function loadBalancerSecurityGroups(template: CfnTemplate): Set<string> {
  const groups = new Set<string>();
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::ElasticLoadBalancingV2::LoadBalancer') continue;
    for (const reference of listOf(resource.Properties?.SecurityGroups)) {
      const getAtt = GetAttSchema.safeParse(reference);
      if (getAtt.success) groups.add(getAtt.data['Fn::GetAtt'][0]);
      const ref = RefSchema.safeParse(reference);
      if (ref.success) groups.add(ref.data.Ref);
    }
  }
  return groups;
}

function holdsTraffic(logicalId: string, resource: CfnResource | undefined, balancerGroups: Set<string>): boolean {
  if (!resource) return false;
  return TRAFFIC_TYPES.has(resource.Type) || (resource.Type === 'AWS::EC2::SecurityGroup' && balancerGroups.has(logicalId));
}

/** `aws:cdk:path` without the stack and the trailing `Resource`: `DICOM-Modalities/TargetGroup104`. */
function constructPathOf(resource: CfnResource | undefined): string | undefined {
  const path = resource?.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') return undefined;
  return path.split('/').slice(1).filter((part, index, parts) => !(index === parts.length - 1 && part === 'Resource')).join('/');
}

function vipsOf(resource: CfnResource | undefined): string[] {
  return listOf(resource?.Properties?.SubnetMappings).flatMap((mapping) => {
    const parsed = SubnetMappingSchema.safeParse(mapping);
    return parsed.success ? [parsed.data.PrivateIPv4Address] : [];
  });
}

/** How a construct-path component (a service's `id ?? label`) is named in the site. */
function poolFieldOf(component: string, site: SiteOutline | undefined): { path: string; isViewer: boolean; index?: number } {
  if (site) {
    const index = site.services.findIndex((service) => (service.id ?? service.label) === component);
    if (index >= 0) return { path: `services[${index}]`, isViewer: false, index };
    if (site.viewer && (site.viewer.id ?? site.viewer.label) === component) return { path: 'viewer', isViewer: true };
  }
  return { path: `services[${component}]`, isViewer: false };
}

/** The first segment of a construct path: the service (or viewer) the resource belongs to. */
function componentOf(path: string): string {
  const [component = ''] = path.split('/');
  return component;
}

/** The site field behind one replacement-forcing property of a resource at `path`. */
function siteFieldOf(type: string, property: string, path: string | undefined, site: SiteOutline | undefined, viewerComponents: Set<string>): string {
  if (path === undefined) return 'not traced: the template has no aws:cdk:path metadata';
  // split() returns at least one element, so the default never applies to `component`.
  const [component = '', child = ''] = path.split('/');
  const pool = viewerComponents.has(component) && !site ? { path: 'viewer', isViewer: true, index: undefined } : poolFieldOf(component, site);
  if (property === 'VpcId') return 'network (the VPC)';
  if (type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && property === 'Port') {
    if (pool.isViewer) return 'viewer.targetPort';
    const listenerPort = Number(/^TargetGroup(\d+)$/.exec(child)?.[1]);
    const service = pool.index === undefined ? undefined : site?.services[pool.index];
    const portIndex = service === undefined ? -1 : service.ports.findIndex((port) => port.port === listenerPort);
    return `${pool.path}.ports[${portIndex >= 0 ? portIndex : `port ${listenerPort}`}].targetPort`;
  }
  if (type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && (property === 'SubnetMappings' || property === 'Subnets')) {
    return pool.isViewer ? 'viewer.staticVip' : `${pool.path}.vip`;
  }
  if (type === 'AWS::ElasticLoadBalancingV2::Listener' && property === 'LoadBalancerArn') return `${pool.path} (follows its load balancer)`;
  if (type === 'AWS::EC2::SecurityGroup' && property === 'GroupDescription') return `${pool.path}.id / label (the group description names it)`;
  return `none: ${property} is set by medlb itself (a changed medlb version), not by the site`;
}

const MIGRATION = 'README "Deploying" has the migration steps';

function effectOf(type: string, kind: TrafficReplacement['kind']): string {
  if (kind === 'remove') return `deleted: clients of this ${type.split('::').pop()} lose it; if that is intended, pass --allow-replacement`;
  switch (type) {
    case 'AWS::ElasticLoadBalancingV2::TargetGroup':
      return (
        'the listener switches to a new, EMPTY target group at once: connections are refused until the controller has ' +
        "registered the servers and they passed the NLB's initial checks (a group is checked only once a listener uses it, " +
        `so it cannot be warmed up); ${MIGRATION} (serve a second port in parallel, then switch)`
      );
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return (
        'CloudFormation creates the replacement before it deletes the old load balancer, which still holds the static ' +
        'VIPs: with the same PrivateIPv4Address the create fails and the stack rolls back; with other addresses every ' +
        `client configured with the old VIP loses the service; ${MIGRATION} (the two-step move of the VIPs)`
      );
    case 'AWS::ElasticLoadBalancingV2::Listener':
    case 'AWS::ElasticLoadBalancingV2::ListenerRule':
      return `a second listener on the same port cannot be created while the old one exists, and a replaced load balancer takes its listeners along; ${MIGRATION}`;
    default:
      return `the load balancer's security group is re-created and swapped: rules and references to the old group id are lost in between; ${MIGRATION}`;
  }
}

/** Every replacement or deletion of a resource holding traffic when `deployed` is updated to `synthesized`. */
export function findTrafficReplacements(deployed: CfnTemplate, synthesized: CfnTemplate, site?: SiteOutline): TrafficReplacement[] {
  const diff = fullDiff(deployed, synthesized);
  const oldGroups = loadBalancerSecurityGroups(deployed);
  const newGroups = loadBalancerSecurityGroups(synthesized);
  const viewerComponents = new Set<string>();
  for (const template of [deployed, synthesized]) {
    for (const resource of Object.values(template.Resources ?? {})) {
      const path = constructPathOf(resource);
      if (path && resource.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && resource.Properties?.Type === 'application') {
        viewerComponents.add(componentOf(path));
      }
    }
  }
  const found: TrafficReplacement[] = [];
  const removed: { logicalId: string; resource: CfnResource }[] = [];
  const added = new Map<string, { logicalId: string; resource: CfnResource }>();
  diff.resources.forEachDifference((logicalId: string, change: ResourceDifference) => {
    const oldResource = cfnResourceOf(change.oldValue);
    const newResource = cfnResourceOf(change.newValue);
    if (change.isAddition) {
      const path = constructPathOf(newResource);
      if (path && newResource && holdsTraffic(logicalId, newResource, newGroups)) added.set(`${newResource.Type} ${path}`, { logicalId, resource: newResource });
      return;
    }
    if (change.isRemoval) {
      if (oldResource && holdsTraffic(logicalId, oldResource, oldGroups)) removed.push({ logicalId, resource: oldResource });
      return;
    }
    const impact = change.changeImpact;
    if (impact !== ResourceImpact.WILL_REPLACE && impact !== ResourceImpact.MAY_REPLACE) return;
    if (!holdsTraffic(logicalId, oldResource, oldGroups) && !holdsTraffic(logicalId, newResource, newGroups)) return;
    const path = constructPathOf(newResource) ?? constructPathOf(oldResource);
    const properties = Object.entries(change.propertyUpdates)
      .filter(([, update]) => update.changeImpact === ResourceImpact.WILL_REPLACE || update.changeImpact === ResourceImpact.MAY_REPLACE)
      // cloudformation-diff types property values as any; they are template values of any shape.
      .map(([name, update]) => ({ name, oldValue: asUnknown(update.oldValue), newValue: asUnknown(update.newValue) }));
    if (properties.length === 0 && oldResource?.Type !== newResource?.Type) {
      properties.push({ name: 'Type', oldValue: oldResource?.Type, newValue: newResource?.Type });
    }
    const type = newResource?.Type ?? oldResource?.Type ?? '(no type)';
    found.push({
      kind: impact === ResourceImpact.WILL_REPLACE ? 'replace' : 'may-replace',
      type,
      logicalId,
      path,
      properties,
      siteFields: [...new Set(properties.map((property) => siteFieldOf(type, property.name, path, site, viewerComponents)))],
      effect: effectOf(type, 'replace'),
    });
  });

  // A renamed service (or viewer) re-creates everything under new logical ids. Pair its load balancers by their
  // static VIPs, then every other resource by its place below the service.
  const renamedComponents = new Map<string, string>();
  for (const { resource } of removed) {
    if (resource.Type !== 'AWS::ElasticLoadBalancingV2::LoadBalancer') continue;
    const vips = new Set(vipsOf(resource));
    const oldPath = constructPathOf(resource);
    for (const candidate of added.values()) {
      const newPath = constructPathOf(candidate.resource);
      if (candidate.resource.Type === resource.Type && oldPath && newPath && vipsOf(candidate.resource).some((ip) => vips.has(ip))) {
        renamedComponents.set(componentOf(oldPath), componentOf(newPath));
      }
    }
  }
  for (const { logicalId, resource } of removed) {
    const path = constructPathOf(resource);
    const [component = '', ...rest] = (path ?? '').split('/');
    const newComponent = renamedComponents.get(component);
    const partner = newComponent === undefined ? undefined : added.get(`${resource.Type} ${[newComponent, ...rest].join('/')}`);
    if (partner && newComponent !== undefined) {
      const pool = poolFieldOf(newComponent, site);
      const field = site && ((pool.isViewer ? site.viewer?.id : pool.index !== undefined ? site.services[pool.index]?.id : undefined) !== undefined) ? 'id' : 'label';
      found.push({
        kind: 'rename',
        type: resource.Type,
        logicalId,
        newLogicalId: partner.logicalId,
        path,
        properties: [],
        siteFields: [`${pool.path}.${field} (was "${component}", now "${newComponent}"): set ${pool.path}.id: "${component}" to keep the resources`],
        effect: effectOf(resource.Type, 'rename'),
      });
    } else {
      found.push({
        kind: 'remove',
        type: resource.Type,
        logicalId,
        path,
        properties: [],
        siteFields: path === undefined ? [] : [`${poolFieldOf(component, site).path} (${rest.join('/') || 'the service'} is no longer in the site)`],
        effect: effectOf(resource.Type, 'remove'),
      });
    }
  }
  return found;
}

function renderValue(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** The report printed on stdout. */
function renderReplacements(found: readonly TrafficReplacement[], allowed: boolean): string {
  if (found.length === 0) return 'no replacement: no load balancer, listener, target group or load-balancer security group is replaced or deleted';
  const lines: string[] = [];
  for (const item of found) {
    const verb = { replace: 'REPLACE', 'may-replace': 'MAY REPLACE', rename: 'REPLACE (new logical id)', remove: 'DELETE' }[item.kind];
    lines.push(`${verb} ${item.type} ${item.logicalId}${item.newLogicalId ? ` -> ${item.newLogicalId}` : ''}${item.path ? ` (${item.path})` : ''}`);
    if (item.kind === 'rename') lines.push('  property: none — its construct path, and so its logical id, changed');
    for (const property of item.properties) {
      lines.push(`  property: ${property.name} ${renderValue(property.oldValue)} -> ${renderValue(property.newValue)} (forces replacement)`);
    }
    for (const field of item.siteFields) lines.push(`  site field: ${field}`);
    lines.push(`  effect: ${item.effect}`);
  }
  lines.push(
    allowed
      ? `allowed (--allow-replacement): ${found.length} replacement(s) or deletion(s) of resources holding traffic`
      : `refused: ${found.length} replacement(s) or deletion(s) of resources holding traffic; migrate as README "Deploying" describes, or pass --allow-replacement`,
  );
  return lines.join('\n');
}

function readTemplateFile(path: string, what: string): CfnTemplate {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputFileError(`${what} ${path} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseTemplate(text, `${what} ${path}`);
}

function parseTemplate(text: string, source: string): CfnTemplate {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(`${source} is not a JSON CloudFormation template: ${err instanceof Error ? err.message : String(err)}`);
  }
  const template = CfnTemplateSchema.safeParse(parsed);
  if (!template.success) throw new InputFileError(`${source} is not a CloudFormation template (no Resources, or a resource without a Type)`);
  return template.data;
}

/** The deployed template, as CloudFormation keeps it (GetTemplate, stage Original). */
async function deployedTemplateOf(stackName: string, aws: AwsClientOptions, env: NodeJS.ProcessEnv): Promise<CfnTemplate> {
  const client = explainMissingRegion(new CloudFormationClient(awsClientConfig(aws, env)));
  try {
    const { TemplateBody } = await client.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }));
    if (!TemplateBody) throw new InputFileError(`stack ${stackName} returned no template`);
    return parseTemplate(TemplateBody, `the template of stack ${stackName}`);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(`the template of stack ${stackName} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    client.destroy();
  }
}

/** Synthesizes a site with the project's CDK app (as `cdk deploy -c site=FILE` will) and returns its template. */
function synthesizeSite(siteFile: string): CfnTemplate {
  const projectRoot = resolve(__dirname, '..', '..');
  const outdir = mkdtempSync(join(tmpdir(), 'medlb-diff-'));
  try {
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-c', `site=${resolve(siteFile)}`, '-o', outdir], {
      cwd: projectRoot,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: '1' },
      // cdk's output (and any site problem) goes to our stderr: stdout carries only the report.
      stdio: ['ignore', 2, 2],
    });
    if (result.status !== 0) throw new InputFileError(`site ${siteFile} did not synthesize (cdk synth exited ${result.status ?? result.signal})`);
    const manifest = CloudAssemblyManifestSchema.parse(JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')));
    const stack = Object.values(manifest.artifacts ?? {}).find((artifact) => artifact.type === 'aws:cloudformation:stack');
    if (!stack?.properties?.templateFile) throw new InputFileError(`site ${siteFile} synthesized no stack`);
    return readTemplateFile(join(outdir, stack.properties.templateFile), 'synthesized template');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function siteOutlineOf(siteFile: string): SiteOutline {
  try {
    return loadSiteFile(siteFile);
  } catch (err) {
    throw new InputFileError(err instanceof Error ? err.message : String(err));
  }
}

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand(USAGE, async () => {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, true);
    if (values.help) {
      writeOut(USAGE);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.context !== undefined && !values.context.startsWith('site=')) throw new UsageError(`-c takes site=FILE, not '${values.context}'`);
    const siteFile = values.site ?? values.context?.slice('site='.length);
    if (values.site !== undefined && values.context !== undefined) throw new UsageError('give the site once: --site FILE or -c site=FILE');
    if (siteFile === '') throw new UsageError('--site needs a file');
    if (values.template === undefined && siteFile === undefined) throw new UsageError('give the new template: --template FILE, or a site to synthesize with --site FILE');
    if ((values.stack === undefined) === (values.deployed === undefined)) throw new UsageError('give the deployed template: --stack NAME or --deployed FILE (one of them)');

    const site = siteFile === undefined ? undefined : siteOutlineOf(siteFile);
    const synthesized = values.template !== undefined ? readTemplateFile(values.template, 'template') : synthesizeSite(given(siteFile, '--site'));
    const deployed =
      values.deployed !== undefined
        ? readTemplateFile(values.deployed, 'deployed template')
        : await deployedTemplateOf(given(values.stack, '--stack'), awsOptionsOf(values), env);
    const found = findTrafficReplacements(deployed, synthesized, site);
    const allowed = values['allow-replacement'] === true;
    writeOut(renderReplacements(found, allowed));
    return found.length === 0 || allowed ? EXIT.ok : EXIT.serviceFailed;
  });
}

/** An option the checks above have already required. */
function given(value: string | undefined, option: string): string {
  if (value === undefined) throw new UsageError(`${option} is required`);
  return value;
}
