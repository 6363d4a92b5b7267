import { handleTerminateLifecycleAction } from '../core/terminations/lifecycle-hook.js';
import { parseTerminateLifecycleAction } from '../events/autoscaling.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** EC2 Instance-terminate Lifecycle Action: drain the instance's tasks, then let Auto Scaling terminate it. */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'lifecycle-terminate',
      parse: parseTerminateLifecycleAction,
      // The event names an instance, not a cluster: the core looks it up in the clusters in scope.
      keysOf: (event) => ({ ec2InstanceId: event.instanceId, autoScalingGroupName: event.groupName, lifecycleHookName: event.hookName, reason: 'INSTANCE' }),
      run: handleTerminateLifecycleAction,
    },
    getDeps,
  );
}

export const handler = createHandler();
