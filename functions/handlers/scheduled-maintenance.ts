import { handleScheduledMaintenance } from '../core/terminations/scheduled-events.js';
import { parseScheduledMaintenance } from '../events/health.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** AWS Health Event of an EC2 scheduled event (retirement, stop, reboot): drain the instances' tasks before it starts. */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'scheduled-maintenance',
      parse: parseScheduledMaintenance,
      // The event names instances, not a cluster: the core looks each up in the clusters in scope.
      keysOf: (event) => ({ eventTypeCode: event.eventTypeCode, ec2InstanceId: event.instanceIds.join(','), reason: 'INSTANCE' }),
      run: handleScheduledMaintenance,
    },
    getDeps,
  );
}

export const handler = createHandler();
