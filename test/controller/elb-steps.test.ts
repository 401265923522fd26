import { describeAll, observationErrorOf } from '../../lambda/controller/elb-steps';
import { ElbApiError, TargetGroupNotFoundError } from '../../lambda/adapters/elbv2';
import { buildStatusReport } from '../../lambda/cli/status-report';
import type { ObservedTarget, TargetGroupPort } from '../../lambda/reconcile/ports';
import type { RoundLogger } from '../../lambda/controller/round-logger';
import { parseControllerConfig } from '../../contract/controller-config';
import { emptyState } from '../../lambda/reconcile/state';

const arn = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${name}/0123456789abcdef`;

const config = parseControllerConfig({
  version: 1,
  services: ['gone', 'denied', 'reset', 'fine'].map((name) => ({
    name,
    mode: 'balanced',
    rise: 1,
    fall: 1,
    check: { protocol: 'tcp', port: 104, timeoutMs: 200 },
    targetGroups: [{ arn: arn(name), port: 104 }],
    targets: [{ name: `${name}1`, ip: '127.0.0.11' }],
  })),
});

// Each message names a code other than the one the error carries: only the carried code may reach status.
const failures: Readonly<Record<string, Error>> = {
  [arn('gone')]: new TargetGroupNotFoundError('DescribeTargetHealth', arn('gone'), 'TargetGroupNotFound', 'Throttling was not the problem'),
  [arn('denied')]: new ElbApiError('DescribeTargetHealth', arn('denied'), 'AccessDenied', 'not a TargetGroupNotFound'),
  [arn('reset')]: Object.assign(new Error('socket hang up (ThrottlingException?)'), { code: 'ECONNRESET' }),
};

const elb: TargetGroupPort = {
  describeTargets: (targetGroupArn: string): Promise<ObservedTarget[]> => {
    const failure = failures[targetGroupArn];
    if (failure !== undefined) return Promise.reject(failure);
    return Promise.resolve([{ ip: '127.0.0.11', port: 104, state: 'healthy' }]);
  },
  registerTargets: () => Promise.resolve(),
  deregisterTargets: () => Promise.resolve(),
};

const logged: Array<Record<string, unknown> | undefined> = [];
const logger: RoundLogger = { info: () => undefined, warn: () => undefined, error: (_message, details) => logged.push(details) };

describe('a describe failure keeps its typed code from the adapter to medlb status', () => {
  it('describeAll carries the code the error holds, whatever the message says', async () => {
    const observed = await describeAll(config, elb, 2, logger);
    expect(observed[arn('gone')]).toEqual({ error: expect.stringContaining('Throttling was not the problem'), code: 'TargetGroupNotFound' });
    expect(observed[arn('denied')]).toEqual({ error: expect.stringContaining('not a TargetGroupNotFound'), code: 'AccessDenied' });
    expect(observed[arn('reset')]).toEqual({ error: 'socket hang up (ThrottlingException?)', code: 'ECONNRESET' });
    expect(observed[arn('fine')]).toEqual([{ ip: '127.0.0.11', port: 104, state: 'healthy' }]);
    expect(logged).toEqual(expect.arrayContaining([expect.objectContaining({ targetGroupArn: arn('denied'), code: 'AccessDenied' })]));

    const report = buildStatusReport(config, emptyState(), new Map(Object.entries(observed)), new Date('2026-11-27T12:00:00Z'));
    const elbOf = (service: string) => report.services.find((s) => s.name === service)?.targets[0]?.elb;
    expect(elbOf('gone')).toEqual({ 104: 'error: TargetGroupNotFound' });
    expect(elbOf('denied')).toEqual({ 104: 'error: AccessDenied' });
    expect(elbOf('reset')).toEqual({ 104: 'error: ECONNRESET' });
    expect(elbOf('fine')).toEqual({ 104: 'healthy' });
  });

  it('an error without a code is known by its name; a thrown non-error by "Error"', () => {
    expect(observationErrorOf(new RangeError('out of range'))).toEqual({ error: 'out of range', code: 'RangeError' });
    expect(observationErrorOf('just text')).toEqual({ error: 'just text', code: 'Error' });
  });
});
