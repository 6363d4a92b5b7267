import { handleDeploymentEvent } from '../core/deployments/state-change.js';
import { parseDeploymentEvent } from '../events/ecs.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** ECS Deployment State Change: drain the old revision's tasks that hold sessions, release the rest. */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'deployment-event',
      parse: parseDeploymentEvent,
      clusterOf: (event) => event.clusterArn,
      keysOf: (event) => ({ serviceArn: event.serviceArn, deploymentId: event.deploymentId, reason: 'DEPLOYMENT' }),
      run: handleDeploymentEvent,
    },
    getDeps,
  );
}

export const handler = createHandler();
