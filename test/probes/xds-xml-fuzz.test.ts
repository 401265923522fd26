import { interpretXdsReply, parseMediaType, XdsResponseError, type XdsTransaction } from '../../lambda/probes/xds';
import { XmlDocumentError } from '../../lambda/probes/xml';
import { fuzzSeed, mutate, prng, randomBytes, randomInt } from './fuzz-helpers';

const SEED = fuzzSeed(0x0d5);
const MESSAGE_ID = 'urn:uuid:00000000-0000-4000-8000-000000000001';
const SOAP = 'http://www.w3.org/2003/05/soap-envelope';
const envelope = (body: string): string =>
  `<?xml version="1.0"?><e:Envelope xmlns:e="${SOAP}" xmlns:w="http://www.w3.org/2005/08/addressing"><e:Header>` +
  `<w:RelatesTo>${MESSAGE_ID}</w:RelatesTo></e:Header><e:Body>${body}</e:Body></e:Envelope>`;
const QUERY_OK = envelope(
  `<q:AdhocQueryResponse xmlns:q="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success">` +
    `<RegistryObjectList xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><ObjectRef id="urn:uuid:1"/></RegistryObjectList></q:AdhocQueryResponse>`,
);
const RETRIEVE_UNKNOWN = envelope(
  `<x:RetrieveDocumentSetResponse xmlns:x="urn:ihe:iti:xds-b:2007" xmlns:r="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0">` +
    `<r:RegistryResponse status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"><r:RegistryErrorList>` +
    `<r:RegistryError errorCode="XDSDocumentUniqueIdError" codeContext="unknown &amp; gone"/></r:RegistryErrorList></r:RegistryResponse>` +
    `</x:RetrieveDocumentSetResponse>`,
);
const FAULT = envelope(`<e:Fault><e:Code><e:Value>e:Receiver</e:Value></e:Code><e:Reason><e:Text>down</e:Text></e:Reason></e:Fault>`);
const BOUNDARY = 'uuid:fuzz';
const mtom = (xml: string): string =>
  `--${BOUNDARY}\r\nContent-Type: application/xop+xml; type="application/soap+xml"\r\nContent-ID: <root>\r\n\r\n${xml}\r\n` +
  `--${BOUNDARY}\r\nContent-Type: application/octet-stream\r\nContent-ID: <doc>\r\n\r\n\x00\x01binary\r\n--${BOUNDARY}--\r\n`;
const MTOM_TYPE = `multipart/related; type="application/xop+xml"; boundary="${BOUNDARY}"; start="<root>"`;

const SAMPLES: ReadonlyArray<{ body: string; contentType: string; transaction: XdsTransaction; healthy: string }> = [
  { body: QUERY_OK, contentType: 'application/soap+xml', transaction: 'registry', healthy: 'ITI-18 AdhocQueryResponse Success (1 entry)' },
  { body: mtom(RETRIEVE_UNKNOWN), contentType: MTOM_TYPE, transaction: 'repository', healthy: 'ITI-43 RetrieveDocumentSetResponse Failure: sentinel document unknown (XDSDocumentUniqueIdError)' },
  { body: FAULT, contentType: 'application/soap+xml', transaction: 'registry', healthy: '' },
];
const ALPHABET = [...Buffer.from('<>/:="\'&;-xmlns e:Envelope Body rs?!#[]\r\n', 'latin1'), 0x00, 0xff];

function judge(body: Buffer, contentType: string, transaction: XdsTransaction, status = 200): { healthy: boolean; reason: string } {
  try {
    return { healthy: true, reason: interpretXdsReply({ status, statusText: 'OK', contentType, body }, { transaction, messageId: MESSAGE_ID }) };
  } catch (err) {
    if (err instanceof XdsResponseError || err instanceof XmlDocumentError) return { healthy: false, reason: err.reason };
    throw err;
  }
}

describe(`XDS response parser fuzz (seed ${SEED}, replay with FUZZ_SEED=${SEED})`, () => {
  it('judges the unmutated samples as expected (the fuzz starts from real answers)', () => {
    for (const sample of SAMPLES) {
      const verdict = judge(Buffer.from(sample.body, 'latin1'), sample.contentType, sample.transaction);
      if (sample.healthy) expect(verdict).toEqual({ healthy: true, reason: sample.healthy });
      else expect(verdict).toEqual({ healthy: false, reason: 'SOAP Fault e:Receiver: down' });
    }
  });

  it('mutated, truncated and random bodies give a verdict or a typed error, never anything else', () => {
    const random = prng(SEED);
    const counts = { healthy: 0, unhealthy: 0 };
    for (let round = 0; round < 1500; round += 1) {
      const sample = SAMPLES[randomInt(random, SAMPLES.length)];
      const body =
        round % 5 === 4 ? randomBytes(random, randomInt(random, 400), ALPHABET) : mutate(random, Buffer.from(sample!.body, 'latin1'), ALPHABET);
      const contentType = random() < 0.1 ? mutate(random, Buffer.from(sample!.contentType)).toString('latin1') : sample!.contentType;
      let verdict: { healthy: boolean; reason: string };
      try {
        verdict = judge(body, contentType, sample!.transaction, random() < 0.1 ? 500 : 200);
      } catch (err) {
        throw new Error(`seed ${SEED} round ${round}: untyped ${err instanceof Error ? err.stack : String(err)}`);
      }
      counts[verdict.healthy ? 'healthy' : 'unhealthy'] += 1;
      expect(verdict.reason.length).toBeLessThan(1000);
      expect(verdict.reason).not.toMatch(/[\x00-\x1f\x7f]/);
    }
    expect(counts.unhealthy).toBeGreaterThan(500);
    expect(counts.healthy).toBeGreaterThan(20);
  });

  it('refuses hostile documents with a typed error: DTD/entity bomb, deep nesting, undeclared prefix', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><e:Envelope xmlns:e="${SOAP}"><e:Body>&b;</e:Body></e:Envelope>`;
    expect(judge(Buffer.from(bomb), 'application/soap+xml', 'registry')).toEqual({ healthy: false, reason: 'XML with a DTD (not allowed in SOAP)' });
    const deep = `<e:Envelope xmlns:e="${SOAP}"><e:Body>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</e:Body></e:Envelope>`;
    const deepVerdict = judge(Buffer.from(deep), 'application/soap+xml', 'registry');
    expect(deepVerdict.healthy).toBe(false);
    expect(deepVerdict.reason).toMatch(/nested deeper than 64 levels|not well-formed XML/);
    expect(judge(Buffer.from('<x:Envelope/>'), 'application/soap+xml', 'registry')).toEqual({ healthy: false, reason: 'undeclared namespace prefix "x"' });
  });

  it('parses Content-Type parameters with quoting and odd spacing', () => {
    expect(parseMediaType('Multipart/Related ;boundary="a;b\\"c" ; start=<x>;type=application/xop+xml')).toEqual({
      type: 'multipart/related',
      parameters: new Map([['boundary', 'a;b"c'], ['start', '<x>'], ['type', 'application/xop+xml']]),
    });
  });
});
