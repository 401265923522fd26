/**
 * Shared plumbing of the controller commands (reconcile, status, drain/halt/online): strict argument
 * parsing, loading the config and the state store, the ELB port from the standard SDK environment, and the
 * exit-code policy. stdout carries only a command's output; logs go to stderr as JSON lines.
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AwsClientOptions } from '../adapters/aws-client-config';
import { MissingRegionError } from '../adapters/aws-retry';
import { createEc2Client, Ec2InstanceDiscovery } from '../adapters/ec2-discovery';
import { createElbv2Client, Elbv2TargetGroups } from '../adapters/elbv2';
import { Elbv2FallbackRule } from '../adapters/elbv2-fallback-rule';
import { FileStateStore, StateFileError } from '../adapters/file-state-store';
import type { RoundLogger } from '../controller/round-logger';
import { ControllerConfigError, parseControllerConfig, type ControllerConfig } from '../../contract/controller-config';
import { StateFormatError } from '../reconcile/state';
import { messageOf } from '../../contract/thrown';

/** Exit codes of the controller commands (docs/architecture.md#cli). */
export const EXIT = {
  ok: 0,
  /** A service failed (target group not found, a write failed after retries). */
  serviceFailed: 1,
  /** Bad arguments, unreadable or invalid config or state (and, for status, an ELB view that could not be read). */
  usage: 2,
} as const;

/** The command line is wrong; the message names the bad argument. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A file named on the command line cannot be read. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
}

/** `--region` and `--profile`, as in the AWS CLI, on every command that talks to AWS. */
export const AWS_OPTIONS = {
  region: { type: 'string' },
  profile: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** The AWS part of parsed options (absent values are left to the standard SDK chain). */
export function awsOptionsOf(values: Record<string, unknown>): AwsClientOptions {
  const pick = (name: 'region' | 'profile') => {
    const value = values[name];
    if (value === undefined) return {};
    if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} needs a value`);
    return { [name]: value };
  };
  return { ...pick('region'), ...pick('profile') };
}

/** Options every controller command takes. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  'state-file': { type: 'string' },
  /** A deployed stack instead of --config/--state-file (its outputs name the state table holding the config). */
  stack: { type: 'string' },
  ...AWS_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** util.parseArgs in strict mode, its errors turned into {@link UsageError}. */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** The value of a required string option. */
export function requireOption(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`missing required option --${name}`);
  return value;
}

/** Reads and validates the controller config file. */
export async function loadConfigFile(path: string): Promise<ControllerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputFileError(`config file ${path} cannot be read: ${messageOf(err)}`);
  }
  return parseControllerConfig(text, path);
}

/** The local state store (a JSON file; missing = empty state, created on the first save). */
export function openStateStore(path: string): FileStateStore {
  return new FileStateStore(path);
}

/** The viewer's fallback-page rule, through the same ELBv2 client settings as {@link openElb}. */
export function openFallbackRules(aws: AwsClientOptions = {}): Elbv2FallbackRule {
  return new Elbv2FallbackRule(createElbv2Client(process.env, aws));
}

/** The ELB port: `--region`/`--profile`, then the standard SDK environment (region chain, AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, credentials). */
export function openElb(aws: AwsClientOptions = {}): Elbv2TargetGroups {
  return new Elbv2TargetGroups({ client: createElbv2Client(process.env, aws) });
}

/** EC2 discovery: `--region`/`--profile`, then the standard SDK environment (region chain, AWS_ENDPOINT_URL_EC2, credentials). */
export function openDiscovery(aws: AwsClientOptions = {}): Ec2InstanceDiscovery {
  return new Ec2InstanceDiscovery({ client: createEc2Client(process.env, aws) });
}

/** Who runs an operator command: `MEDLB_OPERATOR`, else the OS user. */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MEDLB_OPERATOR) return env.MEDLB_OPERATOR;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** JSON-lines logger on stderr; `MEDLB_LOG_LEVEL` (debug|info|warn|error) filters. @default warn */
export function stderrLogger(command: string, env: NodeJS.ProcessEnv = process.env): RoundLogger {
  const threshold = Object.entries(LEVELS).find(([name]) => name === env.MEDLB_LOG_LEVEL)?.[1] ?? LEVELS.warn;
  const write = (level: keyof typeof LEVELS) => (message: string, details?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), command, message, ...details })}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/** Writes the command's output to stdout. */
export function writeOut(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Runs a command body and maps failures to exit codes: usage, config and state problems → 2 with the message
 * on stderr; anything else unexpected → 1.
 */
export async function runCommand(usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`medlb: ${err.message}\n${usage}\n`);
      return EXIT.usage;
    }
    if (
      err instanceof ControllerConfigError ||
      err instanceof StateFormatError ||
      err instanceof StateFileError ||
      err instanceof InputFileError ||
      err instanceof MissingRegionError
    ) {
      process.stderr.write(`medlb: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`medlb: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.serviceFailed;
  }
}
