/**
 * Governance in the template (issue 12): the three role policies as stack outputs, each scoped to the site's
 * own resources; cdk-nag over the whole example stack is in medlb-stack.test.ts.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, type SiteInput } from '../../lib/site';
import { newProjectApp } from '../helpers/cdk-app';

function synth(input: SiteInput): { stack: MedlbStack; template: Template } {
  const site = parseSite(input);
  const stack = new MedlbStack(newProjectApp(), 'Governance', { site, env: { region: site.env.region, account: site.env.account } });
  return { stack, template: Template.fromStack(stack) };
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string };
const actionsOf = (statement: Statement): string[] => [statement.Action].flat();

describe('role policies (read-only, operator, administrator)', () => {
  const { template } = synth(exampleSite);
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: any }>; Outputs: Record<string, any> };
  const policyByOutput = (output: string): Statement[] => {
    const ref = json.Outputs[output].Value.Ref as string;
    expect(json.Resources[ref]!.Type).toBe('AWS::IAM::ManagedPolicy');
    return json.Resources[ref]!.Properties.PolicyDocument.Statement as Statement[];
  };
  const tableRef = Object.entries(json.Resources).find(([, r]) => r.Type === 'AWS::DynamoDB::GlobalTable')![0];

  test('each policy is a stack output (its ARN), and no statement allows a service-wide or "*" action', () => {
    for (const output of ['ReadOnlyPolicyArn', 'OperatorPolicyArn', 'AdministratorPolicyArn']) {
      const statements = policyByOutput(output);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
      }
    }
  });

  test('read-only: reads the table, the audit copy and ELB, writes nothing', () => {
    const statements = policyByOutput('ReadOnlyPolicyArn');
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => /:(Put|Update|Delete|Create|Invoke|Execute|Register|Deregister|Modify|Encrypt|GenerateDataKey)/.test(a))).toEqual([]);
    const table = statements.find((s) => s.Sid === 'ReadStateTable')!;
    expect(table.Resource).toEqual({ 'Fn::GetAtt': [tableRef, 'Arn'] });
    expect(statements.find((s) => s.Sid === 'FindTheSiteByStackOutputs')!.Resource).toEqual({ Ref: 'AWS::StackId' });
    expect(JSON.stringify(statements.find((s) => s.Sid === 'ReadAuditCopy')!.Resource)).toMatch(/AuditLogGroup/);
    // The only "*" resource: ELB Describe actions have no resource-level permissions.
    const wildcard = statements.filter((s) => s.Resource === '*');
    expect(wildcard.flatMap(actionsOf).sort()).toEqual(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth']);
  });

  test('operator: the read-only rights plus writes to the exact table, the audit stream and invoking the controller', () => {
    const statements = policyByOutput('OperatorPolicyArn');
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;
    expect(actionsOf(bySid('WriteOverrides')).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(bySid('WriteOverrides').Resource).toEqual({ 'Fn::GetAtt': [tableRef, 'Arn'] });
    expect(JSON.stringify(bySid('AppendAuditCopy').Resource)).toMatch(/:log-stream:medlb-audit/);
    expect(bySid('RunControllerRounds').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ControllerFunction/), 'Arn'] });
    for (const sid of ['ReadStateTable', 'ReadAuditCopy', 'DescribeElb', 'FindTheSiteByStackOutputs']) expect(bySid(sid)).toBeDefined();
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => /^(logs:(Delete|PutRetention|CreateLogStream)|cloudformation:(Create|Execute|Update|Delete)|iam:|sts:)/.test(a))).toEqual([]);
  });

  test('administrator: CloudFormation on this stack only, and assuming the CDK bootstrap roles of this account and region', () => {
    const statements = policyByOutput('AdministratorPolicyArn');
    const deploy = statements.find((s) => s.Sid === 'DeployThisStack')!;
    expect(deploy.Resource).toEqual({ Ref: 'AWS::StackId' });
    expect(actionsOf(deploy)).toEqual(expect.arrayContaining(['cloudformation:CreateChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:GetTemplate']));
    const assume = statements.find((s) => s.Sid === 'AssumeCdkBootstrapRoles')!;
    expect(actionsOf(assume)).toEqual(['sts:AssumeRole']);
    const roles = JSON.stringify(assume.Resource);
    for (const kind of ['deploy', 'file-publishing', 'lookup']) expect(roles).toContain(`:role/cdk-hnb659fds-${kind}-role-`);
    expect(roles).not.toContain('*');
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:') || a.startsWith('lambda:'))).toEqual([]);
  });
});

describe('PortAllocationErrorCount alarm for source NAT to on-premises servers', () => {
  // HL7 (transparent: false) with one server on-premises; DICOM (transparent) keeps its servers in the VPC.
  const onPremisesHl7: SiteInput = {
    ...exampleSite,
    services: (exampleSite.services ?? []).map((service) =>
      service.label === 'HL7' ? { ...service, realServers: [{ label: 'HL71', ip: '10.12.1.130' }, { label: 'HL7DC', ip: '192.168.50.10' }] } : service,
    ),
  };
  const alarmsOf = (template: Template) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.MetricName === 'PortAllocationErrorCount');

  test('a non-transparent service with an on-premises server gets the alarm on its NLB, with its runbook', () => {
    const alarms = alarmsOf(synth(onPremisesHl7).template);
    expect(alarms).toHaveLength(1);
    const [alarm] = alarms;
    expect(alarm!.Properties).toMatchObject({
      AlarmName: 'medlb-example-hospital-CRITICAL-HL7-nlb-port-allocation',
      Namespace: 'AWS/NetworkELB',
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
      EvaluationPeriods: 1,
    });
    expect(alarm!.Properties.Dimensions).toEqual([{ Name: 'LoadBalancer', Value: expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/^HL7LoadBalancer/), 'LoadBalancerFullName'] }) }]);
    expect(alarm!.Properties.AlarmDescription).toContain('docs/operating.md (nlb-port-allocation)');
  });

  test('no alarm when the non-transparent service has every server in the VPC (the example site)', () => {
    expect(alarmsOf(synth(exampleSite).template)).toHaveLength(0);
  });
});

describe('connection logs and the state-table trail (site settings)', () => {
  const governed: SiteInput = { ...exampleSite, flowLogs: { enabled: true, retentionDays: 400 }, audit: { cloudTrailDataEvents: true, retentionDays: 30 } };
  const { stack, template } = synth(governed);
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: any; DeletionPolicy?: string }>; Outputs: Record<string, any> };
  const resources = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
  const tableRef = resources('AWS::DynamoDB::GlobalTable')[0]![0];
  const siteKeyArn = { 'Fn::GetAtt': [expect.stringMatching(/^SiteKey/), 'Arn'] };

  test('off by default: the example (an existing VPC) has no flow log and no trail', () => {
    const example = synth(exampleSite).template;
    example.resourceCountIs('AWS::EC2::FlowLog', 0);
    example.resourceCountIs('AWS::CloudTrail::Trail', 0);
  });

  test("flow logs: one per load-balancer subnet of the existing VPC, all traffic per minute, to a KMS log group with the retention", () => {
    const flowLogs = resources('AWS::EC2::FlowLog').map(([, r]) => r.Properties);
    expect(flowLogs.map((p) => p.ResourceId).sort()).toEqual(['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2']);
    for (const properties of flowLogs) {
      expect(properties).toMatchObject({ ResourceType: 'Subnet', TrafficType: 'ALL', MaxAggregationInterval: 60, LogDestinationType: 'cloud-watch-logs' });
    }
    const groupRef = flowLogs[0].LogGroupName.Ref as string;
    expect(json.Resources[groupRef]!.Properties).toMatchObject({ RetentionInDays: 400, KmsKeyId: siteKeyArn });
    expect(json.Resources[groupRef]!.DeletionPolicy).toBe('Retain');
    expect(json.Outputs.ConnectionLogGroupName.Value).toEqual({ Ref: groupRef });
  });

  test('the trail records data events of exactly the state table, encrypted, validated, to a bucket and a log group kept audit.retentionDays', () => {
    const [, trail] = resources('AWS::CloudTrail::Trail')[0]!;
    expect(trail.Properties).toMatchObject({
      TrailName: 'medlb-example-hospital-state-table',
      IsLogging: true,
      IsMultiRegionTrail: false,
      EnableLogFileValidation: true,
      KMSKeyId: siteKeyArn,
      AdvancedEventSelectors: [
        {
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
            { Field: 'resources.ARN', Equals: [{ 'Fn::GetAtt': [tableRef, 'Arn'] }] },
          ],
        },
      ],
    });
    expect(trail.Properties.EventSelectors).toBeUndefined();
    const bucket = json.Resources[trail.Properties.S3BucketName.Ref];
    expect(bucket!.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toMatchObject({ SSEAlgorithm: 'aws:kms' });
    expect(bucket!.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(30);
    const logGroup = json.Resources[trail.Properties.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0]];
    expect(logGroup!.Properties).toMatchObject({ RetentionInDays: 30, KmsKeyId: siteKeyArn });
    // CloudTrail may use the key for this trail only.
    const keyStatements = resources('AWS::KMS::Key').find(([id]) => id.startsWith('SiteKey'))![1].Properties.KeyPolicy.Statement as any[];
    const grant = keyStatements.find((s) => s.Principal?.Service === 'cloudtrail.amazonaws.com');
    expect(JSON.stringify(grant.Condition.StringEquals['aws:SourceArn'])).toContain(':trail/medlb-example-hospital-state-table');
  });

  test('cdk-nag AwsSolutions and HIPAA.Security: zero unacknowledged findings with both settings on', () => {
    const violations = [new AwsSolutionsChecks(), new HIPAASecurityChecks()].flatMap((checks) => checks.validateScope(stack).violations);
    expect(violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });
});

describe('viewer fallback page in the template', () => {
  const { template } = synth(exampleSite);
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: any }> };
  const rules = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule');

  test('one rule on the viewer listener, priority 1, created off (a host no browser sends), answering 503 with the page', () => {
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0]!;
    expect(rule.Properties).toMatchObject({
      Priority: 1,
      ListenerArn: { Ref: expect.stringMatching(/^HTTPSViewerLoadBalancerHttps/) },
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['medlb-fallback-off.invalid'] } }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/html', MessageBody: expect.stringContaining('viewer is unavailable') } }],
    });
    // The listener's default action still forwards to the viewer's target group.
    const listener = json.Resources[rule.Properties.ListenerArn.Ref];
    expect(listener!.Properties.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: expect.stringMatching(/^HTTPSViewerTargetGroup/) } }]);

    // The controller may modify that rule only, and finds it in its config.
    const controllerPolicy = Object.entries(json.Resources).find(([id]) => id.startsWith('ControllerPolicy'))![1];
    const statements = controllerPolicy.Properties.PolicyDocument.Statement as Statement[];
    const modify = statements.filter((s) => actionsOf(s).some((a) => /ModifyRule|ModifyListener|CreateRule|DeleteRule/.test(a)));
    expect(modify).toEqual([expect.objectContaining({ Sid: 'SwitchFallbackRule', Action: 'elasticloadbalancing:ModifyRule', Resource: { Ref: ruleId } })]);
    const configWriters = JSON.stringify(Object.values(json.Resources).filter((r) => r.Type === 'Custom::AWS'));
    expect(configWriters).toContain('fallbackRuleArn');
    expect(configWriters).toContain(`{"Ref":"${ruleId}"}`);
  });

  test('fallbackPage.enabled false: no rule and no listener-rule permission', () => {
    const off = synth({ ...exampleSite, viewer: { ...exampleSite.viewer!, fallbackPage: { enabled: false } } }).template;
    off.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    expect(JSON.stringify(off.toJSON())).not.toContain('elasticloadbalancing:ModifyRule');
  });
});

describe('viewer.fallbackPage in the site file', () => {
  test('the page holds at most 1,024 characters (an ALB fixed response), named by its path', () => {
    const withBody = (body: string) => ({ ...exampleSite, viewer: { ...exampleSite.viewer!, fallbackPage: { body } } });
    expect(parseSite(withBody('x'.repeat(1024))).viewer?.fallbackPage).toEqual({ enabled: true, body: 'x'.repeat(1024) });
    expect(() => parseSite(withBody('x'.repeat(1025)))).toThrow(/viewer\.fallbackPage\.body.*1024 characters/s);
    expect(() => parseSite(withBody(''))).toThrow(/viewer\.fallbackPage\.body.*must not be empty/s);
  });
});
