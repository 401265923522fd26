import { AwsRetry, FailedAttempt, awsErrorCode } from '../../lambda/adapters/aws-retry';

const awsError = (name: string, status: number, message = name, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') =>
  Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });

function recordingRetry(props: ConstructorParameters<typeof AwsRetry>[0] = {}) {
  const sleeps: number[] = [];
  const retry = new AwsRetry({ random: () => 0.5, sleep: async (ms) => void sleeps.push(ms), ...props });
  return { retry, sleeps };
}

describe('AwsRetry', () => {
  test.each([
    ['Throttling', 400, 'Rate exceeded', true, true],
    ['RequestLimitExceeded', 503, 'Request limit exceeded.', true, true],
    ['SomethingNew', 400, 'Rate exceeded for this account', true, true],
    ['TooManyRequests', 429, 'slow down', true, true],
    ['InternalFailure', 500, 'boom', false, true],
    ['ECONNRESET', 0, 'socket hang up', false, true],
    ['ValidationError', 400, 'bad parameter', false, false],
    ['TargetGroupNotFound', 400, 'not found', false, false],
  ])('%s (HTTP %i) is throttled=%s, retryable=%s', async (name, status, message, throttled, retryable) => {
    const { retry } = recordingRetry({ maxAttempts: 1 });
    const failures: FailedAttempt[] = [];
    const error = status === 0 ? Object.assign(new Error(message), { code: name }) : awsError(name, status, message);
    await expect(
      retry.call(() => Promise.reject(error), { onFailure: (f) => void failures.push(f), giveUp: (f) => new Error(`gave up: ${f.code}`) }),
    ).rejects.toThrow(`gave up: ${name}`);
    expect(failures).toEqual([expect.objectContaining({ code: name, throttled, retryable, attempt: 1 })]);
  });

  test('retries throttling with doubling, jittered delays and then succeeds', async () => {
    const { retry, sleeps } = recordingRetry();
    let calls = 0;
    const result = await retry.call(
      async () => {
        calls += 1;
        if (calls < 4) throw awsError('Throttling', 400, 'Rate exceeded');
        return 'done';
      },
      { giveUp: () => new Error('gave up') },
    );
    expect(result).toBe('done');
    expect(sleeps).toEqual([50, 100, 200]);
  });

  test('stops at maxAttempts and at the backoff budget, whichever comes first', async () => {
    const throttled = () => Promise.reject(awsError('Throttling', 400, 'Rate exceeded'));
    const byAttempts = recordingRetry({ maxAttempts: 3 });
    let attempts = 0;
    await expect(byAttempts.retry.call(throttled, { beforeAttempt: () => void (attempts += 1), giveUp: (f) => new Error(`after ${f.attempt}`) })).rejects.toThrow('after 3');
    expect(attempts).toBe(3);

    // Delays 50, 100, ...: after 50 ms of backoff the next 100 would overrun a 120 ms budget.
    const byBudget = recordingRetry({ maxAttempts: 50, retryBudgetMs: 120 });
    await expect(byBudget.retry.call(throttled, { giveUp: (f) => new Error(`after ${f.attempt}`) })).rejects.toThrow('after 2');
    expect(byBudget.sleeps).toEqual([50]);
  });

  test('a handler can stop at once by throwing', async () => {
    const { retry, sleeps } = recordingRetry();
    await expect(
      retry.call(() => Promise.reject(awsError('Throttling', 400)), {
        onFailure: () => {
          throw new Error('not worth it');
        },
        giveUp: () => new Error('unreachable'),
      }),
    ).rejects.toThrow('not worth it');
    expect(sleeps).toEqual([]);
  });

  test('error codes: SDK name, Query-API Code, Node code, else Unknown', () => {
    expect(awsErrorCode(awsError('Throttling', 400))).toBe('Throttling');
    expect(awsErrorCode({ Code: 'RequestLimitExceeded' })).toBe('RequestLimitExceeded');
    expect(awsErrorCode(Object.assign(new Error('x'), { code: 'EPIPE' }))).toBe('EPIPE');
    expect(awsErrorCode('nope')).toBe('Unknown');
  });

  test('maxAttempts must be a positive integer', () => {
    expect(() => new AwsRetry({ maxAttempts: 0 })).toThrow('maxAttempts must be a positive integer, got 0');
  });
});
