import { describe, expect, it } from 'vitest';
import { batchesOf } from '../../../functions/shared/batches.js';

describe('batchesOf', () => {
  it('splits 23 task ARNs into batches of 10, 10 and 3, in order', () => {
    const arns = Array.from({ length: 23 }, (_, index) => `task-${index}`);

    const batches = [...batchesOf(arns, 10)];

    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(arns);
  });

  it('yields no batch for no items, and one for exactly one batch', () => {
    expect([...batchesOf([], 100)]).toEqual([]);
    expect([...batchesOf(['a', 'b'], 2)]).toEqual([['a', 'b']]);
  });

  it('refuses a batch size that would never end or split nothing', () => {
    expect(() => [...batchesOf(['a'], 0)]).toThrow('a batch size must be a positive integer, not 0');
    expect(() => [...batchesOf(['a'], 2.5)]).toThrow(RangeError);
  });
});
