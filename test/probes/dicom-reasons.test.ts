/** Wording of decoded A-ASSOCIATE-RJ, A-ABORT and presentation-context results (PS3.8 tables 9-21, 9-26, 9-18). */
import {
  describeAbort,
  describeAssociateReject,
  describePresentationContextRejection,
} from '../../lambda/probes/dicom/reasons';

describe('describeAssociateReject', () => {
  it.each([
    [1, 1, 1, 'association rejected (rejected-permanent, service-user: no reason given)'],
    [1, 1, 2, 'association rejected (rejected-permanent, service-user: application context name not supported)'],
    [1, 1, 3, 'association rejected (rejected-permanent, service-user: calling AE title not recognized)'],
    [1, 1, 7, 'association rejected (rejected-permanent, service-user: called AE title not recognized)'],
    [2, 2, 1, 'association rejected (rejected-transient, service-provider (ACSE): no reason given)'],
    [1, 2, 2, 'association rejected (rejected-permanent, service-provider (ACSE): protocol version not supported)'],
    [2, 3, 1, 'association rejected (rejected-transient, service-provider (presentation): temporary congestion)'],
    [2, 3, 2, 'association rejected (rejected-transient, service-provider (presentation): local limit exceeded)'],
    // Reserved codes are shown as numbers, never guessed: reason 7 means "called AE" only for the service-user.
    [1, 2, 7, 'association rejected (rejected-permanent, service-provider (ACSE): reason 7)'],
    [3, 4, 0, 'association rejected (result 3, source 4: reason 0)'],
  ])('result %i, source %i, reason %i → %s', (result, source, reason, expected) => {
    expect(describeAssociateReject({ result, source, reason })).toBe(expected);
  });
});

describe('describeAbort', () => {
  it.each([
    [0, 0, 'aborted by peer (service-user)'],
    [0, 5, 'aborted by peer (service-user)'],
    [2, 0, 'aborted by peer (service-provider: reason not specified)'],
    [2, 1, 'aborted by peer (service-provider: unrecognized PDU)'],
    [2, 2, 'aborted by peer (service-provider: unexpected PDU)'],
    [2, 4, 'aborted by peer (service-provider: unrecognized PDU parameter)'],
    [2, 5, 'aborted by peer (service-provider: unexpected PDU parameter)'],
    [2, 6, 'aborted by peer (service-provider: invalid PDU parameter value)'],
    [2, 3, 'aborted by peer (service-provider: reason 3)'],
    [9, 1, 'aborted by peer (source 9)'],
  ])('source %i, reason %i → %s', (source, reason, expected) => {
    expect(describeAbort({ source, reason })).toBe(expected);
  });
});

describe('describePresentationContextRejection', () => {
  it.each([
    [1, 'presentation context not accepted (user rejection)'],
    [2, 'presentation context not accepted (no reason given)'],
    [3, 'presentation context not accepted (abstract syntax not supported)'],
    [4, 'presentation context not accepted (transfer syntaxes not supported)'],
    [7, 'presentation context not accepted (result 7)'],
  ])('result %i → %s', (result, expected) => {
    expect(describePresentationContextRejection(result)).toBe(expected);
  });
});
