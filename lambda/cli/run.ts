/**
 * `medlb run --stack NAME --rounds N`: runs N controller rounds now, in AWS, by invoking the deployed controller
 * function with `{ "maxRounds": N }` (synchronously; Lambda Invoke through the SDK's standard endpoint and
 * credential chains). The rounds are the controller's own, with its permissions, its state lock and its
 * metrics: never a second writer from the operator's laptop (`medlb reconcile --stack` would be one).
 *
 * The function has a reserved concurrency of 1: while a scheduled invocation runs, Lambda throttles this one;
 * the command then says so (exit 1) — wait for the minute's invocation to end, or let it do the rounds.
 * Prints the function's result (`{ rounds, roundsWithFailures, roundsAborted, ... }`) as JSON.
 * Exit 0 every round ran without a failed service; 1 a round failed or was aborted, the function failed or
 * was throttled; 2 usage errors and a stack that cannot be used.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../adapters/aws-client-config';
import { explainMissingRegion } from '../adapters/aws-retry';
import { AWS_OPTIONS, awsOptionsOf, EXIT, InputFileError, parseCommandArgs, runCommand, UsageError, writeOut } from './common';
import { propertyOf } from '../../contract/thrown';

const MAX_ROUNDS = 60;

const USAGE = `usage: medlb run --stack NAME --rounds N [--region R] [--profile P]
  invokes the deployed controller with {"maxRounds": N}: N rounds now, by the controller itself
  --rounds N   1 to ${MAX_ROUNDS} (one round per interval; the invocation stops before the next scheduled start, whichever comes first)
exit codes: 0 the rounds ran; 1 a round failed or was aborted, or the function failed or was busy; 2 usage or stack error`;

/** The stack output naming the controller function (lib/medlb-stack.ts). */
const FUNCTION_OUTPUT = 'ControllerFunctionName';

/** What the controller function returns (lambda/handler.ts). */
interface InvocationResult {
  readonly rounds?: number;
  readonly roundsWithFailures?: number;
  readonly roundsAborted?: number;
  readonly skippedReason?: string;
}

/** The clients `run` uses; injected in tests. */
export interface RunClients {
  readonly cloudFormation: CloudFormationClient;
  readonly lambda: LambdaClient;
}

/** Invokes the stack's controller for `rounds` rounds; returns the exit code after printing the result. */
export async function invokeController(stackName: string, rounds: number, clients: RunClients): Promise<number> {
  const functionName = await functionOf(stackName, clients.cloudFormation);
  let response;
  try {
    response = await clients.lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify({ maxRounds: rounds })) }),
    );
  } catch (err) {
    if (propertyOf(err, 'name') === 'TooManyRequestsException') {
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
  let result: InvocationResult;
  try {
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the deployed controller's own answer, of the handler's return type
    result = JSON.parse(text) as InvocationResult;
  } catch {
    throw new InputFileError(`${functionName} returned no JSON result: ${text.slice(0, 200)}`);
  }
  writeOut(JSON.stringify({ stack: stackName, function: functionName, requested: rounds, ...result }));
  const failed = (result.roundsWithFailures ?? 0) > 0 || (result.roundsAborted ?? 0) > 0 || (result.rounds ?? 0) === 0;
  return failed ? EXIT.serviceFailed : EXIT.ok;
}

/** The controller function named by the stack's output (what `run` and `preflight --stack` invoke). */
export async function functionOf(stackName: string, client: CloudFormationClient): Promise<string> {
  let outputs;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks?.[0]?.Outputs ?? [];
  } catch (err) {
    throw new InputFileError(`stack ${stackName} cannot be described: ${err instanceof Error ? err.message : String(err)}`);
  }
  const name = outputs.find((o) => o.OutputKey === FUNCTION_OUTPUT)?.OutputValue;
  if (!name) throw new InputFileError(`stack ${stackName} has no output ${FUNCTION_OUTPUT} (outputs: ${outputs.map((o) => o.OutputKey).join(', ') || 'none'}); is it a medlb stack?`);
  return name;
}

/** @public The command: bin/medlb.ts loads this module by name and calls `run`. */
export async function run(args: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const { values, positionals } = parseCommandArgs(args, { stack: { type: 'string' }, rounds: { type: 'string' }, ...AWS_OPTIONS, help: { type: 'boolean', short: 'h' } }, true);
    if (values.help) {
      writeOut(USAGE);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!values.stack) throw new UsageError('missing required option --stack');
    const rounds = Number(values.rounds ?? '');
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) throw new UsageError(`--rounds takes a whole number from 1 to ${MAX_ROUNDS}, not '${values.rounds ?? ''}'`);
    const config = awsClientConfig(awsOptionsOf(values));
    // The rounds may take up to an invocation's whole run: no SDK timeout shorter than the function's.
    const clients = { cloudFormation: explainMissingRegion(new CloudFormationClient(config)), lambda: explainMissingRegion(new LambdaClient(config)) };
    try {
      return await invokeController(values.stack, rounds, clients);
    } finally {
      clients.cloudFormation.destroy();
      clients.lambda.destroy();
    }
  });
}
