import { handleExecutionEnded } from '../core/reconcile/execution-ended.js';
import { parseExecutionEnded } from '../events/states.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Step Functions Execution Status Change of a drain execution that ended: restart a drain its workflow left unfinished. */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'execution-ended',
      parse: parseExecutionEnded,
      clusterOf: (event) => event.clusterArn,
      keysOf: (event) => ({ taskArn: event.taskArn, executionArn: event.executionArn }),
      run: handleExecutionEnded,
    },
    getDeps,
  );
}

export const handler = createHandler();
