import { Hl7AckError, interpretAck } from '../../lambda/probes/hl7';
import { MAX_REASON_DETAIL_CHARS } from '../../lambda/probes/probe-defaults';
import { fuzzSeed, mutate, prng, randomBytes, randomInt } from './fuzz-helpers';

const SEED = fuzzSeed(0xac4);
const CONTROL_ID = 'MLB0FUZZ';
const ALPHABET = [...Buffer.from('MSHA|^~\\&#$ERRMSA\rAEAR\n0123 ', 'latin1'), 0x00, 0xff, 0x1c];
const VALID = [
  `MSH|^~\\&|PEER|HOSP|MEDLB|MEDLB|20261124||ACK^N02|P1|P|2.5\rMSA|AA|${CONTROL_ID}\r`,
  `MSH#$~\\&#PEER#HOSP#MEDLB#MEDLB#20261124##ACK#P1#P#2.5\rMSA#AE#${CONTROL_ID}#Queue \\F\\3 full$later\rERR###207$Error\r`,
  `MSH|^~\\&|PEER|HOSP|||20261124||ACK|P1|P|2.7\rMSA|AR|${CONTROL_ID}\rERR||MSH^1^9|200^Unsupported^HL70357|E||||\\X414243\\ text\r`,
].map((text) => Buffer.from(text, 'latin1'));

describe(`HL7 ACK parser fuzz (seed ${SEED}, replay with FUZZ_SEED=${SEED})`, () => {
  it('never throws anything but Hl7AckError, and keeps reasons short and printable', () => {
    const random = prng(SEED);
    const outcomes = { healthy: 0, unhealthy: 0 };
    for (let round = 0; round < 5000; round += 1) {
      const input =
        round % 3 === 2 ? randomBytes(random, randomInt(random, 300), ALPHABET) : mutate(random, VALID[randomInt(random, VALID.length)]!, ALPHABET);
      let reason: string;
      try {
        reason = interpretAck(input, { controlId: CONTROL_ID });
        outcomes.healthy += 1;
      } catch (err) {
        if (!(err instanceof Hl7AckError)) throw new Error(`seed ${SEED} round ${round}: untyped ${String(err)} for ${JSON.stringify(input.toString('latin1'))}`);
        reason = err.reason;
        outcomes.unhealthy += 1;
      }
      // An ACK text is clipped, the rest of a reason is ours; control characters never get through.
      expect(reason.length).toBeLessThan(3 * MAX_REASON_DETAIL_CHARS + 120);
      expect(reason).not.toMatch(/[\x00-\x1f]/);
    }
    expect(outcomes.healthy).toBeGreaterThan(100);
    expect(outcomes.unhealthy).toBeGreaterThan(1000);
  });

  it('handles a huge hostile ACK quickly (no pathological backtracking)', () => {
    const huge = Buffer.from(`MSH|^~\\&|A\rMSA|AE|${CONTROL_ID}|${'\\'.repeat(50_000)}${'^'.repeat(50_000)}\r`, 'latin1');
    const startedAt = Date.now();
    expect(() => interpretAck(huge, { controlId: CONTROL_ID })).toThrow(Hl7AckError);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });
});
