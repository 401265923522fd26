/**
 * The audit trail in the template: retention from `audit.retentionDays` (table TTL and the append-only
 * CloudWatch Logs copy, KMS-encrypted), the controller appending to that copy with logs:PutLogEvents on its
 * stream only and no delete permission anywhere, and the outputs the CLI uses.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, SiteValidationError, type SiteInput } from '../../lib/site';
import { newProjectApp } from '../helpers/cdk-app';

function synth(input: SiteInput): Template {
  const site = parseSite(input);
  const stack = new MedlbStack(newProjectApp(), 'Audit', { site, env: { region: site.env.region, account: site.env.account } });
  return Template.fromStack(stack);
}

type Resource = { Type: string; Properties: Record<string, any> };

describe('audit retention and the append-only copy', () => {
  const template = synth(exampleSite);
  const resources = (type: string) => Object.entries(template.findResources(type)) as [string, Resource][];

  test('default 2190 days: TTL passed to the controller, copy kept 2192 days (the next CloudWatch retention), KMS-encrypted, retained', () => {
    const [groupId] = resources('AWS::Logs::LogGroup').filter(([id]) => id.includes('AuditLogGroup'))[0]!;
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 2192, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SiteKey|Key'), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    expect(template.toJSON().Resources[groupId].Properties.RetentionInDays).toBe(2192);
    template.hasResourceProperties('AWS::Logs::LogStream', { LogGroupName: { Ref: groupId }, LogStreamName: 'medlb-audit' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MEDLB_AUDIT_RETENTION_SECONDS: String(2190 * 86_400),
          MEDLB_AUDIT_LOG_GROUP: { Ref: groupId },
          MEDLB_AUDIT_LOG_STREAM: 'medlb-audit',
          MEDLB_CONTROLLER_ROLE_ARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('ControllerRole'), 'Arn'] },
        }),
      },
    });
    template.hasOutput('AuditLogGroupName', { Value: { Ref: groupId } });
    template.hasOutput('AuditLogStreamName', {});
  });

  test('the controller appends to the copy with logs:PutLogEvents on its stream only, and may delete no log anywhere', () => {
    const [, policy] = resources('AWS::IAM::ManagedPolicy').filter(([id]) => id.startsWith('ControllerPolicy'))[0]!;
    const statements = policy.Properties.PolicyDocument.Statement as { Sid?: string; Action: string | string[]; Resource: unknown }[];
    const append = statements.find((s) => s.Sid === 'AppendAuditCopy')!;
    expect(append.Action).toBe('logs:PutLogEvents');
    expect(JSON.stringify(append.Resource)).toMatch(/AuditLogGroup.*:log-stream:medlb-audit/);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => /^logs:(Delete|PutRetentionPolicy|Untag|Disassociate)/.test(a) || a === 'logs:*')).toEqual([]);
    expect(actions.filter((a) => a.startsWith('logs:'))).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:PutLogEvents']);
  });

  test('the created VPC endpoints include CloudWatch Logs, so the controller reaches the copy without a NAT', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: Match.stringLikeRegexp('\\.logs$'), PrivateDnsEnabled: true });
  });

  test('audit.retentionDays sets both: 30 days → TTL 30 days, copy 30 days', () => {
    const custom = synth({ ...exampleSite, audit: { retentionDays: 30 } });
    custom.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30, KmsKeyId: Match.anyValue() });
    custom.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MEDLB_AUDIT_RETENTION_SECONDS: String(30 * 86_400) }) } });
  });

  test('audit.retentionDays is validated: 1–3653 whole days, named by its path', () => {
    for (const retentionDays of [0, 3654, 2.5]) {
      let problems: readonly { path: string; message: string }[] = [];
      try {
        parseSite({ ...exampleSite, audit: { retentionDays } });
      } catch (err) {
        problems = (err as SiteValidationError).problems;
      }
      expect(problems.map((p) => p.path)).toEqual(['audit.retentionDays']);
    }
  });
});
