import { describe, expect, it } from 'vitest';
import { backoffDelay, retry, withTimeout } from '../../src/retry.js';

describe('retry helpers', () => {
  it('grows backoff exponentially within [ceiling/2, ceiling], capped at maxMs', () => {
    const backoff = { initialMs: 100, maxMs: 1_000 };

    expect([1, 2, 3, 4, 10].map((attempt) => backoffDelay(backoff, attempt, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 10].map((attempt) => backoffDelay(backoff, attempt, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('rejects a call that outlives its budget with CallTimeoutError and aborts its signal', async () => {
    let seen: AbortSignal | undefined;

    const call = withTimeout('slow call', 30, (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    });

    await expect(call).rejects.toMatchObject({ name: 'CallTimeoutError', message: 'slow call took longer than 30 ms' });
    expect(seen?.aborted).toBe(true);
  });

  it('stops at a permanent error and reports every failure', async () => {
    const failures: number[] = [];
    const permanent = Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' });

    const outcome = await retry(
      async (attempt) => {
        throw attempt < 3 ? new Error('flaky') : permanent;
      },
      { backoff: { initialMs: 1, maxMs: 2 }, isPermanent: (error) => error === permanent, onFailure: (_error, attempt) => failures.push(attempt) },
    );

    expect(outcome).toEqual({ ok: false, error: permanent, attempts: 3 });
    expect(failures).toEqual([1, 2, 3]);
  });

  it('ends between attempts when its signal aborts', async () => {
    const controller = new AbortController();
    let attempts = 0;

    const outcome = await retry(
      async () => {
        attempts += 1;
        if (attempts === 2) controller.abort();
        throw new Error('down');
      },
      { backoff: { initialMs: 5, maxMs: 10 }, signal: controller.signal },
    );

    expect(outcome.ok).toBe(false);
    expect(attempts).toBe(2);
  });
});
