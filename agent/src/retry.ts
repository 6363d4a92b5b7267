import { CallTimeoutError } from './errors.js';

/**
 * Timing helpers. Every timer the agent creates is unref'd: the agent must never be the reason a
 * process stays alive, and it must never be the reason one dies (no unhandled rejections).
 */

export interface Backoff {
  /** Delay before the first retry. */
  initialMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 200, maxMs: 30_000 };

/** Exponential backoff with full jitter in the upper half: attempt 1 waits ~initialMs. */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Node fires a timer at once when its delay exceeds 2^31-1 ms; longer delays are cut to that. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** setTimeout that does not keep the event loop alive. */
export function unrefTimer(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(callback, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
  timer.unref?.();
  return timer;
}

/** Resolves after ms, or at once when the signal aborts; never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = unrefTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs a call with a time budget. The call gets an abort signal that fires at the budget (or when
 * `outer` aborts) so the request can be cancelled; the result rejects with CallTimeoutError then,
 * even if the call ignores its signal.
 */
export async function withTimeout<T>(what: string, ms: number, call: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = unrefTimer(() => {
      const error = new CallTimeoutError(`${what} took longer than ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const attempt = call(controller.signal);
  // A call that settles after the budget must not surface as an unhandled rejection.
  attempt.catch(() => undefined);
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

export interface RetryOptions {
  backoff?: Backoff;
  /** Stops the loop between attempts; the attempt in flight is aborted too. */
  signal?: AbortSignal;
  /** An error after which retrying is pointless; the loop ends with it. */
  isPermanent?: (error: unknown) => boolean;
  /** Called after each failed attempt (logging, events). */
  onFailure?: (error: unknown, attempt: number, permanent: boolean) => void;
  /** Give up after this many attempts (default: never, until the signal aborts). */
  maxAttempts?: number;
}

export type RetryOutcome<T> = { ok: true; value: T; attempts: number } | { ok: false; error: unknown; attempts: number };

/**
 * Repeats a call until it succeeds, a permanent error comes back, attempts run out or the signal
 * aborts. Never rejects: the outcome says how it ended.
 */
export async function retry<T>(call: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<RetryOutcome<T>> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let attempt = 0;
  let lastError: unknown = new Error('never attempted');
  while (!options.signal?.aborted) {
    attempt += 1;
    try {
      return { ok: true, value: await call(attempt), attempts: attempt };
    } catch (error) {
      lastError = error;
      const permanent = options.isPermanent?.(error) ?? false;
      options.onFailure?.(error, attempt, permanent);
      if (permanent || (options.maxAttempts !== undefined && attempt >= options.maxAttempts)) break;
      await pause(backoffDelay(backoff, attempt), options.signal);
    }
  }
  return { ok: false, error: lastError, attempts: attempt };
}
