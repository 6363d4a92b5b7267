import { CALLBACK_DELAY_SECONDS, type HookAnswer, holdRollbackForGreen } from '../core/deployments/green-rollback.js';
import { parseLifecycleHookInvocation } from '../events/lifecycle-hook.js';
import { isClusterInScope } from '../shared/config.js';
import type { Deps } from '../shared/deps.js';
import { directInvokeHandler } from '../shared/handler-kit.js';
import { MetricName, MetricUnit } from '../shared/powertools.js';
import { runtimeDeps } from '../shared/runtime.js';

/**
 * RollbackHookFunction: the Lambda lifecycle hook users attach at PRODUCTION_TRAFFIC_SHIFT of a
 * BLUE_GREEN, LINEAR or CANARY service (README "Deployment kinds"). ECS invokes it synchronously
 * and reads hookStatus from the answer. A failed invocation or an answer without hookStatus rolls a
 * deployment back, so this never throws: a payload it cannot use, or a cluster out of scope,
 * answers SUCCEEDED (the deployment goes on as if there were no hook); a failure while holding a
 * rollback answers IN_PROGRESS, and ECS asks again after callBackDelay.
 */
export async function answerRollbackHook(deps: Deps, payload: unknown): Promise<HookAnswer> {
  const parsed = parseLifecycleHookInvocation(payload);
  if (!parsed.ok) return goOn(deps, parsed.reason);
  const hook = parsed.event;
  deps.logger.appendKeys({ serviceDeploymentArn: hook.serviceDeploymentArn, lifecycleStage: hook.lifecycleStage });
  if (!isClusterInScope(deps.config, hook.clusterArn)) return goOn(deps, `cluster ${hook.clusterArn} is not in scope (CLUSTER_ARNS)`);
  try {
    const result = await holdRollbackForGreen(deps, hook);
    deps.logger.info('lifecycle hook answered', { ...result });
    return result.answer;
  } catch (error) {
    deps.logger.error('holding the rollback failed; ECS will ask again', { error: error as Error });
    return { hookStatus: 'IN_PROGRESS', callBackDelay: CALLBACK_DELAY_SECONDS, hookDetails: {} };
  }
}

function goOn(deps: Deps, reason: string): HookAnswer {
  deps.logger.error('lifecycle hook payload rejected: the deployment goes on without this hook', { reason });
  deps.metrics.addMetric(MetricName.EventsRejected, MetricUnit.Count, 1);
  return { hookStatus: 'SUCCEEDED' };
}

export const handler = directInvokeHandler(answerRollbackHook, runtimeDeps);
