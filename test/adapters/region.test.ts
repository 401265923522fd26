import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MissingRegionError } from '../../lambda/adapters/aws-retry';
import { createEc2Client } from '../../lambda/adapters/ec2-discovery';
import { createElbv2Client } from '../../lambda/adapters/elbv2';

/** The region settings of the SDK's default chain, cleared for one test and restored after it. */
const REGION_VARIABLES = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'] as const;

describe('clients take their region from the SDK default provider chain, with no fallback', () => {
  let dir: string;
  const saved = new Map<string, string | undefined>();
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'medlb-region-'));
    for (const name of REGION_VARIABLES) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'no-credentials');
  });
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a region given only in the AWS config file (no AWS_REGION)', async () => {
    const configFile = path.join(dir, 'config');
    writeFileSync(configFile, '[default]\nregion = eu-west-2\n');
    process.env.AWS_CONFIG_FILE = configFile;
    const elb = createElbv2Client();
    const ec2 = createEc2Client();
    try {
      await expect(elb.config.region()).resolves.toBe('eu-west-2');
      await expect(ec2.config.region()).resolves.toBe('eu-west-2');
    } finally {
      elb.destroy();
      ec2.destroy();
    }
  });

  it('prefers AWS_REGION over the config file', async () => {
    const configFile = path.join(dir, 'config');
    writeFileSync(configFile, '[default]\nregion = eu-west-2\n');
    process.env.AWS_CONFIG_FILE = configFile;
    process.env.AWS_REGION = 'eu-central-1';
    const elb = createElbv2Client();
    try {
      await expect(elb.config.region()).resolves.toBe('eu-central-1');
    } finally {
      elb.destroy();
    }
  });

  it('says how to set a region when none is found, instead of guessing us-east-1', async () => {
    process.env.AWS_CONFIG_FILE = path.join(dir, 'missing-config');
    const elb = createElbv2Client();
    try {
      const failure = elb.config.region();
      await expect(failure).rejects.toBeInstanceOf(MissingRegionError);
      await expect(elb.config.region()).rejects.toThrow(/no AWS region: set AWS_REGION, or `region` in your profile/);
    } finally {
      elb.destroy();
    }
  });

  it('--region wins over AWS_REGION, and --profile takes its region from that profile, as in the AWS CLI', async () => {
    const configFile = path.join(dir, 'config');
    writeFileSync(configFile, '[default]\nregion = eu-west-2\n[profile hospital]\nregion = eu-north-1\n');
    process.env.AWS_CONFIG_FILE = configFile;
    process.env.AWS_REGION = 'eu-central-1';
    const chosen = createElbv2Client(process.env, { region: 'ap-south-1' });
    delete process.env.AWS_REGION;
    const byProfile = createEc2Client(process.env, { profile: 'hospital' });
    try {
      await expect(chosen.config.region()).resolves.toBe('ap-south-1');
      await expect(byProfile.config.region()).resolves.toBe('eu-north-1');
    } finally {
      chosen.destroy();
      byProfile.destroy();
    }
  });
});
