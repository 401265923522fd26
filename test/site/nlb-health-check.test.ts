import { parseSite } from '../../lib/site';
import { exampleWith, problemsAfter } from './fixtures';

describe('services[].nlbHealthCheck', () => {
  it('defaults to the fastest check AWS allows (5 s × 2, timeout 4 s), 3 failures, draining left to the stack', () => {
    const [dicom] = parseSite(exampleWith(() => undefined)).services;
    expect(dicom!.nlbHealthCheck).toEqual({ intervalSeconds: 5, timeoutSeconds: 4, healthyThresholdCount: 2, unhealthyThresholdCount: 3 });
  });

  it('keeps what the site gives', () => {
    const site = parseSite(
      exampleWith((raw) => {
        raw.services[1].nlbHealthCheck = {
          intervalSeconds: 10,
          timeoutSeconds: 6,
          healthyThresholdCount: 3,
          unhealthyThresholdCount: 5,
          unhealthyDrainingIntervalSeconds: 3600,
        };
      }),
    );
    expect(site.services[1]!.nlbHealthCheck).toEqual({
      intervalSeconds: 10,
      timeoutSeconds: 6,
      healthyThresholdCount: 3,
      unhealthyThresholdCount: 5,
      unhealthyDrainingIntervalSeconds: 3600,
    });
  });

  it('reports every out-of-range field with its path', () => {
    const problems = problemsAfter((raw) => {
      raw.services[0].nlbHealthCheck = {
        intervalSeconds: 4,
        timeoutSeconds: 121,
        healthyThresholdCount: 1,
        unhealthyThresholdCount: 11,
        unhealthyDrainingIntervalSeconds: 360001,
      };
      raw.services[2].nlbHealthCheck = { unhealthyDrainingIntervalSeconds: -1, every: 5 };
    });
    expect(problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'services[0].nlbHealthCheck.intervalSeconds: must be an integer from 5 to 300 s (got 4)',
      'services[0].nlbHealthCheck.timeoutSeconds: must be an integer from 2 to 120 s (got 121)',
      'services[0].nlbHealthCheck.healthyThresholdCount: must be an integer from 2 to 10 (got 1)',
      'services[0].nlbHealthCheck.unhealthyThresholdCount: must be an integer from 2 to 10 (got 11)',
      'services[0].nlbHealthCheck.unhealthyDrainingIntervalSeconds: must be an integer from 0 to 360000 s (got 360001)',
      'services[0].nlbHealthCheck.timeoutSeconds: 121 s is not less than intervalSeconds (4 s): CloudFormation rejects a health check whose interval is not greater than its timeout',
      'services[2].nlbHealthCheck.unhealthyDrainingIntervalSeconds: must be an integer from 0 to 360000 s (got -1)',
      'services[2].nlbHealthCheck.every: is not a known setting (check the spelling); remove it',
    ]);
  });

  it('refuses a timeout that is not below the interval, given or defaulted, naming the field', () => {
    expect(problemsAfter((raw) => (raw.services[1].nlbHealthCheck = { timeoutSeconds: 5 }))).toEqual([
      {
        path: 'services[1].nlbHealthCheck.timeoutSeconds',
        message: '5 s is not less than intervalSeconds (5 s, the default): CloudFormation rejects a health check whose interval is not greater than its timeout',
      },
    ]);
    expect(problemsAfter((raw) => (raw.services[1].nlbHealthCheck = { intervalSeconds: 10, timeoutSeconds: 10 }))).toEqual([
      expect.objectContaining({ path: 'services[1].nlbHealthCheck.timeoutSeconds', message: expect.stringMatching(/^10 s is not less than intervalSeconds \(10 s\)/) }),
    ]);
    expect(problemsAfter((raw) => (raw.services[1].nlbHealthCheck = { intervalSeconds: 10, timeoutSeconds: 9 }))).toEqual([]);
  });

  it('is a service setting only: the viewer refuses it', () => {
    expect(problemsAfter((raw) => (raw.viewer.nlbHealthCheck = {})).map((problem) => problem.path)).toEqual(['viewer.nlbHealthCheck']);
  });
});
