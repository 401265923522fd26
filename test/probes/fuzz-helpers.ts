/** Deterministic randomness for the fuzz tests: failures print their seed and replay exactly. */

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed: FUZZ_SEED from the environment to replay a failure, else a fixed default so runs are reproducible. */
export function fuzzSeed(defaultSeed: number): number {
  const fromEnv = Number(process.env.FUZZ_SEED);
  return Number.isInteger(fromEnv) ? fromEnv : defaultSeed;
}

export function randomInt(random: () => number, max: number): number {
  return Math.floor(random() * max);
}

export function randomBytes(random: () => number, length: number, alphabet?: readonly number[]): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) {
    bytes[index] = alphabet ? alphabet[randomInt(random, alphabet.length)]! : randomInt(random, 256);
  }
  return bytes;
}

/** A copy of `input` with a few random bytes flipped, removed, duplicated or inserted, then maybe truncated. */
export function mutate(random: () => number, input: Buffer, alphabet?: readonly number[]): Buffer {
  let bytes = Buffer.from(input);
  const edits = 1 + randomInt(random, 4);
  for (let edit = 0; edit < edits && bytes.length > 0; edit += 1) {
    const at = randomInt(random, bytes.length);
    switch (randomInt(random, 4)) {
      case 0:
        bytes[at] = alphabet ? alphabet[randomInt(random, alphabet.length)]! : randomInt(random, 256);
        break;
      case 1:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + 1 + randomInt(random, 8)), bytes.subarray(at)]);
        break;
      default:
        bytes = Buffer.concat([bytes.subarray(0, at), randomBytes(random, 1 + randomInt(random, 4), alphabet), bytes.subarray(at)]);
    }
  }
  return random() < 0.3 ? bytes.subarray(0, randomInt(random, bytes.length + 1)) : bytes;
}

/** Splits `input` into random chunks, as TCP reads would. */
export function randomChunks(random: () => number, input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let index = 0;
  while (index < input.length) {
    const size = 1 + randomInt(random, Math.min(64, input.length - index));
    chunks.push(input.subarray(index, index + size));
    index += size;
  }
  return chunks;
}
