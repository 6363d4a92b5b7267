import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../../functions/shared/concurrency.js';

describe('mapWithConcurrency', () => {
  it('keeps at most the limit in flight and returns results in the items\' order', async () => {
    let inFlight = 0;
    let most = 0;
    const delays = [30, 5, 20, 1, 10, 15, 2];

    const results = await mapWithConcurrency(delays, 3, async (delay) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, delay));
      inFlight -= 1;
      return delay * 2;
    });

    expect(results).toEqual(delays.map((delay) => delay * 2));
    expect(most).toBe(3);
  });

  it('rejects with the first failure once the calls in flight settled', async () => {
    const finished: number[] = [];

    const outcome = mapWithConcurrency([1, 2, 3], 2, async (item) => {
      if (item === 1) throw new Error('boom');
      await new Promise((resolve) => setTimeout(resolve, 5));
      finished.push(item);
      return item;
    });

    await expect(outcome).rejects.toThrow('boom');
    expect(finished).toEqual([2, 3]);
  });
});
