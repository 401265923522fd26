/**
 * An XDS.b SOAP responder for the xds probe tests: a real HTTP server on a loopback address that reads the probe's
 * ITI-18 / ITI-43 request (SOAP 1.2, WS-Addressing, MTOM for ITI-43), checks it, and answers with genuine
 * AdhocQueryResponse / RetrieveDocumentSetResponse messages — ITI-43 as MTOM/XOP multipart/related — or misbehaves
 * in one chosen way. Replies use other namespace prefixes than the probe (and a default namespace) on purpose.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { listenOnLoopback } from './loopback';
import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';

const XDS_NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  query: 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0',
  rim: 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0',
  rs: 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0',
  xdsb: 'urn:ihe:iti:xds-b:2007',
  xop: 'http://www.w3.org/2004/08/xop/include',
} as const;

/** A document unique id the repository knows (ITI-43 then answers Success with the document as an attachment). */
export const KNOWN_DOCUMENT_ID = '1.2.3.4.5.6.7.8.9';

export type XdsResponderMode =
  | 'healthy'
  /** SOAP 1.2 Fault (Receiver, subcode, reason) with HTTP 500. */
  | 'fault'
  /** Status Failure with a RegistryError (registry: XDSRegistryError; repository: XDSRepositoryError). */
  | 'failure'
  /** HTTP 200, Content-Type application/soap+xml, a body that is not XML. */
  | 'non-xml'
  /** HTTP 500 with an HTML page. */
  | 'http-500'
  /** HTTP 200 with Content-Type text/html. */
  | 'wrong-content-type'
  /** A healthy answer whose wsa:RelatesTo names another message. */
  | 'wrong-relates-to'
  /** ITI-43 answered as plain SOAP (application/soap+xml) instead of MTOM. */
  | 'plain-soap'
  /** Reads the request and never answers. */
  | 'silent';

/** What the responder understood of one request. */
export interface XdsRequestSeen {
  readonly contentType: string;
  readonly action?: string;
  readonly messageId?: string;
  readonly to?: string;
  readonly mustUnderstandAction?: string;
  readonly replyTo?: string;
  readonly queryId?: string;
  readonly slots: Record<string, string>;
  readonly returnType?: string;
  readonly repositoryUniqueId?: string;
  readonly documentUniqueId?: string;
  /** Why the request was refused (with a Sender fault), if it was. */
  readonly problem?: string;
}

export interface XdsResponder {
  readonly host: string;
  readonly port: number;
  readonly requests: XdsRequestSeen[];
  close(): Promise<void>;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, parseTagValue: false });

/** The envelope of a request: the body itself, or the root part of an MTOM package. */
function requestEnvelope(contentType: string, body: Buffer): string {
  if (!contentType.startsWith('multipart/related')) return body.toString('utf8');
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error('multipart request without boundary');
  const text = body.toString('utf8');
  const first = text.indexOf(`--${boundary}`);
  const headerEnd = text.indexOf('\r\n\r\n', first);
  const next = text.indexOf(`\r\n--${boundary}`, headerEnd);
  if (first === -1 || headerEnd === -1 || next === -1) throw new Error('malformed multipart request');
  const headers = text.slice(first, headerEnd);
  if (!/Content-Type: application\/xop\+xml/i.test(headers)) throw new Error('MTOM root part is not application/xop+xml');
  return text.slice(headerEnd + 4, next);
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && '#text' in value) return String((value as Record<string, unknown>)['#text']);
  return undefined;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Reads and checks a request the way an XDS.b actor would. */
function readXdsRequest(contentType: string, body: Buffer): XdsRequestSeen {
  const slots: Record<string, string> = {};
  let seen: XdsRequestSeen = { contentType, slots };
  try {
    const xml = requestEnvelope(contentType, body);
    for (const uri of [XDS_NS.soap12, XDS_NS.wsa]) if (!xml.includes(uri)) throw new Error(`namespace ${uri} missing`);
    const envelope = parser.parse(xml).Envelope;
    const header = envelope?.Header ?? {};
    const action = textOf(header.Action);
    seen = {
      ...seen,
      action,
      messageId: textOf(header.MessageID),
      to: textOf(header.To),
      mustUnderstandAction: header.Action?.['@mustUnderstand'],
      replyTo: textOf(header.ReplyTo?.Address),
    };
    const content = envelope?.Body ?? {};
    if (content.AdhocQueryRequest) {
      if (!xml.includes(XDS_NS.query) || !xml.includes(XDS_NS.rim)) throw new Error('ebRS namespaces missing');
      const query = content.AdhocQueryRequest.AdhocQuery;
      for (const slot of asArray(query?.Slot)) slots[slot['@name']] = asArray(slot.ValueList?.Value).map((v) => textOf(v)).join(',');
      seen = { ...seen, queryId: query?.['@id'], returnType: content.AdhocQueryRequest.ResponseOption?.['@returnType'] };
      if (action !== 'urn:ihe:iti:2007:RegistryStoredQuery') throw new Error(`wrong Action ${action} for AdhocQueryRequest`);
    } else if (content.RetrieveDocumentSetRequest) {
      if (!xml.includes(XDS_NS.xdsb)) throw new Error('xds-b namespace missing');
      if (!contentType.startsWith('multipart/related')) throw new Error('ITI-43 request must be MTOM');
      const request = asArray(content.RetrieveDocumentSetRequest.DocumentRequest)[0];
      seen = { ...seen, repositoryUniqueId: textOf(request?.RepositoryUniqueId), documentUniqueId: textOf(request?.DocumentUniqueId) };
      if (action !== 'urn:ihe:iti:2007:RetrieveDocumentSet') throw new Error(`wrong Action ${action} for RetrieveDocumentSetRequest`);
    } else {
      throw new Error('unknown request body');
    }
    if (!seen.messageId) throw new Error('no wsa:MessageID');
    return seen;
  } catch (err) {
    return { ...seen, problem: err instanceof Error ? err.message : String(err) };
  }
}

function soapEnvelope(action: string, relatesTo: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<env:Envelope xmlns:env="${XDS_NS.soap12}" xmlns:wsa="${XDS_NS.wsa}">\n` +
    ` <env:Header>\n  <wsa:Action env:mustUnderstand="1">${action}</wsa:Action>\n` +
    `  <wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>\n  <wsa:RelatesTo>${relatesTo}</wsa:RelatesTo>\n </env:Header>\n` +
    ` <env:Body>${body}</env:Body>\n</env:Envelope>`
  );
}

function fault(code: 'Sender' | 'Receiver', subcode: string, reason: string, relatesTo: string): string {
  return soapEnvelope(
    'http://www.w3.org/2005/08/addressing/soap/fault',
    relatesTo,
    `<env:Fault><env:Code><env:Value>env:${code}</env:Value><env:Subcode><env:Value>${subcode}</env:Value></env:Subcode></env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${reason}</env:Text></env:Reason></env:Fault>`,
  );
}

const STATUS = (name: string): string => `urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:${name}`;

function queryResponse(mode: XdsResponderMode): string {
  if (mode === 'failure') {
    return (
      `<AdhocQueryResponse xmlns="${XDS_NS.query}" status="${STATUS('Failure')}">` +
      `<regrs:RegistryErrorList xmlns:regrs="${XDS_NS.rs}" highestSeverity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error">` +
      `<regrs:RegistryError errorCode="XDSRegistryError" codeContext="registry database unavailable" ` +
      `severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error" location="registry"/>` +
      `</regrs:RegistryErrorList></AdhocQueryResponse>`
    );
  }
  return `<AdhocQueryResponse xmlns="${XDS_NS.query}" status="${STATUS('Success')}"><RegistryObjectList xmlns="${XDS_NS.rim}"/></AdhocQueryResponse>`;
}

function retrieveResponse(mode: XdsResponderMode, request: XdsRequestSeen, contentId: string): string {
  const open = `<xdsb:RetrieveDocumentSetResponse xmlns:xdsb="${XDS_NS.xdsb}" xmlns:rs="${XDS_NS.rs}">`;
  const error = (code: string, context: string): string =>
    `<rs:RegistryResponse status="${STATUS('Failure')}"><rs:RegistryErrorList>` +
    `<rs:RegistryError errorCode="${code}" codeContext="${context}" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/>` +
    `</rs:RegistryErrorList></rs:RegistryResponse>`;
  if (mode === 'failure') return `${open}${error('XDSRepositoryError', 'repository storage offline')}</xdsb:RetrieveDocumentSetResponse>`;
  if (request.documentUniqueId !== KNOWN_DOCUMENT_ID) {
    return `${open}${error('XDSDocumentUniqueIdError', `document ${request.documentUniqueId} not found`)}</xdsb:RetrieveDocumentSetResponse>`;
  }
  return (
    `${open}<rs:RegistryResponse status="${STATUS('Success')}"/>` +
    `<xdsb:DocumentResponse><xdsb:RepositoryUniqueId>${request.repositoryUniqueId}</xdsb:RepositoryUniqueId>` +
    `<xdsb:DocumentUniqueId>${request.documentUniqueId}</xdsb:DocumentUniqueId><xdsb:mimeType>text/plain</xdsb:mimeType>` +
    `<xdsb:Document><xop:Include xmlns:xop="${XDS_NS.xop}" href="cid:${contentId}"/></xdsb:Document>` +
    `</xdsb:DocumentResponse></xdsb:RetrieveDocumentSetResponse>`
  );
}

function sendMtom(response: http.ServerResponse, envelope: string, attachmentId: string, attachment?: Buffer): void {
  const boundary = `uuid:${randomUUID()}`;
  const rootId = `<root.message@cxf.apache.org>`;
  const parts: Buffer[] = [
    Buffer.from(
      `--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n` +
        `Content-Transfer-Encoding: binary\r\nContent-ID: ${rootId}\r\n\r\n${envelope}\r\n`,
    ),
  ];
  if (attachment) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${attachmentId}>\r\n\r\n`),
      attachment,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  response.writeHead(200, {
    'Content-Type': `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="${rootId}"; start-info="application/soap+xml"`,
  });
  response.end(Buffer.concat(parts));
}

function answer(mode: XdsResponderMode, request: XdsRequestSeen, response: http.ServerResponse): void {
  const relatesTo = mode === 'wrong-relates-to' ? `urn:uuid:${randomUUID()}` : (request.messageId ?? '');
  const soap = 'application/soap+xml; charset=UTF-8';
  if (request.problem) {
    response.writeHead(400, { 'Content-Type': soap }).end(fault('Sender', 'wsa:InvalidAddressingHeader', `bad request: ${request.problem}`, relatesTo));
    return;
  }
  switch (mode) {
    case 'silent':
      return;
    case 'fault':
      response.writeHead(500, { 'Content-Type': soap }).end(fault('Receiver', 'xdsb:RegistryUnavailable', 'Registry backend is not reachable', relatesTo));
      return;
    case 'non-xml':
      response.writeHead(200, { 'Content-Type': soap }).end('Service temporarily unavailable, try again later');
      return;
    case 'http-500':
      response.writeHead(500, { 'Content-Type': 'text/html' }).end('<html><body><h1>500 Internal Server Error</h1></body></html>');
      return;
    case 'wrong-content-type':
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>XDS console login</body></html>');
      return;
    default:
      break;
  }
  if (request.queryId !== undefined) {
    const body = soapEnvelope('urn:ihe:iti:2007:RegistryStoredQueryResponse', relatesTo, queryResponse(mode));
    response.writeHead(200, { 'Content-Type': `${soap}; action="urn:ihe:iti:2007:RegistryStoredQueryResponse"` }).end(body);
    return;
  }
  const attachmentId = `doc-${randomUUID()}@medlb.test`;
  const body = soapEnvelope('urn:ihe:iti:2007:RetrieveDocumentSetResponse', relatesTo, retrieveResponse(mode, request, attachmentId));
  if (mode === 'plain-soap') {
    response.writeHead(200, { 'Content-Type': soap }).end(body);
    return;
  }
  const known = request.documentUniqueId === KNOWN_DOCUMENT_ID;
  sendMtom(response, body, attachmentId, known ? Buffer.from('sentinel document content\r\n--not-a-boundary\r\n') : undefined);
}

/**
 * Starts a responder in `mode` on `host` (a 127.0.0.x address); it serves any path. With `tls` it is an HTTPS
 * responder (e.g. a secure node requiring a client certificate: `requestCert`, `rejectUnauthorized`, `ca`).
 */
export async function startXdsResponder(mode: XdsResponderMode, host: string, tls?: https.ServerOptions): Promise<XdsResponder> {
  const requests: XdsRequestSeen[] = [];
  const handle: http.RequestListener = (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen = readXdsRequest(request.headers['content-type'] ?? '', Buffer.concat(chunks));
      requests.push(seen);
      answer(mode, seen, response);
    });
  };
  const server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  const { port, close } = await listenOnLoopback(server, host);
  return { host, port, requests, close };
}
