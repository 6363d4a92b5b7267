import { handleSpotWarning } from '../core/interruptions/spot.js';
import { parseSpotWarning } from '../events/spot.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Fargate Spot task warnings and EC2 Spot Instance Interruption Warnings. */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'spot-interruption',
      parse: parseSpotWarning,
      // EC2 warnings name no cluster; the core looks the instance up in the clusters in scope.
      clusterOf: (event) => (event.kind === 'fargate-spot' ? event.clusterArn : undefined),
      keysOf: (event) =>
        event.kind === 'fargate-spot' ? { taskArn: event.taskArn, reason: 'SPOT' } : { ec2InstanceId: event.instanceId, reason: 'SPOT' },
      run: handleSpotWarning,
    },
    getDeps,
  );
}

export const handler = createHandler();
