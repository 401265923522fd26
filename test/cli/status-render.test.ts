import { renderStatus } from '../../lambda/cli/status';
import { parseControllerConfig } from '../../contract/controller-config';
import type { ControllerState } from '../../lambda/reconcile/state';

const arn = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${name}/0123456789abcdef`;

const config = parseControllerConfig({
  version: 1,
  services: [
    {
      name: 'DICOM-Modalities',
      mode: 'balanced',
      rise: 2,
      fall: 3,
      check: { protocol: 'dicom', port: 104, timeoutMs: 3000 },
      targetGroups: [{ arn: arn('dicom-104'), port: 104 }, { arn: arn('dicom-11112'), port: 11112 }],
      targets: [
        { name: 'DICOM1', ip: '10.12.1.110' },
        { name: 'DICOM2', ip: '10.12.1.111' },
        { name: 'DICOM3', ip: '10.12.1.112', drained: true },
      ],
      vips: ['10.12.1.100'],
      ports: [104, 11112],
    },
    {
      name: 'HL7',
      mode: 'failover',
      rise: 1,
      fall: 1,
      check: { protocol: 'hl7', port: 2575, timeoutMs: 3000 },
      targetGroups: [{ arn: arn('hl7'), port: 2575 }],
      targets: [{ name: 'HL7A', ip: '10.12.2.10' }],
    },
  ],
});

const state: ControllerState = {
  version: 2,
  services: {
    'DICOM-Modalities': {
      targets: {
        DICOM1: { passes: 5, failures: 0, up: true, lastProbe: { healthy: true, reason: 'C-ECHO status 0x0000', latencyMs: 4, at: '2026-11-24T10:00:00Z' } },
        DICOM2: { passes: 0, failures: 3, up: false, lastProbe: { healthy: false, reason: 'association rejected (permanent, called AE title not recognised)', latencyMs: 3, at: '2026-11-24T10:00:00Z' } },
      },
      overrides: { DICOM2: { action: 'halt', by: 'alice', at: '2026-11-24T09:00:00Z', reason: 'ransomware alert' } },
    },
  },
};

describe('renderStatus', () => {
  it('shows one row per real server with probe, up/down, ELB view per target group and overrides', () => {
    const table = renderStatus(
      config,
      state,
      new Map([
        [arn('dicom-104'), [{ ip: '10.12.1.110', port: 104, state: 'healthy' as const }, { ip: '10.12.1.111', port: 104, state: 'draining' as const }]],
        [arn('dicom-11112'), [{ ip: '10.12.1.110', port: 11112, state: 'healthy' as const }]],
        [arn('hl7'), { error: 'DescribeTargetHealth arn: TargetGroupNotFound: One or more target groups not found' }],
      ]),
    );
    const lines = table.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^SERVICE +VIP +PORTS +MODE +TARGET +IP +SOURCE +PROBE +REASON +HEALTH +ELB +OVERRIDE$/);
    expect(lines[1]).toMatch(/^DICOM-Modalities +10\.12\.1\.100 +104,11112 +balanced +DICOM1 +10\.12\.1\.110 +static +pass +C-ECHO status 0x0000 +up +healthy +-$/);
    expect(lines[2]).toMatch(/^ +DICOM2 +10\.12\.1\.111 +static +FAIL +association rejected \(permanent, called AE title not recognised\) +DOWN +104:draining 11112:not registered +halt by alice at 2026-11-24T09:00:00Z \(ransomware alert\)$/);
    expect(lines[3]).toMatch(/^ +DICOM3 +10\.12\.1\.112 +static +- +never probed +- +not registered +weight 0$/);
    expect(lines[4]).toMatch(/^HL7 +- +2575 +failover +HL7A +10\.12\.2\.10 +static +- +never probed +- +error: TargetGroupNotFound +-$/);
    // Columns line up: every row's TARGET column starts where the header's does.
    const targetColumn = lines[0]!.indexOf('TARGET');
    expect(lines.slice(1).map((l) => l.slice(targetColumn).split(' ')[0])).toEqual(['DICOM1', 'DICOM2', 'DICOM3', 'HL7A']);
  });
});
