import fc from 'fast-check';

/**
 * One seed for the whole fuzz suite, so a run is reproducible; FUZZ_SEED=<n> replays another.
 * A failure names the seed and fast-check's counterexample path in its message.
 */
export const DEFAULT_FUZZ_SEED = 20261121;

export class FuzzSeedError extends Error {
  override readonly name = 'FuzzSeedError';
}

/**
 * The seed FUZZ_SEED names: a decimal integer fast-check accepts (32 bits, signed). Anything else is
 * refused with the reason, rather than read as NaN (parseInt('abc')) and replayed as no seed at all.
 */
export function parseFuzzSeed(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_FUZZ_SEED;
  const text = raw.trim();
  const seed = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) {
    throw new FuzzSeedError(`FUZZ_SEED=${JSON.stringify(raw)} is not a seed: give a decimal integer from -2147483648 to 2147483647, e.g. FUZZ_SEED=${DEFAULT_FUZZ_SEED}`);
  }
  return seed;
}

export const FUZZ_SEED = parseFuzzSeed(process.env.FUZZ_SEED);

/** At least this many generated inputs per run of the suite (issue 6). */
export const MINIMUM_INPUTS = 10_000;

const counts = new Map<string, number>();

/** Generated inputs so far, per property and in total. */
export function generatedInputs(): { total: number; perProperty: Record<string, number> } {
  const perProperty = Object.fromEntries(counts);
  return { total: [...counts.values()].reduce((sum, count) => sum + count, 0), perProperty };
}

/**
 * Runs an async property with the suite's seed and counts every input it was given. Shrinking
 * runs only happen after a failure, so a passing run counts exactly numRuns inputs.
 */
export async function checkProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  predicate: (input: T) => Promise<void>,
): Promise<void> {
  const property = fc.asyncProperty(arbitrary, async (input) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    await predicate(input);
  });
  try {
    await fc.assert(property, { seed: FUZZ_SEED, numRuns, endOnFailure: false });
  } catch (error) {
    // fast-check's message has the seed and the path; say how to replay it with this suite.
    (error as Error).message = `${name}: replay with FUZZ_SEED=${FUZZ_SEED}\n${(error as Error).message}`;
    throw error;
  }
}
