import type { ScheduledEvent } from 'aws-lambda';
import type { Deps } from '../shared/deps.js';
import { runtimeDeps } from '../shared/runtime.js';
import { reconcile, type ReconcileSummary } from '../core/reconcile.js';

/**
 * ReconcilerFunction, every minute: drains tasks a scale-in left behind, ends drains whose task
 * went silent, restarts drains whose workflow died, expires registry items of stopped tasks and
 * keeps protection of busy tasks from lapsing. It throws only when every step of the run failed.
 */
export async function runReconciler(deps: Deps): Promise<ReconcileSummary> {
  const summary = await reconcile(deps);
  deps.logger.info('reconciliation finished', { ...summary });
  return summary;
}

export async function handler(_event: ScheduledEvent): Promise<ReconcileSummary> {
  const deps = runtimeDeps();
  try {
    return await runReconciler(deps);
  } finally {
    deps.metrics.publishStoredMetrics();
  }
}
