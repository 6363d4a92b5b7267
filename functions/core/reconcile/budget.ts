/* The run's time, shared among the clusters so that a slow one cannot starve the others (run.ts). */
import type { Logger } from '@aws-lambda-powertools/logger';

/** Kept back at the end of an invocation: the summary is logged and the metrics published after the clusters. */
export const FINISH_RESERVE_MS = 5_000;

export interface RunClock {
  /** Lambda's context.getRemainingTimeInMillis(); absent (tests, tools) the run has no limit. */
  remainingMs?: () => number;
}

/**
 * A cluster's share of what is left of the invocation: the rest divided among the clusters still
 * to come in this phase, so that one that overruns takes its own share only. Undefined without a limit.
 */
export function clusterShareMs(clock: RunClock, clustersLeft: number): number | undefined {
  if (clock.remainingMs === undefined) return undefined;
  return Math.max(0, clock.remainingMs() - FINISH_RESERVE_MS) / Math.max(1, clustersLeft);
}

/**
 * Runs one cluster's phase within its share. When the share runs out the run moves on and the
 * phase is abandoned, still under way: an SDK call cannot be taken back, and every write it makes
 * is conditional, so finishing late does no harm (the next run reads what it left). Returns
 * undefined when out of time.
 */
export async function withinShare<T>(
  shareMs: number | undefined,
  logger: Pick<Logger, 'error'>,
  context: Record<string, unknown>,
  phase: () => Promise<T>,
): Promise<T | undefined> {
  const running = phase();
  if (shareMs === undefined) return running;
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<'out-of-time'>((resolve) => {
    timer = setTimeout(() => resolve('out-of-time'), shareMs);
  });
  // An abandoned phase that fails later has nobody left to tell; its units log their own failures.
  running.catch(() => undefined);
  try {
    const first = await Promise.race([running, outOfTime]);
    if (first !== 'out-of-time') return first as T;
    logger.error('reconciler: a step ran out of its share of the run; the rest is left to the next run', { ...context, shareMs: Math.round(shareMs) });
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The clusters in this run's order: a different one first each minute, so that a cluster that
 * always overruns does not always leave the same ones with the least time.
 */
export function clusterOrder(clusterArns: readonly string[], now: Date): string[] {
  if (clusterArns.length === 0) return [];
  const first = Math.floor(now.getTime() / 60_000) % clusterArns.length;
  return [...clusterArns.slice(first), ...clusterArns.slice(0, first)];
}
