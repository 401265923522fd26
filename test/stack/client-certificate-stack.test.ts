/**
 * A site whose checks present client certificates (mutual TLS): the controller may read exactly the named secrets
 * and decrypt with exactly the named keys through Secrets Manager, a Secrets Manager endpoint is created with the
 * other endpoints, cdk-nag stays clean, and no key material reaches the template or any message — while a site
 * without client certificates gets no such statement or endpoint.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { MedlbStack } from '../../lib/medlb-stack';
import { exampleSite, parseSite, siteWarnings, type SiteInput } from '../../lib/site';
import { newProjectApp } from '../helpers/cdk-app';
import { mutualTlsPki, type MutualTlsPki } from '../peers/mutual-tls-peers';

// Sites are edited as loose JSON here, as an administrator edits a file.
type Loose = any;

const DICOM_SECRET = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs-client-AbC123';
const VIEWER_SECRET = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/viewer-client-XyZ789';
const KEY = 'arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function mutualTlsSite(mutate: (site: Loose) => void = () => {}): SiteInput {
  const site = structuredClone(exampleSite) as Loose;
  site.services[0].healthCheck = { ...site.services[0].healthCheck, tls: true, clientCertificate: { secretArn: DICOM_SECRET, kmsKeyArn: KEY } };
  site.services[2].healthCheck = { ...site.services[2].healthCheck, tls: true, clientCertificate: { secretArn: DICOM_SECRET, kmsKeyArn: KEY } };
  site.viewer.healthCheck = { ...site.viewer.healthCheck, clientCertificate: { secretArn: VIEWER_SECRET } };
  mutate(site);
  return site;
}

function synth(input: SiteInput) {
  const site = parseSite(input);
  const stack = new MedlbStack(newProjectApp(), 'MutualTls', { site, env: { region: site.env.region, account: site.env.account } });
  return { site, stack, template: Template.fromStack(stack) };
}

const statementsOf = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p: Loose) => p.Properties.PolicyDocument.Statement as Loose[]);
const endpointServicesOf = (template: Template) =>
  Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((r: Loose) => JSON.stringify(r.Properties.ServiceName));

describe('a site whose checks present client certificates', () => {
  const { stack, template } = synth(mutualTlsSite());

  test('IAM: GetSecretValue on exactly the named secrets, kms:Decrypt on exactly the named key through Secrets Manager', () => {
    const statements = statementsOf(template);
    expect(statements.find((s) => s.Sid === 'ReadClientCertificates')).toEqual({
      Sid: 'ReadClientCertificates',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [DICOM_SECRET, VIEWER_SECRET],
    });
    expect(statements.find((s) => s.Sid === 'DecryptClientCertificates')).toEqual({
      Sid: 'DecryptClientCertificates',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY,
      Condition: { StringEquals: { 'kms:ViaService': ['secretsmanager.eu-west-2.amazonaws.com'] } },
    });
    const secretActions = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(secretActions).toHaveLength(1);
  });

  test('the controller config carries only the references', () => {
    const writer = Object.values(template.findResources('Custom::AWS')).find((r: Loose) => JSON.stringify(r.Properties.Create).includes('putItem')) as Loose;
    const text = JSON.stringify(writer.Properties.Create);
    expect(text).toContain('medlb/pacs-client-AbC123');
    expect(text).toContain('1234abcd-12ab-34cd-56ef-1234567890ab');
  });

  test('a Secrets Manager interface endpoint beside the others (create-endpoints)', () => {
    expect(endpointServicesOf(template).filter((name) => name.includes('secretsmanager'))).toHaveLength(1);
  });

  test('cdk-nag AwsSolutions and HIPAA.Security: zero unacknowledged findings', () => {
    const violations = [new AwsSolutionsChecks(), new HIPAASecurityChecks()].flatMap((checks) => checks.validateScope(stack).violations);
    expect(violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });
});

describe('sites without client certificates', () => {
  test('the example site: no Secrets Manager or client-certificate KMS statement, no Secrets Manager endpoint', () => {
    const { template } = synth(exampleSite);
    const text = JSON.stringify(statementsOf(template));
    expect(text).not.toContain('secretsmanager');
    expect(text).not.toContain('ClientCertificates');
    expect(endpointServicesOf(template).some((name) => name.includes('secretsmanager'))).toBe(false);
  });

  test('a client certificate without a KMS key: read access only, no kms:Decrypt statement', () => {
    const { template } = synth(mutualTlsSite((site) => {
      delete site.services[0].healthCheck.clientCertificate.kmsKeyArn;
      delete site.services[2].healthCheck.clientCertificate.kmsKeyArn;
    }));
    const statements = statementsOf(template);
    expect(statements.find((s) => s.Sid === 'ReadClientCertificates')).toBeDefined();
    expect(statements.find((s) => s.Sid === 'DecryptClientCertificates')).toBeUndefined();
  });
});

describe('validation of clientCertificate', () => {
  const problemsOf = (input: SiteInput): string => {
    try {
      parseSite(input);
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };

  test('only with TLS, each problem with its path', () => {
    const message = problemsOf(mutualTlsSite((site) => {
      site.services[1].healthCheck = { protocol: 'hl7', clientCertificate: { secretArn: DICOM_SECRET } };
      site.services[0].healthCheck.clientCertificate = { secretArn: 'medlb/pacs', kmsKeyArn: 'arn:aws:kms:eu-west-2:111122223333:alias/medlb' };
    }));
    expect(message).toContain('services[1].healthCheck.clientCertificate: is presented in a TLS handshake, which this check does not make: set tls: true or use protocol https, or remove it');
    expect(message).toMatch(/services\[0\]\.healthCheck\.clientCertificate\.secretArn: is not the full ARN of a Secrets Manager secret/);
    expect(message).toMatch(/services\[0\]\.healthCheck\.clientCertificate\.kmsKeyArn: is not the ARN of the customer-managed KMS key .*\(not an alias\)/);
  });

  test('certificate and key material pasted into the site is refused without being printed', () => {
    expect(problemsOf(mutualTlsSite((site) => {
      site.services[0].healthCheck.clientCertificate = { secretArn: DICOM_SECRET, privateKey: 'x' };
    }))).toMatch(/services\[0\]\.healthCheck\.clientCertificate/);
  });
});

describe('no key material in the template or in any message', () => {
  let pki: MutualTlsPki;
  beforeAll(async () => {
    pki = await mutualTlsPki();
  });
  const keyLines = () => pki.trustedClient.key.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));

  test('a key pasted into caCertificates (alone or in a bundle) or beside the reference is refused, and no message holds it', () => {
    const messages: string[] = [];
    for (const mutate of [
      (site: Loose) => (site.services[0].healthCheck.caCertificates = pki.serverCa.cert + pki.trustedClient.key),
      (site: Loose) => (site.services[0].healthCheck.caCertificates = pki.trustedClient.key),
      (site: Loose) => (site.services[0].healthCheck.clientCertificate = { secretArn: DICOM_SECRET, privateKey: pki.trustedClient.key }),
      (site: Loose) => (site.services[0].healthCheck.clientCertificate = { secretArn: pki.trustedClient.key }),
    ]) {
      let thrown: unknown;
      try {
        parseSite(mutualTlsSite(mutate));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      messages.push((thrown as Error).message);
    }
    const everything = messages.join('\n');
    expect(everything).not.toContain('PRIVATE KEY-----\n');
    for (const line of keyLines()) expect(everything).not.toContain(line);
  });

  test('the synthesized template, the config document and the synth warnings of a mutual-TLS site hold none', () => {
    const { site, template } = synth(mutualTlsSite());
    const text = JSON.stringify(template.toJSON()) + JSON.stringify(siteWarnings(site));
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(text).not.toMatch(/BEGIN CERTIFICATE/);
  });
});
