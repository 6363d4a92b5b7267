import { closeStoppedTask } from '../core/task-stopped.js';
import { parseTaskStopped } from '../events/ecs.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';
import { definedOnly } from '../shared/optional.js';

/** ECS Task State Change to STOPPED: close the registry item and end any drain still waiting. */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'task-stopped',
      parse: parseTaskStopped,
      clusterOf: (event) => event.detail.clusterArn,
      keysOf: (event) => ({ taskArn: event.detail.taskArn }),
      run: (deps, event) =>
        closeStoppedTask(deps, {
          taskArn: event.detail.taskArn,
          version: event.detail.version,
          ...definedOnly({ stoppedReason: event.detail.stoppedReason }),
        }),
    },
    getDeps,
  );
}

export const handler = createHandler();
