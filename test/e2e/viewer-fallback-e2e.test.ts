/**
 * End to end: the viewer's fallback page. The REAL `medlb reconcile` and `medlb status` (child processes, the
 * real AWS SDK) against the lab's ELBv2 endpoint, which holds the viewer listener's rules as CloudFormation
 * creates them: the fallback rule (priority 1, a condition that matches nothing, a 503 fixed response) and the
 * default rule forwarding to the viewer's target group. A real TCP server on 127.0.0.1 is the viewer server.
 * The test shows the listener's rules in each state: forwarding, fallback page served, forwarding again.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Elbv2Endpoint } from '../../lab/elbv2-endpoint';
import type { LabListenerRule } from '../../lab/listener-rules';
import { FALLBACK_OFF_CONDITION, FALLBACK_SERVING_CONDITION } from '../../contract/viewer-fallback';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'medlb.js');
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/viewer/0123456789abcdef/fedcba9876543210';
const FALLBACK_RULE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/viewer/0123456789abcdef/fedcba9876543210/1111111111111111';
const DEFAULT_RULE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/viewer/0123456789abcdef/fedcba9876543210/2222222222222222';
const GROUP = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/viewer-443/0123456789abcdef';
const PAGE = '<html><body><h1>The viewer is unavailable</h1></body></html>';

let endpoint: Elbv2Endpoint;
let workDir: string;
let server: Server | undefined;
let serverPort: number;

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: workDir,
        AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: endpoint.endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDE2ETEST',
        AWS_SECRET_ACCESS_KEY: 'e2e-secret',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function startServer(port = 0): Promise<number> {
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

async function stopServer(): Promise<void> {
  const stopping = server;
  server = undefined;
  if (stopping) await new Promise<void>((resolve) => stopping.close(() => resolve()));
}

/** The listener's rules as the endpoint holds them: priority, conditions, action types. */
function listenerRules(): Array<{ priority: string; conditions: LabListenerRule['conditions']; actions: string[] }> {
  return endpoint.rulesOf(LISTENER).map((rule) => ({
    priority: rule.priority,
    conditions: rule.conditions,
    actions: rule.actions.map((action) => (action.type === 'forward' ? `forward ${action.targetGroupArn}` : `fixed-response ${action.statusCode}`)),
  }));
}

const forwarding = () => [
  { priority: '1', conditions: [FALLBACK_OFF_CONDITION], actions: ['fixed-response 503'] },
  { priority: 'default', conditions: [], actions: [`forward ${GROUP}`] },
];
const servingPage = () => [
  { priority: '1', conditions: [FALLBACK_SERVING_CONDITION], actions: ['fixed-response 503'] },
  { priority: 'default', conditions: [], actions: [`forward ${GROUP}`] },
];

beforeAll(async () => {
  endpoint = await Elbv2Endpoint.start({ healthModel: 'describes', initialDescribes: 0 });
  workDir = mkdtempSync(join(tmpdir(), 'medlb-fallback-'));
  serverPort = await startServer();
  endpoint.createTargetGroup(GROUP);
  endpoint.createListenerRule({
    ruleArn: FALLBACK_RULE,
    listenerArn: LISTENER,
    priority: '1',
    conditions: [FALLBACK_OFF_CONDITION],
    actions: [{ type: 'fixed-response', statusCode: '503', contentType: 'text/html', messageBody: PAGE }],
  });
  endpoint.createListenerRule({ ruleArn: DEFAULT_RULE, listenerArn: LISTENER, priority: 'default', conditions: [], actions: [{ type: 'forward', targetGroupArn: GROUP }] });
});

afterAll(async () => {
  await stopServer();
  await endpoint.close();
  rmSync(workDir, { recursive: true, force: true });
});

it('serves the page when the viewer server fails medlb\'s check and none is healthy in ELB, and forwards again once ELB has a healthy target', async () => {
  const configPath = join(workDir, 'config.json');
  const statePath = join(workDir, 'state.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 1,
      intervalSeconds: 10,
      services: [
        {
          name: 'HTTPS-Viewer',
          mode: 'balanced',
          rise: 1,
          fall: 1,
          check: { protocol: 'tcp', port: serverPort, timeoutMs: 800 },
          targetGroups: [{ arn: GROUP, port: serverPort }],
          targets: [{ name: 'VIEWER1', ip: '127.0.0.1' }],
          fallbackRuleArn: FALLBACK_RULE,
        },
      ],
    }),
  );
  const reconcile = () => runCli(['reconcile', '--config', configPath, '--state-file', statePath]);
  const status = () => runCli(['status', '--config', configPath, '--state-file', statePath]);

  // 1. The server passes and is registered, healthy in ELB: the listener forwards.
  const first = await reconcile();
  expect(first.code).toBe(0);
  expect(endpoint.registeredIds(GROUP)).toEqual(['127.0.0.1']);
  expect(JSON.parse(first.stdout).fallbackPages).toEqual([expect.objectContaining({ service: 'HTTPS-Viewer', serving: false, changed: false })]);
  expect(listenerRules()).toEqual(forwarding());
  expect((await status()).stdout).toContain('HTTPS-Viewer fallback page: off (forwarding)');

  // 2. The server dies and ELB's own check agrees: the page is served (only the fallback rule's conditions change).
  await stopServer();
  endpoint.setTargetState(GROUP, '127.0.0.1', serverPort, 'unhealthy', 'Target.Timeout');
  const down = await reconcile();
  expect(JSON.parse(down.stdout).fallbackPages).toEqual([expect.objectContaining({ serving: true, changed: true })]);
  expect(listenerRules()).toEqual(servingPage());
  // Fail-open keeps the registration: the page replaces forwarding to a server that does not answer.
  expect(endpoint.registeredIds(GROUP)).toEqual(['127.0.0.1']);
  expect((await status()).stdout).toContain('HTTPS-Viewer fallback page: SERVING');
  // A second round keeps it and writes nothing.
  const modifiesBefore = endpoint.callsOf('ModifyRule').length;
  await reconcile();
  expect(endpoint.callsOf('ModifyRule')).toHaveLength(modifiesBefore);
  expect(listenerRules()).toEqual(servingPage());

  // 3. ELB reports the target healthy again (before medlb's probe passes): forwarding returns at once.
  endpoint.setTargetState(GROUP, '127.0.0.1', serverPort, 'healthy');
  const back = await reconcile();
  expect(JSON.parse(back.stdout).fallbackPages).toEqual([expect.objectContaining({ serving: false, changed: true })]);
  expect(listenerRules()).toEqual(forwarding());

  // Only the fallback rule was ever modified, and only its conditions; the listener itself never.
  const calls = endpoint.calls.filter((call) => /Rule|Listener/.test(call.action) && call.action !== 'DescribeRules');
  expect(calls.map((call) => [call.action, call.params.RuleArn, Object.keys(call.params).some((key) => key.startsWith('Actions.'))])).toEqual([
    ['ModifyRule', FALLBACK_RULE, false],
    ['ModifyRule', FALLBACK_RULE, false],
  ]);

  // Both switches are audited.
  const audit = readFileSync(`${statePath}.audit.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { action: string; target: string; reason: string });
  expect(audit.filter((record) => record.action.startsWith('fallback-page')).map((record) => [record.action, record.target])).toEqual([
    ['fallback-page-on', 'fallback-page'],
    ['fallback-page-off', 'fallback-page'],
  ]);
});
