/*
 * twin/autoscaling/: an Amazon EC2 Auto Scaling group of container instances with terminate
 * lifecycle hooks (groups.ts) and its Query protocol (query-api.ts), for the gateway. May import
 * the twin's model and errors, local/cloud/clock.ts and functions/shared/optional.ts.
 *
 * What it emulates, as documented:
 * - a terminate lifecycle hook puts a leaving instance in Terminating:Wait and sends "EC2
 *   Instance-terminate Lifecycle Action" (ec2-auto-scaling-event-reference.html);
 * - the action ends with CompleteLifecycleAction (CONTINUE or ABANDON), or with the hook's
 *   DefaultResult when the heartbeat timeout (reset by RecordLifecycleActionHeartbeat) or the
 *   global timeout, min(100 x heartbeat timeout, 48 h), runs out (lifecycle-hooks.html;
 *   API_PutLifecycleHook.html). A terminating instance is terminated whatever the result;
 * - a call naming a token (or instance) with no action in wait answers ValidationError "No active
 *   Lifecycle Action found with token ..." (API_CompleteLifecycleAction.html);
 * - an instance refresh with MinHealthyPercentage 100 and MaxHealthyPercentage 200 launches every
 *   replacement before the old instances leave, each through the hooks (instance-refresh-overview.html).
 * Times: the hook's timeouts are scenario seconds; the API reports them in real seconds (what the
 * orchestrator, which keeps real time, would read from AWS), rounded up.
 */
import { randomUUID } from 'node:crypto';
import type { ScaledClock } from '../../cloud/clock.js';
import type { EventBridgeEnvelope } from '../model.js';
import { IdSource } from '../model.js';

export const MAX_GLOBAL_TIMEOUT_SECONDS = 48 * 3600;
export const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 3600;
export const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';

export interface LifecycleHookSpec {
  name: string;
  /** Scenario seconds (30..7200 on AWS); 3600 by default. */
  heartbeatTimeoutSeconds?: number;
  defaultResult?: 'CONTINUE' | 'ABANDON';
}

export interface LifecycleHook {
  name: string;
  heartbeatTimeoutSeconds: number;
  globalTimeoutSeconds: number;
  defaultResult: 'CONTINUE' | 'ABANDON';
}

/** How one lifecycle action ended, for scenarios to assert on. */
export interface LifecycleActionRecord {
  groupName: string;
  hookName: string;
  instanceId: string;
  token: string;
  enteredWaitAt: Date;
  endedAt?: Date;
  result?: 'CONTINUE' | 'ABANDON';
  endedBy?: 'CompleteLifecycleAction' | 'heartbeat-timeout' | 'global-timeout';
  heartbeats: number;
}

/** What the group needs of ECS: container instances that come and go with their EC2 instances. */
export interface InstanceHost {
  createCluster(name: string): string;
  registerContainerInstance(cluster: string, spec: { ec2InstanceId?: string }): string;
  terminateContainerInstance(ec2InstanceId: string): void;
}

export class AutoScalingValidationError extends Error {
  override readonly name = 'ValidationError';
}

interface Group {
  name: string;
  arn: string;
  cluster: string;
  instances: Set<string>;
  hooks: Map<string, LifecycleHook>;
}

interface OpenAction {
  record: LifecycleActionRecord;
  cancelHeartbeat: () => void;
  cancelGlobal: () => void;
  end: (result: 'CONTINUE' | 'ABANDON', by: LifecycleActionRecord['endedBy']) => void;
}

export interface AutoScalingTwinOptions {
  clock: ScaledClock;
  ecs: InstanceHost;
  emit: (event: EventBridgeEnvelope) => void | Promise<void>;
  region: string;
  accountId: string;
  seed?: number;
  onError?: (error: unknown, where: string) => void;
}

export class AutoScalingTwin {
  private readonly groups = new Map<string, Group>();
  private readonly open = new Map<string, OpenAction>();
  private readonly ids: IdSource;
  readonly actions: LifecycleActionRecord[] = [];

  constructor(private readonly options: AutoScalingTwinOptions) {
    this.ids = new IdSource(options.seed);
  }

  /** A group of `size` container instances in `cluster`, each registered with ECS. Returns their EC2 ids. */
  createGroup(name: string, spec: { cluster: string; size: number; lifecycleHooks?: LifecycleHookSpec[] }): string[] {
    if (this.groups.has(name)) throw new AutoScalingValidationError(`AutoScalingGroup name already exists: ${name}`);
    const arn = `arn:aws:autoscaling:${this.options.region}:${this.options.accountId}:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${name}`;
    const group: Group = { name, arn, cluster: spec.cluster, instances: new Set(), hooks: new Map() };
    this.groups.set(name, group);
    for (const hook of spec.lifecycleHooks ?? []) this.putLifecycleHook(name, hook);
    for (let index = 0; index < spec.size; index += 1) this.launch(group);
    return [...group.instances];
  }

  /** PutLifecycleHook for autoscaling:EC2_INSTANCE_TERMINATING. */
  putLifecycleHook(groupName: string, spec: LifecycleHookSpec): void {
    const group = this.group(groupName);
    const heartbeatTimeoutSeconds = spec.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS;
    group.hooks.set(spec.name, {
      name: spec.name,
      heartbeatTimeoutSeconds,
      globalTimeoutSeconds: Math.min(100 * heartbeatTimeoutSeconds, MAX_GLOBAL_TIMEOUT_SECONDS),
      defaultResult: spec.defaultResult ?? 'ABANDON',
    });
  }

  instancesOf(groupName: string): string[] {
    return [...this.group(groupName).instances];
  }

  /**
   * StartInstanceRefresh with MinHealthyPercentage 100 and MaxHealthyPercentage 200: every
   * replacement is launched (and in service) first, then the old instances leave together, each
   * through the terminate hooks. Resolves when the last old instance is terminated.
   */
  async startInstanceRefresh(groupName: string): Promise<void> {
    const group = this.group(groupName);
    const old = [...group.instances];
    for (let index = 0; index < old.length; index += 1) this.launch(group);
    await Promise.all(old.map((instanceId) => this.terminate(group, instanceId)));
  }

  /** Scale-in of one instance (TerminateInstanceInAutoScalingGroup with decrement). Resolves once it is terminated. */
  async terminateInstance(groupName: string, instanceId: string): Promise<void> {
    const group = this.group(groupName);
    if (!group.instances.has(instanceId)) throw new AutoScalingValidationError(`Instance ${instanceId} is not part of Auto Scaling group ${groupName}`);
    await this.terminate(group, instanceId);
  }

  describeLifecycleHooks(groupName: string, names?: readonly string[]): LifecycleHook[] {
    const hooks = [...this.group(groupName).hooks.values()];
    return names === undefined || names.length === 0 ? hooks : hooks.filter((hook) => names.includes(hook.name));
  }

  completeLifecycleAction(request: { groupName: string; hookName: string; token?: string; instanceId?: string; result: string }): void {
    if (request.result !== 'CONTINUE' && request.result !== 'ABANDON') throw new AutoScalingValidationError(`Invalid LifecycleActionResult: ${request.result}`);
    this.findOpen(request).end(request.result, 'CompleteLifecycleAction');
  }

  recordLifecycleActionHeartbeat(request: { groupName: string; hookName: string; token?: string; instanceId?: string }): void {
    const action = this.findOpen(request);
    action.record.heartbeats += 1;
    action.cancelHeartbeat();
    const hook = this.group(request.groupName).hooks.get(action.record.hookName);
    if (hook !== undefined) action.cancelHeartbeat = this.options.clock.after(hook.heartbeatTimeoutSeconds, () => action.end(hook.defaultResult, 'heartbeat-timeout'));
  }

  /** Ends every open action's timers (the scenario stops). */
  stop(): void {
    for (const action of this.open.values()) {
      action.cancelHeartbeat();
      action.cancelGlobal();
    }
    this.open.clear();
  }

  private launch(group: Group): string {
    const instanceId = this.ids.ec2InstanceId();
    this.options.ecs.registerContainerInstance(group.cluster, { ec2InstanceId: instanceId });
    group.instances.add(instanceId);
    return instanceId;
  }

  /** Terminating: through each terminate hook's wait in turn, then the instance and its tasks are gone. */
  private async terminate(group: Group, instanceId: string): Promise<void> {
    for (const hook of group.hooks.values()) await this.waitAtHook(group, hook, instanceId);
    group.instances.delete(instanceId);
    this.options.ecs.terminateContainerInstance(instanceId);
  }

  private waitAtHook(group: Group, hook: LifecycleHook, instanceId: string): Promise<void> {
    const { clock } = this.options;
    const record: LifecycleActionRecord = { groupName: group.name, hookName: hook.name, instanceId, token: randomUUID(), enteredWaitAt: clock.now(), heartbeats: 0 };
    this.actions.push(record);
    return new Promise<void>((resolve) => {
      const action: OpenAction = {
        record,
        cancelHeartbeat: () => {},
        cancelGlobal: () => {},
        end: (result, by) => {
          if (!this.open.has(record.token)) return;
          this.open.delete(record.token);
          action.cancelHeartbeat();
          action.cancelGlobal();
          Object.assign(record, { result, endedBy: by, endedAt: clock.now() });
          resolve();
        },
      };
      this.open.set(record.token, action);
      action.cancelHeartbeat = clock.after(hook.heartbeatTimeoutSeconds, () => action.end(hook.defaultResult, 'heartbeat-timeout'));
      action.cancelGlobal = clock.after(hook.globalTimeoutSeconds, () => action.end(hook.defaultResult, 'global-timeout'));
      void Promise.resolve(this.options.emit(this.lifecycleEvent(group, hook, record))).catch((error: unknown) => this.options.onError?.(error, 'lifecycle action event'));
    });
  }

  private lifecycleEvent(group: Group, hook: LifecycleHook, record: LifecycleActionRecord): EventBridgeEnvelope {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'EC2 Instance-terminate Lifecycle Action',
      source: 'aws.autoscaling',
      account: this.options.accountId,
      time: `${record.enteredWaitAt.toISOString().slice(0, 19)}Z`,
      region: this.options.region,
      resources: [group.arn],
      detail: {
        LifecycleActionToken: record.token,
        AutoScalingGroupName: group.name,
        LifecycleHookName: hook.name,
        EC2InstanceId: record.instanceId,
        LifecycleTransition: TERMINATING,
        Origin: 'AutoScalingGroup',
        Destination: 'EC2',
      },
    };
  }

  private findOpen(request: { groupName: string; hookName: string; token?: string; instanceId?: string }): OpenAction {
    this.group(request.groupName);
    const found = [...this.open.values()].find(
      (action) =>
        action.record.groupName === request.groupName &&
        action.record.hookName === request.hookName &&
        (request.token !== undefined ? action.record.token === request.token : action.record.instanceId === request.instanceId),
    );
    if (found === undefined) {
      throw new AutoScalingValidationError(
        request.token !== undefined ? `No active Lifecycle Action found with token ${request.token}` : `No active Lifecycle Action found with instance ID ${request.instanceId ?? '(none)'}`,
      );
    }
    return found;
  }

  private group(name: string): Group {
    const group = this.groups.get(name);
    if (group === undefined) throw new AutoScalingValidationError(`AutoScalingGroup name not found - ${name}`);
    return group;
  }
}
