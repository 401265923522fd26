/**
 * The Secrets Manager client-certificate adapter against the lab's local endpoint (its real JSON protocol), reached
 * the way an operator would point it elsewhere: AWS_ENDPOINT_URL_SECRETS_MANAGER. Covers a read, a rotation
 * through the controller's cache after a failed handshake, AccessDenied, a missing secret and unusable content.
 */
import { createSecretsManagerClient, SecretsManagerClientCertificates } from '../../lambda/adapters/secrets-manager-client-certificates';
import { ClientCertificateCache } from '../../lambda/controller/client-certificates';
import { SecretsManagerEndpoint } from '../../lab/secrets-manager-endpoint';
import { clientCertificate, mutualTlsPki, type MutualTlsPki } from '../peers/mutual-tls-peers';

const SECRET = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs-client-AbC123';
const ENV_KEYS = ['AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

let endpoint: SecretsManagerEndpoint;
let pki: MutualTlsPki;
const saved: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};

beforeAll(async () => {
  pki = await mutualTlsPki();
  endpoint = await SecretsManagerEndpoint.start('127.0.0.1');
  for (const key of ENV_KEYS) saved[key] = process.env[key];
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'AKIACONTROLLER';
  process.env.AWS_SECRET_ACCESS_KEY = 'local-secret';
  process.env.AWS_REGION = 'eu-west-2';
});
afterAll(async () => {
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await endpoint.close();
});

const adapter = () => new SecretsManagerClientCertificates(createSecretsManagerClient());
const secretOf = (certificate: { cert: string; key: string }) => JSON.stringify({ certificateChain: certificate.cert, privateKey: certificate.key });

it('reads the certificate by full ARN through the SDK (x-amz-target secretsmanager.GetSecretValue)', async () => {
  endpoint.putSecret({ arn: SECRET, secretString: secretOf(pki.trustedClient) });
  const certificate = await adapter().read({ secretArn: SECRET });
  expect(certificate.description).toMatch(/^CN=medlb-controller, issued by CN=medlb test client CA/);
  expect(endpoint.calls.at(-1)).toEqual({ operation: 'GetSecretValue', secretId: SECRET, accessKeyId: 'AKIACONTROLLER', outcome: 'ok' });
});

it('a rotated secret is read again after a failed handshake', async () => {
  endpoint.putSecret({ arn: SECRET, secretString: secretOf(pki.trustedClient) });
  let now = 0;
  const cache = new ClientCertificateCache({ source: adapter(), clock: () => now, minRereadIntervalMs: 60_000 });
  expect((await cache.read({ secretArn: SECRET })).description).toMatch(/^CN=medlb-controller/);
  endpoint.putSecret({ arn: SECRET, secretString: secretOf(await clientCertificate(pki.clientCa, 'medlb-controller-2027')) });
  cache.handshakeFailed({ secretArn: SECRET });
  now = 60_000;
  expect((await cache.read({ secretArn: SECRET })).description).toMatch(/^CN=medlb-controller-2027/);
});

it('AccessDenied and a missing secret say what to fix', async () => {
  await expect(adapter().read({ secretArn: SECRET.replace('AbC123', 'ZzZ999') })).rejects.toThrow(/ResourceNotFoundException: no such secret in this account and region/);
  endpoint.deny('AKIACONTROLLER');
  try {
    await expect(adapter().read({ secretArn: SECRET })).rejects.toThrow(/AccessDeniedException: the caller may not read it: the controller's role gets secretsmanager:GetSecretValue/);
  } finally {
    endpoint.allow('AKIACONTROLLER');
  }
});

it('unusable content is refused without echoing the key', async () => {
  const other = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/broken-QqQ111';
  endpoint.putSecret({ arn: other, secretString: pki.trustedClient.key });
  const error = await adapter().read({ secretArn: other }).then(
    () => new Error('resolved, expected a rejection'),
    (thrown: unknown) => thrown as Error,
  );
  expect(error.message).toMatch(/the secret value is not JSON \(\d+ characters; it holds a PEM private key\)/);
  expect(error.message).not.toContain(pki.trustedClient.key.split('\n')[1]);
});
