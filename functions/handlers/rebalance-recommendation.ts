import { handleRebalanceRecommendation } from '../core/interruptions/instances.js';
import { parseRebalanceRecommendation } from '../events/ec2.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** EC2 Instance Rebalance Recommendation: drain the instance's tasks before a Spot interruption. */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  return eventBridgeHandler(
    {
      name: 'rebalance-recommendation',
      parse: parseRebalanceRecommendation,
      keysOf: (event) => ({ ec2InstanceId: event.instanceId, reason: 'INSTANCE' }),
      run: handleRebalanceRecommendation,
    },
    getDeps,
  );
}

export const handler = createHandler();
