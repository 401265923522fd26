/**
 * The controller Lambda (docs/architecture.md#runtime): scheduled every minute with reserved concurrency 1, it runs a round
 * every `intervalSeconds` and returns about one interval before the next scheduled start, so invocations never
 * overlap. Every round emits the controller metrics (EMF, docs/architecture.md#metrics) and structured JSON logs; a failing service, or even a
 * failing round (state store unavailable), is logged and the next round still runs. Only an unusable setup
 * (environment, config) fails the invocation.
 *
 * Config delivery: the CDK app writes the controller config v1 into the state table at deploy time (item
 * `pk=CONFIG, sk=v1`, attribute `document` = JSON text; target-group ARNs are only known at deploy time and the
 * config can hold hundreds of targets, far beyond Lambda's 4 KB of environment variables). It is read at the
 * start of every invocation, so a redeploy takes effect at the next minute. A config file (environment
 * `MEDLB_CONFIG_PATH`, e.g. shipped in the asset) takes precedence when set.
 * Environment: contract/environment.ts (table, site — the `Site` dimension —, config file, audit TTL).
 * Event: a scheduled event's `time` bounds the invocation to its minute; the post-deploy event
 * (`source: "medlb.post-deploy"`) or `{ "maxRounds": n }` limits the rounds; `{ "preflight": true }` (`medlb preflight
 * --stack`) runs every check once from the controller's subnets and returns the results, writing nothing.
 */
import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { loadConfigFromTable } from '../contract/config-loader';
import { CONTROLLER_ENV, CONTROLLER_SERVICE_NAME, POST_DEPLOY_EVENT_SOURCE } from '../contract/environment';
import { DynamoDbStateStore } from './adapters/dynamodb-state-store';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { AuditLogCopy, withAuditCopy } from './adapters/audit-log-copy';
import { createEc2Client, Ec2InstanceDiscovery } from './adapters/ec2-discovery';
import { createElbv2Client, Elbv2TargetGroups } from './adapters/elbv2';
import { createControllerMetrics, publishRoundMetrics } from './adapters/metrics';
import type { FallbackRulePort, InstanceDiscoveryPort, TargetGroupPort } from './reconcile/ports';
import { Elbv2FallbackRule } from './adapters/elbv2-fallback-rule';
import { createSecretsManagerClient, SecretsManagerClientCertificates } from './adapters/secrets-manager-client-certificates';
import { ClientCertificateCache, withClientCertificates } from './controller/client-certificates';
import { probe } from './probes';
import type { StateStore } from './reconcile/ports';
import { ROUND_BUDGET, roundBudgetMs } from '../contract/round-budget';
import { followPendingSwitches } from './controller/pending-switches';
import { runPreflight, type PreflightReport } from './controller/preflight';
import { runRound } from './controller/round';
import type { ProbeFunction } from './controller/target-check';
import type { RoundLogger } from './controller/round-logger';
import { HANDLER_DEFAULTS } from './handler-defaults';
import { ControllerConfigError, parseControllerConfig, type ControllerConfig } from '../contract/controller-config';
import type { PendingDeregistration } from './reconcile/reconcile-types';
import { messageOf } from '../contract/thrown';

/** The parts of the Lambda context the controller uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** The invocation event: a scheduled event (with `time`), the post-deploy event, or a manual one. */
export interface ControllerEvent {
  /** Scheduled time (EventBridge), ISO 8601. */
  readonly time?: string;
  /** `medlb.post-deploy` for the round right after a deploy (one round only). */
  readonly source?: string;
  /** Stop after this many rounds. */
  readonly maxRounds?: number;
  /** Run no round: probe every real server once and return the results (no ELB call, no state, no metric). */
  readonly preflight?: boolean;
}

/** Everything an invocation uses; built once per container from the environment, injected in tests. */
export interface ControllerDependencies {
  /** Reads the current controller config (every invocation). */
  readonly loadConfig: () => Promise<ControllerConfig>;
  readonly site: string;
  readonly stateStore: StateStore;
  readonly elb: TargetGroupPort;
  /** The viewer's fallback-page rule. @default none: services with one report it unknown */
  readonly fallbackRules?: FallbackRulePort;
  /** EC2 discovery (services with a `discovery` block). @default none: such services fail */
  readonly discovery?: InstanceDiscoveryPort;
  readonly metrics: Metrics;
  readonly logger: RoundLogger;
  /** @default the probe library */
  readonly probe?: ProbeFunction;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default 60 000 */
  readonly schedulePeriodMs?: number;
  /** How often waiting make-before-break switches are re-read between rounds. @default 2 000 */
  readonly switchPollMs?: number;
}

/** What an invocation did (also logged). */
export interface InvocationResult {
  readonly rounds: number;
  /** Rounds in which at least one service failed. */
  readonly roundsWithFailures: number;
  /** Rounds that could not complete (e.g. the state store failed). */
  readonly roundsAborted: number;
  /** Why no round ran (the invocation started too late for one round's budget). */
  readonly skippedReason?: string;
}

/** What a preflight invocation returns (`medlb preflight --stack` renders it). */
export interface PreflightInvocationResult {
  readonly preflight: PreflightReport;
}

/** The Lambda's environment is incomplete. */
export class ControllerSetupError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`controller setup failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ControllerSetupError';
  }
}

/** Reads the config from a JSON file. */
export function configFromFile(path: string): () => Promise<ControllerConfig> {
  return async () => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new ControllerConfigError(path, [{ path: '', message: `cannot be read (${messageOf(err)})` }]);
    }
    return parseControllerConfig(text, path);
  };
}

/** Reads the config the deploy wrote into the state table (contract/config-loader.ts). */
export function configFromTable(client: DynamoDBDocumentClient, tableName: string): () => Promise<ControllerConfig> {
  return () => loadConfigFromTable(client, tableName);
}

/** Builds the dependencies from the environment; reports every problem at once. */
export function dependenciesFromEnvironment(env: NodeJS.ProcessEnv = process.env): ControllerDependencies {
  const problems: string[] = [];
  const tableName = env[CONTROLLER_ENV.tableName];
  const site = env[CONTROLLER_ENV.site];
  const configPath = env[CONTROLLER_ENV.configPath];
  const retentionText = env[CONTROLLER_ENV.auditRetentionSeconds];
  if (!tableName) problems.push(`${CONTROLLER_ENV.tableName} is not set (the DynamoDB state table)`);
  if (!site) problems.push(`${CONTROLLER_ENV.site} is not set (the Site metric dimension)`);
  const retentionSeconds = retentionText === undefined ? undefined : Number(retentionText);
  if (retentionSeconds !== undefined && !(retentionSeconds > 0)) problems.push(`${CONTROLLER_ENV.auditRetentionSeconds} must be a positive number of seconds, got '${retentionText}'`);
  const auditLogGroup = env[CONTROLLER_ENV.auditLogGroup];
  const auditLogStream = env[CONTROLLER_ENV.auditLogStream];
  if (Boolean(auditLogGroup) !== Boolean(auditLogStream)) problems.push(`${CONTROLLER_ENV.auditLogGroup} and ${CONTROLLER_ENV.auditLogStream} are set together or not at all`);
  const roleArn = env[CONTROLLER_ENV.roleArn];
  if (problems.length > 0 || !tableName || !site) throw new ControllerSetupError(problems);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const logger = new Logger({ serviceName: CONTROLLER_SERVICE_NAME, persistentKeys: { site } });
  const roundLogger: RoundLogger = {
    info: (message, details) => logger.info(message, details ?? {}),
    warn: (message, details) => logger.warn(message, details ?? {}),
    error: (message, details) => logger.error(message, details ?? {}),
  };
  return {
    loadConfig: configPath ? configFromFile(configPath) : configFromTable(client, tableName),
    site,
    // Every audit record also goes to the append-only copy, stamped with the controller's role.
    stateStore: withAuditCopy(
      new DynamoDbStateStore({
        client,
        tableName,
        ...(retentionSeconds !== undefined ? { auditRetentionDays: retentionSeconds / 86_400 } : {}),
      }),
      auditLogGroup && auditLogStream ? new AuditLogCopy({ client: new CloudWatchLogsClient({}), logGroupName: auditLogGroup, logStreamName: auditLogStream }) : undefined,
      roleArn ? { principal: roleArn, identity: 'controller-role' } : {},
    ),
    // Capped retries: every AWS call of a round is bounded, so the round budget is a number (contract/round-budget.ts).
    elb: new Elbv2TargetGroups({ client: createElbv2Client(env), maxAttempts: ROUND_BUDGET.awsMaxAttempts, retryBudgetMs: ROUND_BUDGET.awsRetryBudgetMs }),
    fallbackRules: new Elbv2FallbackRule(createElbv2Client(env)),
    discovery: new Ec2InstanceDiscovery({ client: createEc2Client(env), maxAttempts: ROUND_BUDGET.awsMaxAttempts, retryBudgetMs: ROUND_BUDGET.awsRetryBudgetMs }),
    metrics: createControllerMetrics(),
    logger: roundLogger,
    // Client certificates (mutual TLS) are read from Secrets Manager, kept for a TTL across rounds and invocations
    // of this container, and handed to the probes as data. The SDK client is only used when a check names a secret.
    probe: withClientCertificates(
      probe,
      new ClientCertificateCache({ source: new SecretsManagerClientCertificates(createSecretsManagerClient({}, env)), logger: roundLogger }),
    ),
  };
}

/**
 * Runs rounds every `intervalSeconds`. A round starts only when, by the clock, its budget (contract/round-budget.ts:
 * the longest check timeout plus bounded allowances) ends before the next scheduled start — the event's `time`
 * (or this invocation's start) + the schedule period — and before the Lambda's deadline; a round that ran late
 * moves the next one back rather than starting rounds back to back. Between rounds, make-before-break switches
 * that wait for a replacement are followed every few seconds (lambda/controller/pending-switches.ts), so both
 * servers take new connections for seconds, not an interval. Never throws for a round's failure; throws for an
 * unusable config.
 */
export async function runInvocation(deps: ControllerDependencies, context: InvocationContext, event: ControllerEvent = {}): Promise<InvocationResult> {
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const start = clock();
  const deadline = start + context.getRemainingTimeInMillis();
  const config = await deps.loadConfig();
  const intervalMs = config.intervalSeconds * 1000;
  const budgetMs = roundBudgetMs(Math.max(0, ...config.services.map((s) => s.check.timeoutMs)));
  const scheduled = event.time ? Date.parse(event.time) : NaN;
  const nextScheduledStart = (Number.isFinite(scheduled) ? scheduled : start) + (deps.schedulePeriodMs ?? HANDLER_DEFAULTS.schedulePeriodMs);
  const endBy = Math.min(deadline - ROUND_BUDGET.deadlineMarginMs, nextScheduledStart);
  const maxRounds = event.maxRounds ?? (event.source === POST_DEPLOY_EVENT_SOURCE ? 1 : Infinity);
  const follow = (pending: readonly PendingDeregistration[], until: number, thenWait: boolean) =>
    followSwitchesUntil({ deps, clock, sleep, pending, until, thenWait, pollMs: deps.switchPollMs ?? HANDLER_DEFAULTS.switchPollMs });

  let rounds = 0;
  let roundsWithFailures = 0;
  let roundsAborted = 0;
  let roundsSkipped = 0;
  let pending: readonly PendingDeregistration[] = [];
  let nextRoundAt = start;
  while (rounds < maxRounds) {
    const startAt = Math.max(nextRoundAt, clock());
    if (startAt + budgetMs > endBy) {
      if (rounds === 0) roundsSkipped = 1;
      break;
    }
    pending = await follow(pending, startAt, true);
    rounds += 1;
    try {
      const result = await runRound({
        config,
        stateStore: deps.stateStore,
        elb: deps.elb,
        ...(deps.discovery ? { discovery: deps.discovery } : {}),
        ...(deps.fallbackRules ? { fallbackRules: deps.fallbackRules } : {}),
        logger: deps.logger,
        now: () => new Date(clock()),
        ...(deps.probe ? { probe: deps.probe } : {}),
      });
      pending = result.pending;
      if (result.failed) roundsWithFailures += 1;
      publishRoundMetrics(
        deps.metrics,
        { site: deps.site, services: result.reports, roundDurationMs: result.durationMs, elbWrites: result.elb.writeCalls, elbErrors: result.elb.failedCalls },
        new Date(clock()),
      );
      // The old-override alarm names the service; this line names the server (docs/operating.md#old-override).
      for (const report of result.reports) {
        const oldest = report.overrideSummary.oldestOverride;
        if (oldest !== undefined) deps.logger.info('oldest override', { service: report.name, ...oldest });
      }
    } catch (err) {
      roundsAborted += 1;
      deps.logger.error('round aborted', { round: rounds, error: err instanceof Error ? err.message : String(err) });
    }
    nextRoundAt = Math.max(nextRoundAt + intervalMs, clock());
  }
  // Switches still waiting after the last round are followed until the invocation must end.
  pending = await follow(pending, endBy, false);
  const result = { rounds, roundsWithFailures, roundsAborted, ...(roundsSkipped > 0 ? { skippedReason: `no time for a round: its budget of ${budgetMs} ms would end after ${new Date(endBy).toISOString()}` } : {}) };
  deps.logger.info('invocation finished', { ...result, switchesWaiting: pending.length });
  return result;
}

/**
 * Re-reads the target groups of waiting switches every `pollMs` until `until`, completing those whose
 * replacement became healthy; then (`thenWait`) sleeps out the rest. Returns the switches still waiting.
 */
async function followSwitchesUntil(args: {
  deps: ControllerDependencies;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  pending: readonly PendingDeregistration[];
  until: number;
  thenWait: boolean;
  pollMs: number;
}): Promise<readonly PendingDeregistration[]> {
  const { deps, clock, sleep, until, pollMs } = args;
  let pending = args.pending;
  while (pending.length > 0 && clock() + pollMs <= until) {
    await sleep(pollMs);
    pending = (await followPendingSwitches({ elb: deps.elb, pending, logger: deps.logger, clock })).waiting;
  }
  const rest = until - clock();
  if (args.thenWait && rest > 0) await sleep(rest);
  return pending;
}

/**
 * A preflight from the controller's subnets (the network path its rounds use): reads the config and, for
 * discovery, EC2; probes every real server once through the round's probe path. It touches neither ELB nor the
 * state store nor the metrics, so it cannot change what serves.
 */
export async function runPreflightInvocation(deps: ControllerDependencies): Promise<PreflightInvocationResult> {
  const config = await deps.loadConfig();
  const preflight = await runPreflight({
    config,
    discovery: deps.discovery ? { port: deps.discovery } : { skipped: 'the controller has no EC2 client' },
    ...(deps.probe ? { probe: deps.probe } : {}),
    ranFrom: 'controller',
  });
  deps.logger.info('preflight finished', { ok: preflight.ok, servers: preflight.results.length, failing: preflight.results.filter((r) => !r.healthy).length });
  return { preflight };
}

let cached: ControllerDependencies | undefined;

/** Lambda entry point. */
export async function handler(event: ControllerEvent | undefined, context: InvocationContext): Promise<InvocationResult | PreflightInvocationResult> {
  cached ??= dependenciesFromEnvironment();
  if (event?.preflight === true) return runPreflightInvocation(cached);
  return runInvocation(cached, context, event ?? {});
}
