import { describe, expect, it } from 'vitest';
import { DEFAULT_FUZZ_SEED, parseFuzzSeed } from '../../support/fuzz/budget.js';

/* FUZZ_SEED replays another run of the fuzz suite; a value that is no seed is refused, never replayed as NaN. */

describe('FUZZ_SEED', () => {
  it('defaults to the suite seed when unset or empty', () => {
    expect(parseFuzzSeed(undefined)).toBe(DEFAULT_FUZZ_SEED);
    expect(parseFuzzSeed('  ')).toBe(DEFAULT_FUZZ_SEED);
  });

  it('reads a decimal integer, negative ones too', () => {
    expect(parseFuzzSeed('7')).toBe(7);
    expect(parseFuzzSeed(' -42 ')).toBe(-42);
  });

  it.each(['abc', '12abc', '1.5', '1e3', '0x10', '2147483648', 'NaN'])('refuses FUZZ_SEED=%s with a message that says what a seed is', (raw) => {
    expect(() => parseFuzzSeed(raw)).toThrow(
      `FUZZ_SEED=${JSON.stringify(raw)} is not a seed: give a decimal integer from -2147483648 to 2147483647, e.g. FUZZ_SEED=${DEFAULT_FUZZ_SEED}`,
    );
  });
});
