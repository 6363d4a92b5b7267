import { drainBlueTasks } from '../core/deployments/blue-green.js';
import { parsePauseHookAwaiting } from '../events/ecs.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/**
 * DeploymentHookFunction: a BLUE_GREEN, LINEAR or CANARY deployment paused at its
 * POST_PRODUCTION_TRAFFIC_SHIFT hook (ECS Hook State Change, HOOK_AWAITING_ACTION). The blue tasks
 * are drained; the deployment continues when the last of them is empty or at its drain deadline.
 */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'deployment-hook',
      parse: parsePauseHookAwaiting,
      clusterOf: (event) => event.clusterArn,
      keysOf: (event) => ({ serviceArn: event.serviceArn, hookId: event.hookId, reason: 'DEPLOYMENT' }),
      run: drainBlueTasks,
    },
    getDeps,
  );
}

export const handler = createHandler();
