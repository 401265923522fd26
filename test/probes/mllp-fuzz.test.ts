import { MllpDeframer, MllpFramingError, mllpFrame } from '../../lambda/probes/mllp';
import { fuzzSeed, mutate, prng, randomBytes, randomChunks, randomInt } from './fuzz-helpers';
import { messageOf } from '../../contract/thrown';

const SEED = fuzzSeed(0x6d11f);
const MAX = 512;
/** Bytes that matter to MLLP, over-represented so mutations hit framing. */
const ALPHABET = [0x0b, 0x1c, 0x0d, 0x0a, 0x4d, 0x53, 0x48, 0x7c, 0x41, 0x00, 0xff];

describe(`MLLP deframer fuzz (seed ${SEED}, replay with FUZZ_SEED=${SEED})`, () => {
  it('round-trips random frames split at random points, merged or not', () => {
    const random = prng(SEED);
    for (let round = 0; round < 500; round += 1) {
      const payloads = Array.from({ length: 1 + randomInt(random, 3) }, () =>
        randomBytes(random, randomInt(random, MAX), [0x20, 0x41, 0x7c, 0x5e, 0x0d, 0x0a, 0x80, 0xff]),
      );
      const deframer = new MllpDeframer(MAX);
      const out: Buffer[] = [];
      for (const chunk of randomChunks(random, Buffer.concat(payloads.map((payload) => mllpFrame(payload))))) out.push(...deframer.push(chunk));
      expect(out).toEqual(payloads);
      expect(deframer.midFrame).toBe(false);
    }
  });

  it('random and mutated input: only MllpFramingError, memory bounded, errors sticky', () => {
    const random = prng(SEED + 1);
    const valid = mllpFrame('MSH|^~\\&|A|B|C|D|20260101||ACK|1|P|2.5\rMSA|AA|1\r');
    let errors = 0;
    for (let round = 0; round < 3000; round += 1) {
      const input = round % 2 === 0 ? mutate(random, valid, ALPHABET) : randomBytes(random, randomInt(random, 2048), random() < 0.5 ? ALPHABET : undefined);
      const deframer = new MllpDeframer(MAX);
      let failure: unknown;
      for (const chunk of randomChunks(random, input)) {
        try {
          for (const message of deframer.push(chunk)) expect(message.length).toBeLessThanOrEqual(MAX);
        } catch (err) {
          failure = err;
          break;
        }
        expect(deframer.bufferedBytes).toBeLessThanOrEqual(MAX);
      }
      if (failure !== undefined) {
        errors += 1;
        if (!(failure instanceof MllpFramingError)) throw new Error(`seed ${SEED} round ${round}: untyped ${messageOf(failure)}`);
        expect(() => deframer.push(Buffer.from([0x0b]))).toThrow(MllpFramingError);
      }
    }
    // The generator must actually reach the error paths, or this test proves nothing.
    expect(errors).toBeGreaterThan(300);
  });

  it('refuses an endless frame at the bound, without buffering past it', () => {
    const deframer = new MllpDeframer(MAX);
    deframer.push(Buffer.from([0x0b]));
    let thrown: unknown;
    for (let index = 0; index < 100 && thrown === undefined; index += 1) {
      try {
        deframer.push(Buffer.alloc(100, 0x41));
      } catch (err) {
        thrown = err;
      }
    }
    expect(thrown).toBeInstanceOf(MllpFramingError);
    expect((thrown as MllpFramingError).reason).toBe(`MLLP frame exceeds ${MAX} bytes`);
  });
});
