/**
 * `medlb preflight <site file>` and `medlb preflight --stack NAME` (docs/architecture.md#cli): the checks the
 * controller will run, before a deploy and whenever a vendor changes something.
 *
 * - With a site file: loads and validates it (every problem listed, exit 2), derives the controller config the
 *   stack would derive, resolves every real server — static ones, and EC2 discovery when this machine has
 *   credentials and a region for it (else a note says it was skipped and why) — and runs each service's check
 *   once against each server, concurrently, through the round's probe path (lambda/controller/preflight.ts).
 * - With `--stack`: invokes the deployed controller with `{ "preflight": true }`, which runs the same checks from
 *   its own subnets — the network path that matters — and writes nothing (no registration, no state).
 *
 * Client certificates (mutual TLS) come as they do for the controller — the secret a check names, read from Secrets
 * Manager with this machine's credentials — or from `--cert`/`--key` files used instead of those secrets
 * (lambda/controller/client-certificates.ts); either way through the probe wrapper the controller uses.
 *
 * Prints the table (120 columns; `--wide` every reason whole) or `--json` the report.
 * Exit 0 every server passed; 1 a server failed, discovery failed, or the controller failed or was busy;
 * 2 an invalid site file or usage.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { parseControllerConfig, type ControllerConfig } from '../../contract/controller-config';
import { messageOf } from '../../contract/thrown';
import { deriveControllerConfig, usesDiscovery, type OwnedTargetGroup } from '../../lib/controller-config';
import { loadSiteFile, SiteFileError, SiteValidationError, siteWarnings, type Site } from '../../lib/site';
import { awsClientConfig, type AwsClientOptions } from '../adapters/aws-client-config';
import { explainMissingRegion } from '../adapters/aws-retry';
import { createEc2Client, Ec2DiscoveryError, Ec2InstanceDiscovery } from '../adapters/ec2-discovery';
import { createSecretsManagerClient, SecretsManagerClientCertificates } from '../adapters/secrets-manager-client-certificates';
import {
  ClientCertificateCache,
  ClientCertificateError,
  readClientCertificateFiles,
  withClientCertificates,
  type ClientCertificateFiles,
  type ClientCertificateSource,
} from '../controller/client-certificates';
import { DiscoverySkipped, runPreflight, type PreflightDiscovery, type PreflightReport } from '../controller/preflight';
import { loadDefaultProbe, type ProbeFunction } from '../controller/target-check';
import { AWS_OPTIONS, awsOptionsOf, EXIT, InputFileError, parseCommandArgs, runCommand, UsageError, writeOut } from './common';
import { renderPreflight } from './preflight-render';
import { functionOf } from './run';

const USAGE = `usage: medlb preflight <site file> [--cert F --key F] [--json] [--wide] [--region R] [--profile P]
       medlb preflight --stack NAME [--json] [--wide] [--region R] [--profile P]
  runs every service's check once against every real server, as the controller would, and prints the table
  <site file>    a site (.json or .ts), validated first; EC2 discovery runs when this machine has credentials for it
  --cert F --key F   the client certificate (PEM chain, private key) to present instead of the secret a check names
  --stack NAME   the deployed controller runs the checks from its own subnets and writes nothing
  --json         the report as JSON;  --wide   every reason whole
exit codes: 0 every server passes; 1 a server fails (or discovery failed, or the controller was busy); 2 invalid site or usage`;

/** Where `runSiteFile` gets its probe and EC2 discovery; injected in tests. */
export interface LocalPreflightDeps {
  /** @default the probe library */
  readonly probe?: ProbeFunction;
  /** @default EC2 from the standard SDK chains, when credentials and a region resolve */
  readonly discovery?: (site: Site, aws: AwsClientOptions) => Promise<PreflightDiscovery>;
}

/** The controller config the stack would derive from `site`; target groups do not exist yet, so their ARNs are stand-ins (never called). */
function preflightConfigOf(site: Site): ControllerConfig {
  const groups = new Map<string, OwnedTargetGroup[]>();
  const standIn = (index: number, port: number): OwnedTargetGroup => ({ arn: `arn:aws:elasticloadbalancing:preflight:000000000000:targetgroup/preflight-${index}-${port}/none`, port });
  site.services.forEach((service, index) => groups.set(service.label, service.ports.map((mapping) => standIn(index, mapping.targetPort))));
  if (site.viewer) groups.set(site.viewer.label, [standIn(site.services.length, site.viewer.targetPort)]);
  return parseControllerConfig(deriveControllerConfig(site, groups), `site ${site.name}`);
}

/**
 * EC2 discovery from this machine: only when the site names its VPC (a VPC the stack creates has no id in the
 * site file) and credentials and a region resolve through the SDK's standard chains.
 */
async function localDiscovery(site: Site, aws: AwsClientOptions): Promise<PreflightDiscovery> {
  if (site.network.existingVpc === undefined) {
    return { skipped: "the stack creates the site's VPC, so the site file names no VPC to look in; `medlb preflight --stack NAME` discovers from the controller" };
  }
  const client = createEc2Client(process.env, aws);
  try {
    await client.config.region();
  } catch (err) {
    client.destroy();
    return { skipped: `no AWS region (${firstLineOf(err)})` };
  }
  try {
    await client.config.credentials();
  } catch (err) {
    client.destroy();
    return { skipped: `no AWS credentials (${firstLineOf(err)})` };
  }
  return { port: new NotAllowedAsSkipped(new Ec2InstanceDiscovery({ client, maxAttempts: 3 })) };
}

/** Credentials that may not call DescribeInstances are "credentials do not allow": the note says skipped, not failed. */
class NotAllowedAsSkipped {
  constructor(private readonly inner: Ec2InstanceDiscovery) {}
  async describeInstances(selector: Parameters<Ec2InstanceDiscovery['describeInstances']>[0]) {
    try {
      return await this.inner.describeInstances(selector);
    } catch (err) {
      if (err instanceof Ec2DiscoveryError && /^(UnauthorizedOperation|AccessDenied|AuthFailure)/.test(err.code)) throw new DiscoverySkipped(`these credentials may not call ec2:DescribeInstances (${err.code})`);
      throw err;
    }
  }
}

/**
 * The probe with the controller's client-certificate wrapper, when a check names a certificate: read from the
 * `--cert`/`--key` files when given (validated now: a bad pair stops the command), else from Secrets Manager.
 */
function probeWithCertificates(config: ControllerConfig, aws: AwsClientOptions, files: ClientCertificateFiles | undefined, probe: ProbeFunction | undefined): ProbeFunction | undefined {
  const named = config.services.filter((service) => service.check.clientCertificate !== undefined);
  if (files !== undefined && named.length === 0) process.stderr.write('medlb: no check of this site names a client certificate: --cert/--key are not used\n');
  if (named.length === 0) return probe;
  let source: ClientCertificateSource;
  if (files !== undefined) {
    const certificate = readClientCertificateFiles(files);
    source = { read: () => Promise.resolve(certificate) };
  } else {
    source = new SecretsManagerClientCertificates(createSecretsManagerClient(aws));
  }
  return withClientCertificates(probe ?? loadDefaultProbe(), new ClientCertificateCache({ source }));
}

/** `medlb preflight <site file>`: validates, probes, prints; returns the exit code. */
export async function runSiteFile(
  path: string,
  options: { json: boolean; wide: boolean; aws: AwsClientOptions; clientCertificateFiles?: ClientCertificateFiles },
  deps: LocalPreflightDeps = {},
): Promise<number> {
  let site: Site;
  try {
    site = loadSiteFile(path);
  } catch (err) {
    if (err instanceof SiteValidationError || err instanceof SiteFileError) {
      process.stderr.write(`medlb: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  for (const warning of siteWarnings(site)) process.stderr.write(`WARNING ${warning.path}: ${warning.message}\n`);
  const config = preflightConfigOf(site);
  let probe: ProbeFunction | undefined;
  try {
    probe = probeWithCertificates(config, options.aws, options.clientCertificateFiles, deps.probe);
  } catch (err) {
    if (!(err instanceof ClientCertificateError)) throw err;
    process.stderr.write(`medlb: ${err.message}\n`);
    return EXIT.usage;
  }
  const discovery = usesDiscovery(site) ? await (deps.discovery ?? localDiscovery)(site, options.aws) : undefined;
  const report = await runPreflight({ config, ...(discovery ? { discovery } : {}), ...(probe ? { probe } : {}), ranFrom: 'local' });
  return print(report, { ...options, subject: `site ${site.name}` });
}

/** The clients `--stack` uses; injected in tests. */
export interface StackPreflightClients {
  readonly cloudFormation: CloudFormationClient;
  readonly lambda: LambdaClient;
}

/**
 * The event that asks the controller for a preflight (lambda/handler.ts). `maxRounds: 0` is for a controller
 * deployed before preflight existed: it ignores `preflight` and would run a minute of rounds, but runs none when
 * told 0 — so this event never makes a controller write, and the missing report says to redeploy.
 */
const PREFLIGHT_EVENT = { preflight: true, maxRounds: 0 } as const;

/** `medlb preflight --stack NAME`: the deployed controller runs the checks; returns the exit code after printing. */
export async function runOnStack(stackName: string, options: { json: boolean; wide: boolean }, clients: StackPreflightClients): Promise<number> {
  const functionName = await functionOf(stackName, clients.cloudFormation);
  let response;
  try {
    response = await clients.lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(PREFLIGHT_EVENT)) }),
    );
  } catch (err) {
    if (err instanceof Error && err.name === 'TooManyRequestsException') {
      process.stderr.write(`medlb: ${functionName} is busy (reserved concurrency 1: a scheduled invocation is running its rounds); try again when it ends, within a minute\n`);
      return EXIT.serviceFailed;
    }
    throw err;
  }
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  if (response.FunctionError) {
    process.stderr.write(`medlb: ${functionName} failed (${response.FunctionError}): ${text}\n`);
    return EXIT.serviceFailed;
  }
  const report = preflightReportIn(text);
  if (report === undefined) {
    throw new InputFileError(`${functionName} returned no preflight report (a controller deployed before preflight existed answers with zero rounds: redeploy it): ${text.slice(0, 200)}`);
  }
  return print(report, { ...options, subject: `stack ${stackName}` });
}

function print(report: PreflightReport, options: { json: boolean; wide: boolean; subject: string }): number {
  writeOut(options.json ? JSON.stringify(report, null, 2) : renderPreflight(report, { wide: options.wide, subject: options.subject }));
  return report.ok ? EXIT.ok : EXIT.serviceFailed;
}

/** The report in the controller's answer, or undefined when it holds none (an answer about rounds, or no JSON). */
function preflightReportIn(text: string): PreflightReport | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return undefined;
  }
  const report: unknown = typeof answer === 'object' && answer !== null ? Reflect.get(answer, 'preflight') : undefined;
  return isPreflightReport(report) ? report : undefined;
}

function isPreflightReport(value: unknown): value is PreflightReport {
  if (typeof value !== 'object' || value === null) return false;
  return Array.isArray(Reflect.get(value, 'results')) && Array.isArray(Reflect.get(value, 'notes')) && typeof Reflect.get(value, 'ok') === 'boolean';
}

/** The first line of what was thrown: SDK errors can run to several lines, a skip note is one. */
function firstLineOf(err: unknown): string {
  return messageOf(err).split('\n')[0] ?? '';
}

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        stack: { type: 'string' },
        json: { type: 'boolean' },
        wide: { type: 'boolean' },
        cert: { type: 'string' },
        key: { type: 'string' },
        ...AWS_OPTIONS,
        help: { type: 'boolean', short: 'h' },
      },
      true,
    );
    if (values.help) {
      writeOut(USAGE);
      return EXIT.ok;
    }
    const options = { json: values.json === true, wide: values.wide === true };
    const aws = awsOptionsOf(values);
    if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together: the client certificate chain and its private key, as PEM files');
    if (values.stack !== undefined) {
      if (values.cert !== undefined) throw new UsageError('--cert/--key are for a site file: with --stack the controller presents the certificate its checks name');
      if (positionals.length > 0) throw new UsageError(`give a site file or --stack, not both (got '${positionals[0]}')`);
      if (values.stack === '') throw new UsageError('--stack needs a value');
      const config = awsClientConfig(aws);
      const clients = { cloudFormation: explainMissingRegion(new CloudFormationClient(config)), lambda: explainMissingRegion(new LambdaClient(config)) };
      try {
        return await runOnStack(values.stack, options, clients);
      } finally {
        clients.cloudFormation.destroy();
        clients.lambda.destroy();
      }
    }
    const [path, extra] = positionals;
    if (path === undefined) throw new UsageError('missing the site file (or --stack NAME)');
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const files = values.cert !== undefined && values.key !== undefined ? { certificateFile: values.cert, keyFile: values.key } : undefined;
    return runSiteFile(path, { ...options, aws, ...(files ? { clientCertificateFiles: files } : {}) });
  });
}
