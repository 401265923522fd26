/**
 * xds probe (docs/architecture.md#protocols): SOAP 1.2 + WS-Addressing over HTTP(S).
 * - registry: ITI-18 Registry Stored Query FindDocuments for a sentinel patient; healthy = no Fault and
 *   AdhocQueryResponse status Success.
 * - repository: ITI-43 Retrieve Document Set for a sentinel document (sent as MTOM, as IHE requires); healthy = a
 *   RetrieveDocumentSetResponse without Fault whose status is Success, or a Failure that only says the sentinel
 *   document is unknown. The response may be plain SOAP or MTOM/XOP multipart/related; both are read.
 */
import { randomUUID } from 'node:crypto';
import { printable, ProbeFailure } from './probe-failure';
import { runProbe } from './probe-lifecycle';
import { httpExchange } from './http-client';
import { statusLine } from './http';
import {
  DEFAULT_XDS_DOCUMENT_UNIQUE_ID,
  DEFAULT_XDS_MAX_RESPONSE_BYTES,
  DEFAULT_XDS_PATIENT_ID,
  DEFAULT_XDS_REGISTRY_PATH,
  DEFAULT_XDS_REPOSITORY_PATH,
  DEFAULT_XDS_REPOSITORY_UNIQUE_ID,
  DEFAULT_XDS_TRANSACTION,
  MAX_REASON_DETAIL_CHARS,
  XDS_UNKNOWN_DOCUMENT_ERROR_CODES,
} from './probe-defaults';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from './types';
import { childNamed, childrenNamed, descendantsNamed, escapeXml, parseXmlDocument, type XmlElement } from './xml';

const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  query: 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0',
  rim: 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0',
  rs: 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0',
  xdsb: 'urn:ihe:iti:xds-b:2007',
} as const;

const XDS_ACTIONS = {
  registryStoredQuery: 'urn:ihe:iti:2007:RegistryStoredQuery',
  retrieveDocumentSet: 'urn:ihe:iti:2007:RetrieveDocumentSet',
} as const;

/** ITI-18 stored query id of FindDocuments. */
export const FIND_DOCUMENTS_QUERY_ID = 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d';
const APPROVED_STATUS = 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved';
const ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';

export type XdsTransaction = 'registry' | 'repository';

/** The response is not a healthy answer to our request; `reason` says why. */
export class XdsResponseError extends ProbeFailure {
  constructor(reason: string) {
    super(reason);
    this.name = 'XdsResponseError';
  }
}

/** A request ready to POST. */
export interface XdsRequest {
  readonly messageId: string;
  readonly contentType: string;
  readonly body: Buffer;
}

function envelope(action: string, messageId: string, to: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}">` +
    `<s:Header>` +
    `<a:Action s:mustUnderstand="1">${action}</a:Action>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address>${ANONYMOUS}</a:Address></a:ReplyTo>` +
    `<a:To s:mustUnderstand="1">${escapeXml(to)}</a:To>` +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** ITI-18 FindDocuments for `patientId` (approved entries), asking for object references only (small answer). */
function buildRegistryStoredQuery(patientId: string, to: string, messageId = `urn:uuid:${randomUUID()}`): XdsRequest {
  const slot = (name: string, value: string): string =>
    `<rim:Slot name="${name}"><rim:ValueList><rim:Value>${escapeXml(value)}</rim:Value></rim:ValueList></rim:Slot>`;
  const body =
    `<query:AdhocQueryRequest xmlns:query="${NS.query}" xmlns:rim="${NS.rim}">` +
    `<query:ResponseOption returnComposedObjects="true" returnType="ObjectRef"/>` +
    `<rim:AdhocQuery id="${FIND_DOCUMENTS_QUERY_ID}">` +
    slot('$XDSDocumentEntryPatientId', `'${patientId.replace(/'/g, "''")}'`) +
    slot('$XDSDocumentEntryStatus', `('${APPROVED_STATUS}')`) +
    `</rim:AdhocQuery></query:AdhocQueryRequest>`;
  const action = XDS_ACTIONS.registryStoredQuery;
  return {
    messageId,
    contentType: `application/soap+xml; charset=UTF-8; action="${action}"`,
    body: Buffer.from(envelope(action, messageId, to, body), 'utf8'),
  };
}

/** ITI-43 for one document, wrapped as an MTOM/XOP package with the SOAP envelope as its only (root) part. */
function buildRetrieveDocumentSet(
  repositoryUniqueId: string,
  documentUniqueId: string,
  to: string,
  messageId = `urn:uuid:${randomUUID()}`,
): XdsRequest {
  const body =
    `<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="${NS.xdsb}"><xdsb:DocumentRequest>` +
    `<xdsb:RepositoryUniqueId>${escapeXml(repositoryUniqueId)}</xdsb:RepositoryUniqueId>` +
    `<xdsb:DocumentUniqueId>${escapeXml(documentUniqueId)}</xdsb:DocumentUniqueId>` +
    `</xdsb:DocumentRequest></xdsb:RetrieveDocumentSetRequest>`;
  const action = XDS_ACTIONS.retrieveDocumentSet;
  const boundary = `MIMEBoundary_medlb_${randomUUID().replace(/-/g, '')}`;
  const rootId = `root.message@medlb.probe`;
  const mime =
    `--${boundary}\r\n` +
    `Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"; action="${action}"\r\n` +
    `Content-Transfer-Encoding: binary\r\n` +
    `Content-ID: <${rootId}>\r\n\r\n` +
    envelope(action, messageId, to, body) +
    `\r\n--${boundary}--\r\n`;
  return {
    messageId,
    contentType:
      `multipart/related; boundary="${boundary}"; type="application/xop+xml"; start="<${rootId}>"; ` +
      `start-info="application/soap+xml"; action="${action}"`,
    body: Buffer.from(mime, 'utf8'),
  };
}

/** A parsed Content-Type header: lower-case media type and parameters (names lower-cased, quotes removed). */
export interface MediaType {
  readonly type: string;
  readonly parameters: ReadonlyMap<string, string>;
}

/** Parses a Content-Type value (RFC 9110 §8.3); tolerant of spacing and quoting, never throws. */
export function parseMediaType(value: string): MediaType {
  const semicolon = value.indexOf(';');
  const type = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  const parameters = new Map<string, string>();
  let rest = semicolon === -1 ? '' : value.slice(semicolon + 1);
  while (rest.length > 0) {
    const equals = rest.indexOf('=');
    if (equals === -1) break;
    const name = rest.slice(0, equals).trim().toLowerCase();
    rest = rest.slice(equals + 1).trimStart();
    let parameterValue: string;
    if (rest.startsWith('"')) {
      let index = 1;
      let collected = '';
      while (index < rest.length && rest[index] !== '"') {
        if (rest[index] === '\\' && index + 1 < rest.length) index += 1;
        collected += rest[index];
        index += 1;
      }
      parameterValue = collected;
      const next = rest.indexOf(';', index);
      rest = next === -1 ? '' : rest.slice(next + 1);
    } else {
      const next = rest.indexOf(';');
      parameterValue = (next === -1 ? rest : rest.slice(0, next)).trim();
      rest = next === -1 ? '' : rest.slice(next + 1);
    }
    if (name && !parameters.has(name)) parameters.set(name, parameterValue);
  }
  return { type, parameters };
}

/** One MIME part: headers (lower-case names) and raw content. */
interface MimePart {
  readonly headers: ReadonlyMap<string, string>;
  readonly content: Buffer;
}

/** Most MIME parts read from a response; an XDS answer has the envelope plus one part per document. */
const MAX_MIME_PARTS = 256;

/** Splits a multipart body (RFC 2046 §5.1.1). Throws XdsResponseError for a body that is not one. */
function splitMultipart(body: Buffer, boundary: string): MimePart[] {
  if (!boundary || boundary.length > 200) throw new XdsResponseError('multipart/related response without a usable boundary');
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let position = body.indexOf(delimiter);
  if (position === -1) throw new XdsResponseError('multipart/related response without its boundary delimiter');
  const parts: MimePart[] = [];
  for (;;) {
    const afterDelimiter = position + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString('latin1') === '--') break;
    const lineEnd = body.indexOf('\n', afterDelimiter);
    if (lineEnd === -1) throw new XdsResponseError('multipart/related response truncated');
    const next = body.indexOf(delimiter, lineEnd + 1);
    if (next === -1) throw new XdsResponseError('multipart/related response truncated (no closing boundary)');
    // The CRLF before a delimiter belongs to the delimiter.
    let end = next;
    if (end > 0 && body[end - 1] === 0x0a) end -= 1;
    if (end > 0 && body[end - 1] === 0x0d) end -= 1;
    parts.push(readPart(body.subarray(lineEnd + 1, Math.max(lineEnd + 1, end))));
    if (parts.length > MAX_MIME_PARTS) throw new XdsResponseError(`multipart/related response with more than ${MAX_MIME_PARTS} parts`);
    position = next;
  }
  return parts;
}

function readPart(raw: Buffer): MimePart {
  let headerEnd = raw.indexOf('\r\n\r\n');
  let separatorLength = 4;
  if (headerEnd === -1) {
    headerEnd = raw.indexOf('\n\n');
    separatorLength = 2;
  }
  if (headerEnd === -1) {
    // A part that starts with an empty line has no headers.
    if (raw.subarray(0, 2).toString('latin1') === '\r\n') return { headers: new Map(), content: raw.subarray(2) };
    throw new XdsResponseError('MIME part without a header/body separator');
  }
  const headers = new Map<string, string>();
  for (const line of raw.subarray(0, headerEnd).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, content: raw.subarray(headerEnd + separatorLength) };
}

/** The SOAP envelope's bytes: the body itself, or the root part of an MTOM/XOP package. */
function soapEnvelopeBytes(contentTypeHeader: string | undefined, body: Buffer): Buffer {
  if (!contentTypeHeader) throw new XdsResponseError('response without Content-Type');
  const mediaType = parseMediaType(contentTypeHeader);
  if (['application/soap+xml', 'text/xml', 'application/xml'].includes(mediaType.type)) return body;
  if (mediaType.type !== 'multipart/related') {
    throw new XdsResponseError(
      `wrong content type ${printable(mediaType.type, 100) || '(empty)'} (expected application/soap+xml or multipart/related)`,
    );
  }
  const parts = splitMultipart(body, mediaType.parameters.get('boundary') ?? '');
  if (parts.length === 0) throw new XdsResponseError('multipart/related response without parts');
  const start = mediaType.parameters.get('start');
  const root = start ? parts.find((part) => part.headers.get('content-id') === start) : parts[0];
  if (!root) throw new XdsResponseError(`multipart/related root part ${printable(start ?? '', 100)} not found`);
  const rootType = parseMediaType(root.headers.get('content-type') ?? '').type;
  if (rootType !== 'application/xop+xml' && rootType !== 'application/soap+xml') {
    throw new XdsResponseError(`MTOM root part has content type ${printable(rootType, 100) || '(none)'} (expected application/xop+xml)`);
  }
  return root.content;
}

/** What the response must answer. */
export interface XdsExpectation {
  readonly transaction: XdsTransaction;
  /** Our WS-Addressing MessageID; a RelatesTo, when present, must equal it. */
  readonly messageId: string;
}

function clip(text: string): string {
  return printable(text, MAX_REASON_DETAIL_CHARS);
}

function shortStatus(status: string | undefined): string {
  if (!status) return '(none)';
  return clip(status.slice(status.lastIndexOf(':') + 1));
}

interface RegistryErrorInfo {
  readonly code: string;
  readonly text: string;
}

function registryErrors(scope: XmlElement): RegistryErrorInfo[] {
  return descendantsNamed(scope, NS.rs, 'RegistryError').map((error) => ({
    code: error.attributes.get('errorCode') ?? '',
    text: error.attributes.get('codeContext') || error.text,
  }));
}

function describeErrors(errors: readonly RegistryErrorInfo[]): string {
  const [first] = errors;
  if (first === undefined) return '';
  const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
  return `: ${clip([first.code, first.text].filter(Boolean).join(' '))}${more}`;
}

function faultReason(fault: XmlElement, soapNs: string): string {
  if (soapNs === NS.soap11) {
    const code = fault.children.find((child) => child.local === 'faultcode')?.text ?? '';
    const text = fault.children.find((child) => child.local === 'faultstring')?.text ?? '';
    return `SOAP Fault ${clip(code) || '(no code)'}: ${clip(text) || '(no reason)'}`;
  }
  const code = childNamed(childNamed(fault, soapNs, 'Code'), soapNs, 'Value')?.text ?? '';
  const subcode = childNamed(childNamed(childNamed(fault, soapNs, 'Code'), soapNs, 'Subcode'), soapNs, 'Value')?.text ?? '';
  const text = childNamed(childNamed(fault, soapNs, 'Reason'), soapNs, 'Text')?.text ?? '';
  const codes = [clip(code), clip(subcode)].filter(Boolean).join(' / ');
  return `SOAP Fault ${codes || '(no code)'}: ${clip(text) || '(no reason)'}`;
}

/**
 * Judges a response envelope. Returns the healthy reason; throws XdsResponseError (or XmlDocumentError for input
 * that is not XML) and nothing else, whatever the bytes.
 */
function interpretSoapResponse(envelopeBytes: Buffer, expectation: XdsExpectation): string {
  const root = parseXmlDocument(envelopeBytes.toString('utf8').replace(/^\uFEFF/, ''));
  if (root.local !== 'Envelope' || (root.ns !== NS.soap12 && root.ns !== NS.soap11)) {
    throw new XdsResponseError(`response is XML but not a SOAP envelope (root element ${clip(root.local)})`);
  }
  const soapNs = root.ns;
  const body = childNamed(root, soapNs, 'Body');
  if (!body) throw new XdsResponseError('SOAP envelope without Body');
  const content = body.children[0];
  if (content && content.ns === soapNs && content.local === 'Fault') throw new XdsResponseError(faultReason(content, soapNs));
  if (soapNs === NS.soap11) throw new XdsResponseError('SOAP 1.1 envelope (XDS.b requires SOAP 1.2)');
  const relatesTo = childNamed(childNamed(root, soapNs, 'Header'), NS.wsa, 'RelatesTo')?.text.trim();
  if (relatesTo && relatesTo !== expectation.messageId) {
    throw new XdsResponseError(`WS-Addressing RelatesTo ${clip(relatesTo)} is not our MessageID ${expectation.messageId}`);
  }
  if (!content) throw new XdsResponseError('SOAP Body is empty');
  return expectation.transaction === 'registry' ? judgeQueryResponse(content) : judgeRetrieveResponse(content);
}

function judgeQueryResponse(content: XmlElement): string {
  if (content.ns !== NS.query || content.local !== 'AdhocQueryResponse') {
    throw new XdsResponseError(`unexpected SOAP Body element ${clip(content.local)} (expected query:AdhocQueryResponse)`);
  }
  const status = content.attributes.get('status');
  if (shortStatus(status) !== 'Success') {
    throw new XdsResponseError(`ITI-18 AdhocQueryResponse status ${shortStatus(status)}${describeErrors(registryErrors(content))}`);
  }
  const results = childrenNamed(content, NS.rim, 'RegistryObjectList')[0]?.children.length ?? 0;
  return `ITI-18 AdhocQueryResponse Success (${results} ${results === 1 ? 'entry' : 'entries'})`;
}

function judgeRetrieveResponse(content: XmlElement): string {
  if (content.ns !== NS.xdsb || content.local !== 'RetrieveDocumentSetResponse') {
    throw new XdsResponseError(
      `unexpected SOAP Body element ${clip(content.local)} (expected xdsb:RetrieveDocumentSetResponse)`,
    );
  }
  const registryResponse = childNamed(content, NS.rs, 'RegistryResponse');
  if (!registryResponse) throw new XdsResponseError('RetrieveDocumentSetResponse without rs:RegistryResponse');
  const status = shortStatus(registryResponse.attributes.get('status'));
  const documents = childrenNamed(content, NS.xdsb, 'DocumentResponse').length;
  if (status === 'Success') {
    return `ITI-43 RetrieveDocumentSetResponse Success (${documents} ${documents === 1 ? 'document' : 'documents'})`;
  }
  const errors = registryErrors(registryResponse);
  const [firstError] = errors;
  if (firstError !== undefined && errors.every((error) => XDS_UNKNOWN_DOCUMENT_ERROR_CODES.includes(error.code))) {
    return `ITI-43 RetrieveDocumentSetResponse ${status}: sentinel document unknown (${firstError.code})`;
  }
  throw new XdsResponseError(`ITI-43 RetrieveDocumentSetResponse status ${status}${describeErrors(errors)}`);
}

/** The HTTP-level answer the interpreter needs. */
export interface XdsHttpReply {
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/**
 * Judges a whole HTTP answer: status, content type, MIME packaging, then the envelope. A SOAP Fault carried by an
 * HTTP error status is reported as the Fault (it says more); other error statuses as the status line.
 */
export function interpretXdsReply(reply: XdsHttpReply, expectation: XdsExpectation): string {
  const httpOk = reply.status >= 200 && reply.status < 300;
  const status = statusLine(reply.status, reply.statusText);
  if (reply.status >= 300 && reply.status < 400) throw new XdsResponseError(`${status} (a SOAP endpoint does not redirect)`);
  try {
    const reason = interpretSoapResponse(soapEnvelopeBytes(reply.contentType, reply.body), expectation);
    if (!httpOk) throw new XdsResponseError(`${status} with a healthy-looking SOAP body`);
    return reason;
  } catch (err) {
    if (httpOk || !(err instanceof ProbeFailure)) throw err;
    if (err.reason.startsWith('SOAP Fault')) throw new XdsResponseError(`${status}: ${err.reason}`);
    throw new XdsResponseError(status);
  }
}

export function probeXds(target: ProbeTarget, check: CheckSpec, options?: ProbeOptions): Promise<ProbeResult> {
  return runProbe(check.timeoutMs, options, async (context) => {
    const transaction = check.transaction ?? DEFAULT_XDS_TRANSACTION;
    const path = check.path ?? (transaction === 'registry' ? DEFAULT_XDS_REGISTRY_PATH : DEFAULT_XDS_REPOSITORY_PATH);
    if (!path.startsWith('/') || /[\s\x00-\x1f\x7f]/.test(path)) {
      throw new ProbeFailure(`invalid path "${path}" (must start with / and contain no spaces or control characters)`);
    }
    const tls = check.tls === true;
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    const to = `${tls ? 'https' : 'http'}://${host}:${target.port}${path}`;
    const request =
      transaction === 'registry'
        ? buildRegistryStoredQuery(check.patientId ?? DEFAULT_XDS_PATIENT_ID, to)
        : buildRetrieveDocumentSet(
            check.repositoryUniqueId ?? DEFAULT_XDS_REPOSITORY_UNIQUE_ID,
            check.documentUniqueId ?? DEFAULT_XDS_DOCUMENT_UNIQUE_ID,
            to,
          );
    const reply = await httpExchange(context, target, {
      method: 'POST',
      path,
      tls,
      insecure: check.insecure,
      ...(check.caCertificates !== undefined ? { ca: check.caCertificates } : {}),
      ...(check.serverName !== undefined ? { servername: check.serverName } : {}),
      ...(check.tlsClientCertificate !== undefined ? { clientCertificate: check.tlsClientCertificate } : {}),
      headers: { 'Content-Type': request.contentType, Accept: 'application/soap+xml, multipart/related' },
      body: request.body,
      readBody: true,
      maxBodyBytes: DEFAULT_XDS_MAX_RESPONSE_BYTES,
    });
    if (reply.truncated) throw new XdsResponseError(`response larger than ${DEFAULT_XDS_MAX_RESPONSE_BYTES} bytes`);
    const contentType = reply.headers['content-type'];
    return interpretXdsReply(
      { status: reply.status, statusText: reply.statusText, contentType, body: reply.body },
      { transaction, messageId: request.messageId },
    );
  });
}
