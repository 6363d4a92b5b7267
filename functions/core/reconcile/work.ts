import type { Deps } from '../../shared/deps.js';
import type { RunGauges } from './gauges.js';

export interface ReconcileSummary {
  clusters: number;
  /** Cluster phases abandoned when their share of the run's time was spent (run.ts, budget.ts). */
  clustersOutOfTime: number;
  expired: number;
  heartbeatLost: number;
  restarted: number;
  protectionRenewed: number;
  scaleInDrains: number;
  scaleInDrainsCancelled: number;
  deploymentDrains: number;
  replacementsReleased: number;
  /** Drain waits ended for tasks that emptied while no stream record ended them (reconcile/repairs.ts). */
  waitsCompleted: number;
  /** Idle tasks whose protection ECS still held while their items said unprotected (reconcile/repairs.ts). */
  protectionReleased: number;
  /** Auto Scaling lifecycle actions ended (CONTINUE sent, or found ended) and heartbeats sent (terminations/lifecycle-actions.ts). */
  lifecycleActionsCompleted: number;
  lifecycleHeartbeats: number;
  attempted: number;
  failed: number;
  /** What the run saw, published as gauges (gauges.ts). */
  gauges: RunGauges;
}

/**
 * Every unit of work (one cluster listing, one task's repair) runs through here: a failure is
 * logged and counted and the run goes on, because one bad task must not keep the others from
 * being reconciled. The run fails only when every unit failed, which points at something
 * systemic (throttling, permissions, an outage) rather than at one task.
 */
export class Work {
  attempted = 0;
  failed = 0;
  lastError: unknown;

  constructor(private readonly deps: Pick<Deps, 'logger'>) {}

  async run<T>(what: string, context: Record<string, unknown>, action: () => Promise<T>): Promise<T | undefined> {
    this.attempted += 1;
    try {
      return await action();
    } catch (error) {
      this.failed += 1;
      this.lastError = error;
      this.deps.logger.error(`reconciler: ${what} failed`, { ...context, error });
      return undefined;
    }
  }
}

