import type { Deps } from '../../shared/deps.js';
import { ignored, type Ignored } from '../../shared/handler-kit.js';
import { definedOnly } from '../../shared/optional.js';
import { registryTable } from '../../registry/conditional-write.js';
import { epochSeconds } from '../../registry/model.js';
import { actionId, type LifecycleAction, readLifecycleActions, recordLifecycleAction } from '../../registry/terminations/items.js';
import { ECS_MANAGED_DRAINING_HOOK, type TerminateLifecycleAction } from '../../events/autoscaling.js';
import { describeContainerInstance, findContainerInstance } from '../ecs/lookups.js';
import { drainInstanceTasks, type InstanceDrainSummary } from '../interruptions/instances.js';
import { describeHookTimeouts } from './auto-scaling.js';
import { type ActionStep, PAST_DEADLINE_GRACE_SECONDS, settleLifecycleAction } from './lifecycle-actions.js';

/**
 * The drains end this long before Auto Scaling's global timeout would end the action itself:
 * time for the last forced stop and the reconciler's next run to send CONTINUE.
 */
export const GLOBAL_TIMEOUT_MARGIN_SECONDS = 300;

export interface LifecycleHookSummary {
  instanceId: string;
  action: 'recorded' | 'duplicate';
  drains: InstanceDrainSummary;
  step: ActionStep;
}

/**
 * An instance of an Auto Scaling group entered Terminating:Wait at a terminate lifecycle hook the
 * user added for the orchestrator. Its tasks get INSTANCE drains, with the default deadline cut to
 * what the hook's global timeout allows; the action is recorded so that the reconciler keeps it
 * alive with heartbeats and sends CONTINUE once no registered task holds the instance. An
 * instance with nothing to drain is let go at once.
 *
 * - ECS's own hook of managed draining is ECS's: ECS sets the instance DRAINING, the container
 *   instance rule drains its tasks, and ECS completes that action. Acting here too would surge a
 *   second replacement for each task.
 * - An instance that is already DRAINING (managed draining, an operator) is drained as the
 *   container-instance path drains it: ECS replaces its tasks, so no surge.
 * - An instance no cluster in scope knows is left to the hook's DefaultResult: it may be another
 *   stack's, whose drains must not be cut short.
 * - A duplicate of the event changes nothing: the action is not recorded twice, and the drains it
 *   asks for are already running (startDrain answers already-draining); one of a completed action
 *   is ignored.
 */
export async function handleTerminateLifecycleAction(deps: Deps, event: TerminateLifecycleAction): Promise<LifecycleHookSummary | Ignored> {
  if (event.hookName === ECS_MANAGED_DRAINING_HOOK) {
    return ignored(`lifecycle hook ${event.hookName} is ECS managed draining's: ECS sets the instance DRAINING and completes the action itself`);
  }
  const table = registryTable(deps);
  const known = (await readLifecycleActions(table)).get(actionId(event.instanceId, event.hookName));
  if (known?.token === event.token && known.completedAt !== undefined) {
    return ignored(`duplicate event: the lifecycle action of ${event.instanceId} at hook ${event.hookName} was completed (${known.outcome ?? 'CONTINUE'})`);
  }
  const located = await findContainerInstance(deps, event.instanceId);
  if (located === undefined) return ignored(`EC2 instance ${event.instanceId} is not a container instance of a cluster in scope; the hook's DefaultResult applies`);
  const instance = await describeContainerInstance(deps, located.clusterArn, located.containerInstanceArn);
  if (instance === undefined || instance.status === 'INACTIVE') return ignored(`container instance ${located.containerInstanceArn} is gone`);

  const action = known?.token === event.token ? known : await newAction(deps, event, located);
  const recorded = known?.token === event.token ? 'duplicate' : 'recorded';
  if (recorded === 'recorded') await recordLifecycleAction(table, action);
  const drains = await drainInstanceTasks(deps, {
    ...located,
    releaseUnregistered: instance.status === 'DRAINING',
    deadline: new Date(action.drainDeadline * 1000),
    ...definedOnly({ eventTime: event.time }),
  });
  // Nothing to wait for (no registered task, or only stopped ones): the instance may go now.
  const step = await settleLifecycleAction(deps, action, { drainNewTasks: false });
  deps.logger.info('lifecycle action handled', definedOnly({ instanceId: event.instanceId, origin: event.origin, destination: event.destination, step }));
  return { instanceId: event.instanceId, action: recorded, drains, step };
}

async function newAction(deps: Deps, event: TerminateLifecycleAction, located: { clusterArn: string; containerInstanceArn: string }): Promise<LifecycleAction> {
  const timeouts = await describeHookTimeouts(deps, event.groupName, event.hookName);
  const startedAt = epochSeconds(event.time !== undefined && event.time < deps.now() ? event.time : deps.now());
  const globalDeadline = startedAt + timeouts.globalTimeoutSeconds;
  const now = epochSeconds(deps.now());
  // The default drain deadline, unless the action ends sooner; never in the past.
  const latest = globalDeadline - GLOBAL_TIMEOUT_MARGIN_SECONDS - PAST_DEADLINE_GRACE_SECONDS;
  const drainDeadline = Math.max(now, Math.min(now + deps.config.defaultDrainSeconds, latest));
  return {
    token: event.token,
    groupName: event.groupName,
    hookName: event.hookName,
    instanceId: event.instanceId,
    clusterArn: located.clusterArn,
    containerInstanceArn: located.containerInstanceArn,
    startedAt,
    heartbeatTimeoutSeconds: timeouts.heartbeatTimeoutSeconds,
    globalDeadline,
    drainDeadline,
    heartbeatAt: startedAt,
  };
}
