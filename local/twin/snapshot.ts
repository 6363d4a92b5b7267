import type { TwinServiceSnapshot, TwinSnapshot } from './model.js';
import { copyTask } from './model.js';
import { taskCounts } from './scheduler.js';
import type { TwinStore } from './store.js';
import type { ApiThrottle } from './throttle.js';

/** Plain data for progress output and tests: copies, so that nobody mutates the twin through them. */
export function snapshotOf(store: TwinStore, throttle: ApiThrottle): TwinSnapshot {
  const services: TwinServiceSnapshot[] = [...store.services.values()].map((service) => {
    const tasks = store.tasksOfService(service);
    const { runningCount, pendingCount } = taskCounts(tasks);
    return {
      ...service,
      runningCount,
      pendingCount,
      deployments: service.deployments.map((deployment) => {
        const own = taskCounts(tasks.filter((task) => task.deploymentId === deployment.id));
        return {
          ...deployment,
          desiredCount: deployment.status === 'PRIMARY' ? service.desiredCount : own.desiredCount,
          runningCount: own.runningCount,
          pendingCount: own.pendingCount,
        };
      }),
    };
  });
  return {
    clusters: [...store.clusters.values()].map((cluster) => ({ ...cluster })),
    services,
    tasks: [...store.tasks.values()].map(copyTask),
    containerInstances: [...store.instances.values()].map((instance) => ({ ...instance })),
    apiCalls: { ...throttle.calls },
    throttled: { ...throttle.throttled },
    serverErrors: { ...throttle.serverErrors },
  };
}
