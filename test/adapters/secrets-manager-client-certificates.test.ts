import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SecretsManagerClientCertificates } from '../../lambda/adapters/secrets-manager-client-certificates';
import { ClientCertificateError } from '../../contract/client-certificate';
import { mutualTlsPki, type MutualTlsPki } from '../peers/mutual-tls-peers';

const secretArn = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs-client-AbC123';
const kmsKeyArn = 'arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const mock = mockClient(SecretsManagerClient);
let pki: MutualTlsPki;
beforeAll(async () => {
  pki = await mutualTlsPki();
});
beforeEach(() => mock.reset());

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}
const adapter = () => new SecretsManagerClientCertificates(new SecretsManagerClient({ region: 'eu-west-2' }));

it('reads the secret by its full ARN and validates the JSON', async () => {
  mock.on(GetSecretValueCommand).resolves({ ARN: secretArn, SecretString: JSON.stringify({ certificateChain: pki.trustedClient.cert, privateKey: pki.trustedClient.key }) });
  const certificate = await adapter().read({ secretArn });
  expect(certificate).toMatchObject({ certificateChain: pki.trustedClient.cert, privateKey: pki.trustedClient.key });
  expect(mock).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: secretArn });
});

it.each([
  ['AccessDeniedException', {}, /^cannot read client certificate secret arn:.*: AccessDeniedException: the caller may not read it: the controller's role gets secretsmanager:GetSecretValue/],
  ['DecryptionFailure', {}, /DecryptionFailure: Secrets Manager cannot decrypt it .* set clientCertificate.kmsKeyArn/],
  ['DecryptionFailure', { kmsKeyArn }, /DecryptionFailure: Secrets Manager cannot decrypt it: is arn:aws:kms:.* the key that encrypts the secret/],
  ['ResourceNotFoundException', {}, /ResourceNotFoundException: no such secret in this account and region/],
])('%s says what to fix', async (name, extra, message) => {
  mock.on(GetSecretValueCommand).rejects(awsError(name, 'the service message'));
  await expect(adapter().read({ secretArn, ...extra })).rejects.toThrow(message);
});

it('refuses a binary secret', async () => {
  mock.on(GetSecretValueCommand).resolves({ ARN: secretArn, SecretBinary: new Uint8Array([1, 2, 3]) });
  await expect(adapter().read({ secretArn })).rejects.toThrow(ClientCertificateError);
});

it('refuses a key in the certificate field without printing it', async () => {
  mock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ certificateChain: pki.trustedClient.cert + pki.trustedClient.key, privateKey: pki.trustedClient.key }) });
  const error = await adapter().read({ secretArn }).then(
    () => new Error('resolved, expected a rejection'),
    (thrown: unknown) => thrown as Error,
  );
  expect(error.message).toMatch(/certificateChain holds a PRIVATE KEY/);
  expect(error.message).not.toContain(pki.trustedClient.key.split('\n')[1]);
});
