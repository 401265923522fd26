/**
 * `medlb preflight --stack NAME`: the invocation it makes (CloudFormation and Lambda mocked at the SDK client with
 * aws-sdk-client-mock) and how it renders the controller's answer. It has not run against a deployed stack here.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { runOnStack } from '../../lambda/cli/preflight';
import type { PreflightReport } from '../../lambda/controller/preflight';

const cfn = mockClient(CloudFormationClient);
const lambda = mockClient(LambdaClient);
const clients = () => ({
  cloudFormation: new CloudFormationClient({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  lambda: new LambdaClient({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
});
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

const report = (healthy: boolean): PreflightReport => ({
  ranFrom: 'controller',
  at: '2026-11-27T17:30:00.000Z',
  ok: healthy,
  results: [
    { service: 'DICOM-Modalities', server: 'DICOM1', address: '10.12.1.110:104', source: 'static', check: 'dicom MEDLB→PACS', healthy: true, reason: 'C-ECHO status 0x0000', latencyMs: 12.3 },
    { service: 'DICOM-Modalities', server: 'DICOM2', address: '10.12.1.111:104', source: 'static', check: 'dicom MEDLB→PACS', healthy, reason: healthy ? 'C-ECHO status 0x0000' : 'association rejected (permanent): called AE title not recognized', latencyMs: 8 },
  ],
  notes: [],
});

let stdout: string;
let stderr: string;
beforeEach(() => {
  cfn.reset();
  lambda.reset();
  stdout = '';
  stderr = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'Medlb-site', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [{ OutputKey: 'ControllerFunctionName', OutputValue: 'medlb-controller-fn' }] }],
  });
});
afterEach(() => jest.restoreAllMocks());

describe('medlb preflight --stack', () => {
  test('invokes the stack\'s controller synchronously with {"preflight": true, "maxRounds": 0} and prints its table', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ preflight: report(true) }) });
    expect(await runOnStack('Medlb-site', { json: false, wide: false }, clients())).toBe(0);
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'Medlb-site' });
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
    const call = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(call).toMatchObject({ FunctionName: 'medlb-controller-fn', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(call.Payload as Uint8Array))).toEqual({ preflight: true, maxRounds: 0 });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe("preflight of stack Medlb-site from the controller's subnets at 2026-11-27T17:30:00.000Z: 2 of 2 servers pass");
    expect(lines[2]).toMatch(/^DICOM-Modalities\s+DICOM1\s+10\.12\.1\.110:104\s+dicom MEDLB→PACS\s+pass\s+12 ms\s+C-ECHO status 0x0000$/);
  });

  test('a failing server exits 1; --json prints the controller\'s report as it came', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ preflight: report(false) }) });
    expect(await runOnStack('Medlb-site', { json: true, wide: false }, clients())).toBe(1);
    expect(JSON.parse(stdout)).toEqual(report(false));
  });

  test('a busy or failing function exits 1 saying why; a controller deployed before preflight (zero rounds) says redeploy', async () => {
    lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: {} }));
    expect(await runOnStack('Medlb-site', { json: false, wide: false }, clients())).toBe(1);
    expect(stderr).toMatch(/is busy \(reserved concurrency 1/);

    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorMessage: 'boom' }) });
    expect(await runOnStack('Medlb-site', { json: false, wide: false }, clients())).toBe(1);
    expect(stderr).toContain('medlb-controller-fn failed (Unhandled): {"errorMessage":"boom"}');

    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ rounds: 0, roundsWithFailures: 0, roundsAborted: 0 }) });
    await expect(runOnStack('Medlb-site', { json: false, wide: false }, clients())).rejects.toThrow(/returned no preflight report .*redeploy/);
  });
});
