/**
 * The controller's preflight mode (`{ "preflight": true }`, what `medlb preflight --stack` sends): it probes every
 * real server once from the controller and returns the results, and writes nothing — no ELB call, no state, no
 * audit copy, no metric. Proven at the SDK clients the Lambda builds from its environment (every one mocked, none
 * may receive a command) and with injected ports that fail the test on any call.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createControllerMetrics } from '../lambda/adapters/metrics';
import { handler, runInvocation, runPreflightInvocation, type ControllerDependencies, type PreflightInvocationResult } from '../lambda/handler';
import type { StateStore, TargetGroupPort } from '../lambda/reconcile/ports';
import type { ControllerConfigInput } from '../contract/controller-config';
import { parseControllerConfig } from '../contract/controller-config';
import { CONTROLLER_ENV } from '../contract/environment';
import { startHl7Peer, type Hl7Peer } from './peers/hl7-peers';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/hl7-2575/0123456789abcdef';

let good: Hl7Peer;
let bad: Hl7Peer;
let dir: string;

beforeAll(async () => {
  good = await startHl7Peer('ack-aa', '127.0.0.61');
  bad = await startHl7Peer('ack-ae', '127.0.0.62', good.port);
  dir = await mkdtemp(join(tmpdir(), 'medlb-handler-preflight-'));
});
afterAll(async () => {
  await Promise.all([good.close(), bad.close()]);
  await rm(dir, { recursive: true, force: true });
});

const configInput = (): ControllerConfigInput => ({
  version: 1,
  services: [
    {
      name: 'HL7',
      mode: 'balanced',
      rise: 2,
      fall: 3,
      check: { protocol: 'hl7', port: good.port, timeoutMs: 2000 },
      targetGroups: [{ arn: TG, port: good.port }],
      targets: [
        { name: 'HL71', ip: '127.0.0.61' },
        { name: 'HL72', ip: '127.0.0.62' },
      ],
    },
  ],
});

/** A port whose every method fails the test: the preflight must not touch it. */
function untouchable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_target, method) => () => {
      throw new Error(`preflight called ${what}.${String(method)}`);
    },
  });
}

describe('controller preflight mode', () => {
  test('probes every target once and returns the report; no ELB, state or metrics call', async () => {
    const metrics = createControllerMetrics();
    const publish = jest.spyOn(metrics, 'publishStoredMetrics');
    const addMetric = jest.spyOn(metrics, 'addMetric');
    const deps: ControllerDependencies = {
      loadConfig: async () => parseControllerConfig(configInput()),
      site: 'loopback',
      stateStore: untouchable<StateStore>('stateStore'),
      elb: untouchable<TargetGroupPort>('elb'),
      metrics,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    const { preflight } = await runPreflightInvocation(deps);
    expect(preflight.ranFrom).toBe('controller');
    expect(preflight.ok).toBe(false);
    expect(preflight.results.map((r) => [r.server, r.address, r.healthy])).toEqual([
      ['HL71', `127.0.0.61:${good.port}`, true],
      ['HL72', `127.0.0.62:${good.port}`, false],
    ]);
    expect(preflight.results[1]!.reason).toMatch(/AE/);
    expect(good.received).toHaveLength(1);
    expect(publish).not.toHaveBeenCalled();
    expect(addMetric).not.toHaveBeenCalled();
  });

  test('the rounds path told maxRounds 0 (what a controller from before preflight gets from `medlb preflight --stack`) runs no round and touches nothing', async () => {
    const deps: ControllerDependencies = {
      loadConfig: async () => parseControllerConfig(configInput()),
      site: 'loopback',
      stateStore: untouchable<StateStore>('stateStore'),
      elb: untouchable<TargetGroupPort>('elb'),
      metrics: createControllerMetrics(),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    const before = good.received.length;
    expect(await runInvocation(deps, { getRemainingTimeInMillis: () => 60_000 }, { maxRounds: 0 })).toEqual({ rounds: 0, roundsWithFailures: 0, roundsAborted: 0 });
    expect(good.received.length).toBe(before);
  });

  test('the Lambda entry point answers {"preflight": true} without sending a single AWS command', async () => {
    const mocks = [mockClient(DynamoDBClient), mockClient(DynamoDBDocumentClient), mockClient(ElasticLoadBalancingV2Client), mockClient(EC2Client), mockClient(CloudWatchLogsClient)];
    const configPath = join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify(configInput()));
    const saved = { ...process.env };
    Object.assign(process.env, {
      [CONTROLLER_ENV.tableName]: 'medlb-state',
      [CONTROLLER_ENV.site]: 'loopback',
      [CONTROLLER_ENV.configPath]: configPath,
      [CONTROLLER_ENV.auditLogGroup]: 'medlb-audit',
      [CONTROLLER_ENV.auditLogStream]: 'audit',
      AWS_REGION: 'eu-west-1',
    });
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const result = (await handler({ preflight: true }, { getRemainingTimeInMillis: () => 60_000 })) as PreflightInvocationResult;
      expect(result.preflight.results.map((r) => r.healthy)).toEqual([true, false]);
      for (const mock of mocks) expect(mock.calls()).toHaveLength(0);
      // No EMF metric document was written either.
      expect(stdout.mock.calls.map(([chunk]) => String(chunk)).filter((line) => line.includes('"_aws"'))).toEqual([]);
    } finally {
      process.env = saved;
      stdout.mockRestore();
      for (const mock of mocks) mock.restore();
    }
  });
});
