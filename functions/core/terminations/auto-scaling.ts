/*
 * terminations/: EC2 capacity that leaves on a schedule and the drains of its tasks: an Auto
 * Scaling terminate lifecycle hook (lifecycle-hook.ts: the event; lifecycle-actions.ts: heartbeats
 * and completion, from the reconciler), the Auto Scaling calls (auto-scaling.ts) and EC2 scheduled
 * maintenance announced by AWS Health (scheduled-events.ts). May import interruptions/, drain/,
 * ecs/, registry/, events/ and shared/; never reconcile/, deployments/ or handlers/.
 */
import { CompleteLifecycleActionCommand, DescribeLifecycleHooksCommand, RecordLifecycleActionHeartbeatCommand } from '@aws-sdk/client-auto-scaling';
import type { Deps } from '../../shared/deps.js';

/** AutoScaling's defaults (API PutLifecycleHook): HeartbeatTimeout 3600 s; the global timeout is min(100 x heartbeat, 48 h). */
export const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 3600;
export const MAX_GLOBAL_TIMEOUT_SECONDS = 48 * 3600;

export interface HookTimeouts {
  heartbeatTimeoutSeconds: number;
  globalTimeoutSeconds: number;
}

export interface ActionRef {
  groupName: string;
  hookName: string;
  token: string;
  instanceId: string;
}

/** The hook's timeouts as Auto Scaling reports them; its defaults when the hook is not (or no longer) there. */
export async function describeHookTimeouts(deps: Pick<Deps, 'autoScaling'>, groupName: string, hookName: string): Promise<HookTimeouts> {
  const answer = await deps.autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: groupName, LifecycleHookNames: [hookName] }));
  const hook = answer?.LifecycleHooks?.find((candidate) => candidate.LifecycleHookName === hookName);
  const heartbeatTimeoutSeconds = hook?.HeartbeatTimeout ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS;
  const globalTimeoutSeconds = hook?.GlobalTimeout ?? Math.min(100 * heartbeatTimeoutSeconds, MAX_GLOBAL_TIMEOUT_SECONDS);
  return { heartbeatTimeoutSeconds, globalTimeoutSeconds };
}

/**
 * Auto Scaling answers a heartbeat or completion for a token it no longer holds (completed by
 * someone, timed out, the instance gone) with ValidationError "No active Lifecycle Action found":
 * the action is over, which is what completing it wanted anyway.
 */
function isActionGone(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationError' && /no active lifecycle action/i.test(error.message);
}

/** Sends one call about a lifecycle action: 'gone' when Auto Scaling had already ended the action. */
async function aboutAction(call: () => Promise<unknown>): Promise<'done' | 'gone'> {
  try {
    await call();
    return 'done';
  } catch (error) {
    if (isActionGone(error)) return 'gone';
    throw error;
  }
}

/** CONTINUE: the instance may go. 'gone' when Auto Scaling had already ended the action. */
export async function completeLifecycleAction(deps: Pick<Deps, 'autoScaling'>, ref: ActionRef): Promise<'completed' | 'gone'> {
  const answer = await aboutAction(() =>
    deps.autoScaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: ref.groupName,
        LifecycleHookName: ref.hookName,
        LifecycleActionToken: ref.token,
        LifecycleActionResult: 'CONTINUE',
        InstanceId: ref.instanceId,
      }),
    ),
  );
  return answer === 'done' ? 'completed' : 'gone';
}

/** Restarts the hook's heartbeat timeout. 'gone' when Auto Scaling had already ended the action. */
export async function recordHeartbeat(deps: Pick<Deps, 'autoScaling'>, ref: ActionRef): Promise<'recorded' | 'gone'> {
  const answer = await aboutAction(() =>
    deps.autoScaling.send(
      new RecordLifecycleActionHeartbeatCommand({
        AutoScalingGroupName: ref.groupName,
        LifecycleHookName: ref.hookName,
        LifecycleActionToken: ref.token,
        InstanceId: ref.instanceId,
      }),
    ),
  );
  return answer === 'done' ? 'recorded' : 'gone';
}
