import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { validClientCertificate, type ValidClientCertificate } from '../../contract/client-certificate';
import {
  ClientCertificateCache,
  ClientCertificateError,
  resolveClientCertificate,
  withClientCertificates,
  type ClientCertificateReference,
  type ClientCertificateSource,
} from '../../lambda/controller/client-certificates';
import type { CheckSpec, ProbeResult } from '../../lambda/probes/types';
import { clientCertificate, mutualTlsPki, type MutualTlsPki } from '../peers/mutual-tls-peers';

const secretArn = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:medlb/pacs-client-AbC123';
let pki: MutualTlsPki;
let first: ValidClientCertificate;
let rotated: ValidClientCertificate;
beforeAll(async () => {
  pki = await mutualTlsPki();
  first = validClientCertificate({ certificateChain: pki.trustedClient.cert, privateKey: pki.trustedClient.key }, 'test');
  const next = await clientCertificate(pki.clientCa, 'rotated');
  rotated = validClientCertificate({ certificateChain: next.cert, privateKey: next.key }, 'test');
});

/** A source answering from a queue (a value or an error per read), counting reads. */
function scriptedSource(...answers: Array<ValidClientCertificate | Error>): ClientCertificateSource & { reads: number } {
  const source = {
    reads: 0,
    read: async (_reference: ClientCertificateReference) => {
      const answer = answers[Math.min(source.reads, answers.length - 1)];
      if (answer === undefined) throw new Error('no answer scripted');
      source.reads += 1;
      await new Promise((resolve) => setImmediate(resolve));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return source;
}

describe('ClientCertificateCache', () => {
  it('reads once for concurrent probes and keeps the certificate for the TTL', async () => {
    let now = 0;
    const source = scriptedSource(first, rotated);
    const cache = new ClientCertificateCache({ source, ttlMs: 300_000, clock: () => now });
    const reads = await Promise.all(Array.from({ length: 50 }, () => cache.read({ secretArn })));
    expect(source.reads).toBe(1);
    expect(new Set(reads.map((read) => read.description)).size).toBe(1);
    now = 299_999;
    expect((await cache.read({ secretArn })).description).toBe(first.description);
    now = 300_000;
    expect((await cache.read({ secretArn })).description).toBe(rotated.description);
    expect(source.reads).toBe(2);
  });

  it('reads again after a failed handshake, but not more than once per minRereadIntervalMs', async () => {
    let now = 0;
    const source = scriptedSource(first, rotated);
    const cache = new ClientCertificateCache({ source, ttlMs: 300_000, minRereadIntervalMs: 60_000, clock: () => now });
    await cache.read({ secretArn });
    now = 10_000;
    cache.handshakeFailed({ secretArn });
    expect((await cache.read({ secretArn })).description).toBe(first.description);
    now = 60_000;
    expect((await cache.read({ secretArn })).description).toBe(rotated.description);
    expect(source.reads).toBe(2);
  });

  it('keeps the last good certificate when a re-read fails, and logs it without key material', async () => {
    let now = 0;
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const source = scriptedSource(first, new Error('cannot read client certificate secret x: ThrottlingException'));
    const cache = new ClientCertificateCache({ source, ttlMs: 1000, clock: () => now, logger: { info: () => undefined, warn: (message, details) => warnings.push([message, details]) } });
    await cache.read({ secretArn });
    now = 5000;
    expect((await cache.read({ secretArn })).description).toBe(first.description);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).not.toContain('PRIVATE KEY');
  });

  it('rejects when the first read fails, and tries again on the next read', async () => {
    const source = scriptedSource(new Error('AccessDeniedException'), first);
    const cache = new ClientCertificateCache({ source });
    await expect(cache.read({ secretArn })).rejects.toThrow('AccessDeniedException');
    expect((await cache.read({ secretArn })).description).toBe(first.description);
  });
});

describe('withClientCertificates (the controller\'s probe function)', () => {
  const check = (): CheckSpec & { clientCertificate: ClientCertificateReference } => ({ protocol: 'https', timeoutMs: 3000, clientCertificate: { secretArn } });

  it('hands the certificate to the probe as data, without the reference', async () => {
    const seen: CheckSpec[] = [];
    const probe = withClientCertificates(async (_target, spec) => {
      seen.push(spec);
      return { healthy: true, latencyMs: 1, reason: 'HTTP 200 OK' };
    }, new ClientCertificateCache({ source: scriptedSource(first) }));
    await probe({ host: '127.0.0.1', port: 443 }, check());
    expect(seen[0]).toMatchObject({ protocol: 'https', tlsClientCertificate: { certificateChain: first.certificateChain, privateKey: first.privateKey } });
    expect(seen[0]).not.toHaveProperty('clientCertificate');
    expect(seen[0]?.timeoutMs ?? Infinity).toBeLessThanOrEqual(3000);
  });

  it('passes checks without a client certificate through untouched', async () => {
    const seen: CheckSpec[] = [];
    const source = scriptedSource(first);
    const probe = withClientCertificates(async (_target, spec) => {
      seen.push(spec);
      return { healthy: true, latencyMs: 1, reason: 'ok' };
    }, new ClientCertificateCache({ source }));
    await probe({ host: '127.0.0.1', port: 443 }, { protocol: 'https', timeoutMs: 3000 });
    expect(seen).toEqual([{ protocol: 'https', timeoutMs: 3000 }]);
    expect(source.reads).toBe(0);
  });

  it('fails the probe with the reason when the certificate cannot be read', async () => {
    const probe = withClientCertificates(async () => ({ healthy: true, latencyMs: 1, reason: 'unreachable' }), new ClientCertificateCache({ source: scriptedSource(new ClientCertificateError('secret x', ['privateKey is missing'])) }));
    expect(await probe({ host: '127.0.0.1', port: 443 }, check())).toMatchObject({ healthy: false, reason: 'client certificate unavailable: client certificate from secret x is unusable: privateKey is missing' });
  });

  it('re-reads the secret after a TLS handshake failure', async () => {
    let now = 0;
    const source = scriptedSource(first, rotated);
    const cache = new ClientCertificateCache({ source, minRereadIntervalMs: 0, clock: () => now });
    const results: ProbeResult[] = [
      { healthy: false, latencyMs: 1, reason: 'TLS handshake failed: the server does not trust the issuer of the client certificate (alert unknown_ca)' },
      { healthy: true, latencyMs: 1, reason: 'ok' },
    ];
    const presented: string[] = [];
    const probe = withClientCertificates(async (_target, spec) => {
      presented.push(spec.tlsClientCertificate!.certificateChain);
      return results.shift()!;
    }, cache);
    await probe({ host: '127.0.0.1', port: 443 }, check());
    now = 1;
    await probe({ host: '127.0.0.1', port: 443 }, check());
    expect(presented).toEqual([first.certificateChain, rotated.certificateChain]);
  });
});

describe('resolveClientCertificate (controller, medlb probe, medlb preflight)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'medlb-client-certificate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes files over the secret the check names', async () => {
    const certificateFile = path.join(dir, 'client.pem');
    const keyFile = path.join(dir, 'client.key');
    writeFileSync(certificateFile, pki.trustedClient.cert);
    writeFileSync(keyFile, pki.trustedClient.key);
    const source = scriptedSource(rotated);
    const resolved = await resolveClientCertificate({ clientCertificate: { secretArn } }, { files: { certificateFile, keyFile }, secrets: source });
    expect(resolved?.description).toBe(first.description);
    expect(source.reads).toBe(0);
  });

  it('reads the secret the check names; none when it names none', async () => {
    const source = scriptedSource(rotated);
    expect((await resolveClientCertificate({ clientCertificate: { secretArn } }, { secrets: source }))?.description).toBe(rotated.description);
    expect(await resolveClientCertificate({}, { secrets: source })).toBeUndefined();
  });

  it('says what to give when the check names a secret and there is no way to read it', async () => {
    await expect(resolveClientCertificate({ clientCertificate: { secretArn } }, {})).rejects.toThrow(/no AWS access was given to read it: give --cert and --key files/);
  });

  it('names unreadable files, and refuses a key given as the certificate without printing it', async () => {
    await expect(resolveClientCertificate({}, { files: { certificateFile: path.join(dir, 'missing.pem'), keyFile: path.join(dir, 'missing.key') } })).rejects.toThrow(/--cert .*missing.pem cannot be read: ENOENT/);
    const keyAsCertificate = path.join(dir, 'key-as-cert.pem');
    writeFileSync(keyAsCertificate, pki.trustedClient.key);
    const error = await resolveClientCertificate({}, { files: { certificateFile: keyAsCertificate, keyFile: keyAsCertificate } }).then(
    () => new Error('resolved, expected a rejection'),
    (thrown: unknown) => thrown as Error,
  );
    expect(error.message).toMatch(/certificateChain holds a PRIVATE KEY/);
    expect(error.message).not.toContain(pki.trustedClient.key.split('\n')[1]);
  });
});
