/**
 * Defaults of the non-DICOM probes, in one place. Every value here is overridable from the check (CheckSpec) or
 * the `medlb probe` command line; the comments say why each default is what it is.
 */

/**
 * HL7 message type sent by the hl7 probe. `NMD^N02` (HL7 v2 chapter 14, "application management data") exists for
 * exactly this: applications telling each other about their status. It carries no patient, so no ADT/order/result
 * handler can turn it into clinical data, and engines in original acknowledgment mode (Mirth, Rhapsody, Cloverleaf,
 * node-hl7-server) acknowledge any well-formed message at the transport level. Engines that route by type drop it
 * after acknowledging. Sites whose engine rejects unknown types can pick another harmless type (e.g. `QRY^A19`).
 */
export const DEFAULT_HL7_MESSAGE_TYPE = 'NMD^N02';

/** MSH-12 of the probe message: 2.5 is the most widely accepted v2 version. */
export const DEFAULT_HL7_VERSION = '2.5';

/** MSH-3 (sending application) and MSH-4 (sending facility), so interface logs show who sent the probe. */
export const DEFAULT_HL7_SENDING_APPLICATION = 'MEDLB';
export const DEFAULT_HL7_SENDING_FACILITY = 'MEDLB';

/** MSA-1 codes that count as healthy: original (AA) and enhanced-mode commit (CA) accept. */
export const DEFAULT_HL7_ACCEPT_CODES: readonly string[] = ['AA', 'CA'];

/** Largest MLLP reply accepted; an ACK is a few hundred bytes, so anything near this is a misbehaving peer. */
export const DEFAULT_MLLP_MAX_MESSAGE_BYTES = 64 * 1024;

/** XDS transaction probed when the check does not say (the registry's ITI-18): the contract's. */
export { DEFAULT_XDS_TRANSACTION } from '../../contract/check';

/** Endpoint paths (OpenXDS/Axis2 conventions, which many XDS.b products keep); sites usually set `path`. */
export const DEFAULT_XDS_REGISTRY_PATH = '/axis2/services/xdsregistryb';
export const DEFAULT_XDS_REPOSITORY_PATH = '/axis2/services/xdsrepositoryb';

/**
 * Sentinel patient id for ITI-18 (CX with an ISO assigning authority). Querying a patient that does not exist
 * returns Success with no results on a healthy registry, and reads nothing real.
 */
export const DEFAULT_XDS_PATIENT_ID = 'MEDLB-PROBE^^^&1.3.6.1.4.1.21367.2005.3.7&ISO';

/** Sentinel document unique id for ITI-43: unknown on a healthy repository, which says so (XDSDocumentUniqueIdError). */
export const DEFAULT_XDS_DOCUMENT_UNIQUE_ID = '1.3.6.1.4.1.21367.2005.3.7.999999999';

/** Repository unique id for ITI-43; sites should set their repository's OID. */
export const DEFAULT_XDS_REPOSITORY_UNIQUE_ID = '1.3.6.1.4.1.21367.2005.3.7';

/** RegistryError codes of an ITI-43 Failure that only mean "the sentinel document is unknown" (healthy). */
export const XDS_UNKNOWN_DOCUMENT_ERROR_CODES: readonly string[] = ['XDSDocumentUniqueIdError'];

/** Largest XDS response read; sentinel answers are a few KiB. */
export const DEFAULT_XDS_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

/** Path the http/https probes GET. */
export const DEFAULT_HTTP_PATH = '/';

/** Bytes of body searched for `expect`; the probe stops reading there (bounded memory on large pages). */
export const DEFAULT_HTTP_MAX_BODY_BYTES = 256 * 1024;

/** Longest peer-supplied text (ACK error text, SOAP fault reason) copied into a reason. */
export const MAX_REASON_DETAIL_CHARS = 200;
