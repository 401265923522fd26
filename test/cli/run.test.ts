/**
 * `medlb run`: unit-tested with aws-sdk-client-mock (CloudFormation and Lambda mocked at the SDK client); it
 * has not run against a deployed stack here.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { invokeController, run } from '../../lambda/cli/run';

const cfn = mockClient(CloudFormationClient);
const lambda = mockClient(LambdaClient);
const clients = () => ({
  cloudFormation: new CloudFormationClient({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  lambda: new LambdaClient({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
});
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

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

describe('medlb run', () => {
  test('invokes the stack\'s controller synchronously with {"maxRounds": N} and prints its result', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ rounds: 3, roundsWithFailures: 0, roundsAborted: 0 }) });
    expect(await invokeController('Medlb-site', 3, clients())).toBe(0);
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'Medlb-site' });
    const call = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(call).toMatchObject({ FunctionName: 'medlb-controller-fn', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(call.Payload as Uint8Array))).toEqual({ maxRounds: 3 });
    expect(JSON.parse(stdout)).toEqual({ stack: 'Medlb-site', function: 'medlb-controller-fn', requested: 3, rounds: 3, roundsWithFailures: 0, roundsAborted: 0 });
  });

  test('a failed round, a function error or a busy function (reserved concurrency 1) exit 1 and say why', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ rounds: 2, roundsWithFailures: 1, roundsAborted: 0 }) });
    expect(await invokeController('Medlb-site', 2, clients())).toBe(1);

    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorMessage: 'boom' }) });
    expect(await invokeController('Medlb-site', 1, clients())).toBe(1);
    expect(stderr).toContain('medlb-controller-fn failed (Unhandled): {"errorMessage":"boom"}');

    lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: {} }));
    expect(await invokeController('Medlb-site', 1, clients())).toBe(1);
    expect(stderr).toMatch(/is busy \(reserved concurrency 1/);
  });

  test('a stack without the output, and bad arguments, exit 2', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'x', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
    await expect(invokeController('x', 1, clients())).rejects.toThrow(/stack x has no output ControllerFunctionName/);
    expect(await run(['--stack', 'x', '--rounds', '0'])).toBe(2);
    expect(stderr).toMatch(/--rounds takes a whole number from 1 to 60, not '0'/);
    expect(await run(['--rounds', '2'])).toBe(2);
    expect(stderr).toMatch(/missing required option --stack/);
    expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
  });

  test('--help prints the usage on stdout with exit 0', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(stdout).toMatch(/^usage: medlb run --stack NAME --rounds N/);
    expect(stderr).toBe('');
  });
});
