import { handleContainerInstanceDraining } from '../core/interruptions/instances.js';
import { parseContainerInstanceDraining } from '../events/ecs.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** ECS Container Instance State Change to DRAINING: drain tasks with sessions, release idle ones. */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'container-instance-draining',
      parse: parseContainerInstanceDraining,
      clusterOf: (event) => event.clusterArn,
      keysOf: (event) => ({ containerInstanceArn: event.containerInstanceArn, reason: 'INSTANCE' }),
      run: handleContainerInstanceDraining,
    },
    getDeps,
  );
}

export const handler = createHandler();
