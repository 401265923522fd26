import { probe } from '../../lambda/probes';
import { FIND_DOCUMENTS_QUERY_ID } from '../../lambda/probes/xds';
import {
  DEFAULT_XDS_DOCUMENT_UNIQUE_ID,
  DEFAULT_XDS_PATIENT_ID,
  DEFAULT_XDS_REGISTRY_PATH,
  DEFAULT_XDS_REPOSITORY_UNIQUE_ID,
} from '../../lambda/probes/probe-defaults';
import type { CheckSpec } from '../../lambda/probes/types';
import { KNOWN_DOCUMENT_ID, startXdsResponder, type XdsResponder, type XdsResponderMode } from '../peers/xds-responder';

const TIMEOUT_MS = 800;
const MARGIN_MS = 1500;
const registry: CheckSpec = { protocol: 'xds', timeoutMs: TIMEOUT_MS };
const repository: CheckSpec = { protocol: 'xds', timeoutMs: TIMEOUT_MS, transaction: 'repository' };

const responders: XdsResponder[] = [];
let nextAddress = 1;
async function responder(mode: XdsResponderMode): Promise<XdsResponder> {
  const started = await startXdsResponder(mode, `127.0.4.${nextAddress++}`);
  responders.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(responders.map((r) => r.close()));
});

describe('xds registry probe (ITI-18)', () => {
  it('sends a well-formed FindDocuments stored query and is healthy on Success', async () => {
    const peer = await responder('healthy');
    const result = await probe({ host: peer.host, port: peer.port }, registry);
    expect(result).toMatchObject({ healthy: true, reason: 'ITI-18 AdhocQueryResponse Success (0 entries)' });
    const [seen] = peer.requests;
    expect(seen!.problem).toBeUndefined();
    expect(seen).toMatchObject({
      contentType: expect.stringMatching(/^application\/soap\+xml; charset=UTF-8; action="urn:ihe:iti:2007:RegistryStoredQuery"$/),
      action: 'urn:ihe:iti:2007:RegistryStoredQuery',
      mustUnderstandAction: '1',
      replyTo: 'http://www.w3.org/2005/08/addressing/anonymous',
      to: `http://${peer.host}:${peer.port}${DEFAULT_XDS_REGISTRY_PATH}`,
      queryId: FIND_DOCUMENTS_QUERY_ID,
      returnType: 'ObjectRef',
      slots: {
        $XDSDocumentEntryPatientId: `'${DEFAULT_XDS_PATIENT_ID}'`,
        $XDSDocumentEntryStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
      },
    });
    expect(seen!.messageId).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('queries the configured sentinel patient on the configured path', async () => {
    const peer = await responder('healthy');
    await probe({ host: peer.host, port: peer.port }, { ...registry, path: '/xds/registry', patientId: "O'BRIEN^^^&1.2.3&ISO" });
    expect(peer.requests[0]).toMatchObject({
      to: `http://${peer.host}:${peer.port}/xds/registry`,
      slots: expect.objectContaining({ $XDSDocumentEntryPatientId: "'O''BRIEN^^^&1.2.3&ISO'" }),
    });
  });

  it.each<[XdsResponderMode, string | RegExp]>([
    ['fault', 'HTTP 500 Internal Server Error: SOAP Fault env:Receiver / xdsb:RegistryUnavailable: Registry backend is not reachable'],
    ['failure', 'ITI-18 AdhocQueryResponse status Failure: XDSRegistryError registry database unavailable'],
    ['non-xml', /^not well-formed XML: .+ \(line 1\)$/],
    ['http-500', 'HTTP 500 Internal Server Error'],
    ['wrong-content-type', 'wrong content type text/html (expected application/soap+xml or multipart/related)'],
    ['wrong-relates-to', /^WS-Addressing RelatesTo urn:uuid:\S+ is not our MessageID urn:uuid:\S+$/],
    ['silent', /^no HTTP response within \d+ ms$/],
  ])('%s → unhealthy with a precise reason, within its timeout', async (mode, expected) => {
    const peer = await responder(mode);
    const startedAt = Date.now();
    const result = await probe({ host: peer.host, port: peer.port }, registry);
    expect(result.healthy).toBe(false);
    if (typeof expected === 'string') expect(result.reason).toBe(expected);
    else expect(result.reason).toMatch(expected);
    expect(Date.now() - startedAt).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  });
});

describe('xds repository probe (ITI-43, MTOM)', () => {
  it('sends an MTOM RetrieveDocumentSetRequest; "document unknown" from an MTOM reply is healthy', async () => {
    const peer = await responder('healthy');
    const result = await probe({ host: peer.host, port: peer.port }, repository);
    expect(result).toMatchObject({
      healthy: true,
      reason: 'ITI-43 RetrieveDocumentSetResponse Failure: sentinel document unknown (XDSDocumentUniqueIdError)',
    });
    expect(peer.requests[0]!.problem).toBeUndefined();
    expect(peer.requests[0]).toMatchObject({
      contentType: expect.stringMatching(/^multipart\/related; boundary="[^"]+"; type="application\/xop\+xml"; start="<[^>]+>"; start-info="application\/soap\+xml"/),
      action: 'urn:ihe:iti:2007:RetrieveDocumentSet',
      repositoryUniqueId: DEFAULT_XDS_REPOSITORY_UNIQUE_ID,
      documentUniqueId: DEFAULT_XDS_DOCUMENT_UNIQUE_ID,
    });
  });

  it('reads a Success reply with the document as an XOP attachment', async () => {
    const peer = await responder('healthy');
    const result = await probe({ host: peer.host, port: peer.port }, { ...repository, documentUniqueId: KNOWN_DOCUMENT_ID, repositoryUniqueId: '1.9.9' });
    expect(result).toMatchObject({ healthy: true, reason: 'ITI-43 RetrieveDocumentSetResponse Success (1 document)' });
    expect(peer.requests[0]).toMatchObject({ documentUniqueId: KNOWN_DOCUMENT_ID, repositoryUniqueId: '1.9.9' });
  });

  it('reads a plain SOAP (non-MTOM) reply too', async () => {
    const peer = await responder('plain-soap');
    expect(await probe({ host: peer.host, port: peer.port }, repository)).toMatchObject({ healthy: true });
  });

  it.each<[XdsResponderMode, string | RegExp]>([
    ['failure', 'ITI-43 RetrieveDocumentSetResponse status Failure: XDSRepositoryError repository storage offline'],
    ['fault', 'HTTP 500 Internal Server Error: SOAP Fault env:Receiver / xdsb:RegistryUnavailable: Registry backend is not reachable'],
    ['non-xml', /^not well-formed XML/],
  ])('%s → unhealthy, within its timeout', async (mode, expected) => {
    const peer = await responder(mode);
    const startedAt = Date.now();
    const result = await probe({ host: peer.host, port: peer.port }, repository);
    expect(result.healthy).toBe(false);
    if (typeof expected === 'string') expect(result.reason).toBe(expected);
    else expect(result.reason).toMatch(expected);
    expect(Date.now() - startedAt).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  });

  it('is cancellable while waiting for the answer', async () => {
    const peer = await responder('silent');
    const controller = new AbortController();
    // Cancel once the request has reached the peer (not after a fixed delay, which a loaded machine can outrun).
    const waitForRequest = setInterval(() => {
      if (peer.requests.length > 0) {
        clearInterval(waitForRequest);
        controller.abort();
      }
    }, 5);
    const startedAt = Date.now();
    const result = await probe({ host: peer.host, port: peer.port }, { ...repository, timeoutMs: 10_000 }, { signal: controller.signal });
    clearInterval(waitForRequest);
    expect(result).toMatchObject({ healthy: false, reason: 'cancelled' });
    expect(Date.now() - startedAt).toBeLessThan(MARGIN_MS);
    expect(peer.requests).toHaveLength(1);
  });
});
