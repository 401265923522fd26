/**
 * The lab's stand-in for an IHE XDS.b registry and repository (SOAP 1.2 with WS-Addressing over HTTP): ITI-18
 * Registry Stored Query is answered Success with an empty object list (the probe's sentinel patient holds no
 * documents), ITI-43 Retrieve Document Set as MTOM/XOP with `XDSDocumentUniqueIdError` (the sentinel document is
 * unknown, which the probe counts as healthy). Anything else gets a SOAP Sender fault, so a wrong client is told.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const WSA = 'http://www.w3.org/2005/08/addressing';
const STATUS = (name: string) => `urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:${name}`;
const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=UTF-8';
/** A request larger than this is no XDS probe or query the lab expects. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** The request handler of the responder. `name` (the real server's) goes into every answer's Action-independent comment. */
export function xdsResponder(name: string): RequestListener {
  return (request, response) => {
    void readBody(request).then(
      (body) => answer(name, body, response),
      () => response.writeHead(413, { 'Content-Type': 'text/plain' }).end('request too large'),
    );
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        request.destroy();
        reject(new Error('too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function answer(name: string, body: string, response: ServerResponse): void {
  // An MTOM request carries the envelope in its root part: the element text is read wherever it is.
  const messageId = /<(?:[\w-]+:)?MessageID[^>]*>([^<]*)</.exec(body)?.[1]?.trim() ?? '';
  if (/<(?:[\w-]+:)?AdhocQueryRequest[\s>]/.test(body)) {
    const result = `<query:AdhocQueryResponse xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" status="${STATUS('Success')}"><rim:RegistryObjectList xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"/></query:AdhocQueryResponse>`;
    response
      .writeHead(200, { 'Content-Type': `${SOAP_CONTENT_TYPE}; action="urn:ihe:iti:2007:RegistryStoredQueryResponse"` })
      .end(envelope(name, 'urn:ihe:iti:2007:RegistryStoredQueryResponse', messageId, result));
    return;
  }
  if (/<(?:[\w-]+:)?RetrieveDocumentSetRequest[\s>]/.test(body)) {
    const documentId = /<(?:[\w-]+:)?DocumentUniqueId[^>]*>([^<]*)</.exec(body)?.[1]?.trim() ?? '';
    const result =
      `<xdsb:RetrieveDocumentSetResponse xmlns:xdsb="urn:ihe:iti:xds-b:2007" xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0">` +
      `<rs:RegistryResponse status="${STATUS('Failure')}"><rs:RegistryErrorList>` +
      `<rs:RegistryError errorCode="XDSDocumentUniqueIdError" codeContext="document ${escapeXml(documentId)} is not held by the lab repository ${escapeXml(name)}" ` +
      `severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/></rs:RegistryErrorList></rs:RegistryResponse></xdsb:RetrieveDocumentSetResponse>`;
    sendMtom(response, envelope(name, 'urn:ihe:iti:2007:RetrieveDocumentSetResponse', messageId, result));
    return;
  }
  const fault =
    `<env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code><env:Reason><env:Text xml:lang="en">` +
    `the lab XDS responder ${escapeXml(name)} answers ITI-18 (AdhocQueryRequest) and ITI-43 (RetrieveDocumentSetRequest) only</env:Text></env:Reason></env:Fault>`;
  response.writeHead(400, { 'Content-Type': SOAP_CONTENT_TYPE }).end(envelope(name, 'http://www.w3.org/2005/08/addressing/soap/fault', messageId, fault));
}

function envelope(name: string, action: string, relatesTo: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<!-- medlb lab XDS responder ${escapeXml(name).replace(/--/g, '- -')} -->\n` +
    `<env:Envelope xmlns:env="${SOAP12}" xmlns:wsa="${WSA}"><env:Header>` +
    `<wsa:Action env:mustUnderstand="1">${action}</wsa:Action><wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
    `<wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo></env:Header><env:Body>${body}</env:Body></env:Envelope>`
  );
}

/** ITI-43 answers are MTOM/XOP (IHE ITI TF-2b 3.43.5): one root part, no attachment for an unknown document. */
function sendMtom(response: ServerResponse, soap: string): void {
  const boundary = `MIMEBoundary_${randomUUID()}`;
  const rootId = `<root.${randomUUID()}@medlb.lab>`;
  const body =
    `--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n` +
    `Content-Transfer-Encoding: binary\r\nContent-ID: ${rootId}\r\n\r\n${soap}\r\n--${boundary}--\r\n`;
  response
    .writeHead(200, {
      'Content-Type': `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="${rootId}"; start-info="application/soap+xml"`,
    })
    .end(body);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
