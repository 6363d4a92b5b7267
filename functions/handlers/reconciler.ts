import type { Context, ScheduledEvent } from 'aws-lambda';
import type { Deps } from '../shared/deps.js';
import { type Handler, scheduleHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';
import { reconcile, type ReconcileSummary } from '../core/reconcile/run.js';

/**
 * ReconcilerFunction, every minute: drains tasks a scale-in left behind, ends drains whose task
 * went silent, restarts drains whose workflow died, expires registry items of stopped tasks and
 * keeps protection of busy tasks from lapsing. It throws only when every step of the run failed.
 * Each cluster gets a share of the invocation's time (context.getRemainingTimeInMillis), so one
 * that fails or hangs leaves the others their protection renewal.
 */
export async function runReconciler(deps: Deps, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ReconcileSummary> {
  // Without a Lambda context (tests, tools; Middy passes {}) the run has no time limit.
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined;
  const summary = await reconcile(deps, remaining === undefined ? {} : { remainingMs: remaining });
  deps.logger.info('reconciliation finished', { ...summary });
  return summary;
}

/**
 * The schedule's event carries nothing the run needs: what to repair comes from the registry and
 * ECS. Any event (a hand-made test invoke included) therefore runs the same reconciliation.
 */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return scheduleHandler(runReconciler, getDeps);
}

export const handler: Handler<ScheduledEvent, ReconcileSummary> = createHandler();
