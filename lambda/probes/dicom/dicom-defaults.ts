/**
 * Defaults and protocol constants of the DICOM C-ECHO probe (PS3.7 Verification, PS3.8 upper layer).
 * Everything a reader might want to tune lives here, in one place.
 */

/** AE title the probe presents as calling AE when the check names none. */
export const DEFAULT_CALLING_AE_TITLE = 'MEDLB';

/** AE title the probe asks for when the check names none; many SCPs accept any called AE. */
export const DEFAULT_CALLED_AE_TITLE = 'ANY-SCP';

/** DICOM application context name (PS3.7 Annex A.2.1). */
export const APPLICATION_CONTEXT_UID = '1.2.840.10008.3.1.1.1';

/** Verification SOP Class: the abstract syntax of C-ECHO. */
export const VERIFICATION_SOP_CLASS_UID = '1.2.840.10008.1.1';

/** Implicit VR Little Endian, the default transfer syntax every SCP must accept. */
export const IMPLICIT_VR_LITTLE_ENDIAN_UID = '1.2.840.10008.1.2';

/**
 * Implementation Class UID sent in the user information item. It sits under the UUID-derived root 2.25
 * (PS3.5 B.2), so it needs no registered organisation root.
 */
export const IMPLEMENTATION_CLASS_UID = '2.25.141520693521823657386017744302458214273';

/** Implementation Version Name (at most 16 characters, PS3.7 D.3.3.2.3). */
export const IMPLEMENTATION_VERSION_NAME = 'MEDLB_0_1';

/** Presentation context id proposed for Verification (odd, 1..255). */
export const VERIFICATION_PRESENTATION_CONTEXT_ID = 1;

/**
 * Largest P-DATA-TF variable field the probe announces it can receive. A C-ECHO-RSP is about 100 bytes;
 * 16 KiB is DCMTK's default and what most SCPs expect.
 */
export const ADVERTISED_MAX_PDU_LENGTH = 16_384;

/**
 * Sane bound on the length field of any incoming PDU. A larger length is a protocol error, detected from the
 * 6-byte header before anything is allocated (a peer claiming ~4 GiB must not cost 4 GiB).
 */
export const MAX_INCOMING_PDU_LENGTH = 65_536;

/** Bound on a reassembled DIMSE command set (fragments of several PDVs); C-ECHO-RSP needs ~100 bytes. */
export const MAX_COMMAND_SET_LENGTH = 65_536;

/**
 * Longest the release phase may wait for A-RELEASE-RP, as a share of the check's timeout: a peer that answered
 * the echo but never releases is reported as "release timeout" without spending the whole budget on it.
 */
export const RELEASE_PHASE_SHARE = 0.5;
