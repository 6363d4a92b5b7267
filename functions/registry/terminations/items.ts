/*
 * registry/terminations/: the Auto Scaling lifecycle actions the orchestrator holds open (an
 * instance in Terminating:Wait whose tasks drain) and their transitions. One item holds every open
 * action, keyed by instance and hook, so that the reconciler reads them with one GetItem a run. May
 * import registry/ and shared/; never core/.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RegistryTable, type Transition, transition } from '../conditional-write.js';

/** Outside TaskRegistryPolicy's dynamodb:LeadingKeys (task ARNs): no task can read a token or end an action. */
export const LIFECYCLE_ACTIONS_KEY = { pk: 'AUTOSCALING#LIFECYCLE', sk: 'ACTIONS' } as const;

/** A completed action stays this long, so that a late duplicate of its event (retried up to an hour) finds it done. */
export const COMPLETED_ACTION_KEPT_SECONDS = 2 * 3600;

export interface LifecycleAction {
  token: string;
  groupName: string;
  hookName: string;
  instanceId: string;
  clusterArn: string;
  containerInstanceArn: string;
  /** Epoch seconds. */
  startedAt: number;
  /** The hook's heartbeat timeout, seconds (DescribeLifecycleHooks; 3600 when AWS did not say). */
  heartbeatTimeoutSeconds: number;
  /** When Auto Scaling ends the action whatever anyone does: min(100 x heartbeat timeout, 48 h) after it started. Epoch seconds. */
  globalDeadline: number;
  /** The drains' deadline; past it the action is completed even with tasks left. Epoch seconds. */
  drainDeadline: number;
  /** Last RecordLifecycleActionHeartbeat (or the start). Epoch seconds. */
  heartbeatAt: number;
  /** Epoch seconds; absent while open. */
  completedAt?: number;
  /** How it ended: CONTINUE sent, or gone (Auto Scaling no longer knew the token). */
  outcome?: 'CONTINUE' | 'GONE';
}

export function actionId(instanceId: string, hookName: string): string {
  return `${instanceId}#${hookName}`;
}

/** Every action recorded (open and recently completed), by actionId. */
export async function readLifecycleActions(table: RegistryTable): Promise<Map<string, LifecycleAction>> {
  const result = await table.ddb.send(new GetCommand({ TableName: table.tableName, Key: LIFECYCLE_ACTIONS_KEY, ConsistentRead: true }));
  const actions = (result?.Item as { actions?: Record<string, LifecycleAction> } | undefined)?.actions ?? {};
  return new Map(Object.entries(actions));
}

/**
 * Records an action, unless one with the same token is already there (a duplicate event): not
 * applied then. A new token for the same instance and hook (the instance entered the wait again)
 * replaces the old action.
 */
export async function recordLifecycleAction(table: RegistryTable, action: LifecycleAction): Promise<Transition> {
  const id = actionId(action.instanceId, action.hookName);
  // The map must exist before one of its keys can be set; both in one write.
  const created = await transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: LIFECYCLE_ACTIONS_KEY,
        UpdateExpression: 'SET actions = :actions',
        ConditionExpression: 'attribute_not_exists(actions)',
        ExpressionAttributeValues: { ':actions': { [id]: action } },
      }),
    ),
  );
  if (created.applied) return created;
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: LIFECYCLE_ACTIONS_KEY,
        UpdateExpression: 'SET actions.#id = :action',
        ConditionExpression: 'attribute_not_exists(actions.#id) OR actions.#id.#token <> :token',
        ExpressionAttributeNames: { '#id': id, '#token': 'token' },
        ExpressionAttributeValues: { ':action': action, ':token': action.token },
      }),
    ),
  );
}

/** A heartbeat was recorded with Auto Scaling; only while the action is still this token's and open. */
export async function recordActionHeartbeat(table: RegistryTable, action: LifecycleAction, at: number): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: LIFECYCLE_ACTIONS_KEY,
        UpdateExpression: 'SET actions.#id.heartbeatAt = :at',
        ConditionExpression: 'actions.#id.#token = :token AND attribute_not_exists(actions.#id.completedAt)',
        ExpressionAttributeNames: { '#id': actionId(action.instanceId, action.hookName), '#token': 'token' },
        ExpressionAttributeValues: { ':at': at, ':token': action.token },
      }),
    ),
  );
}

/** The action ended (CONTINUE sent, or Auto Scaling had ended it); only while it is this token's and open. */
export async function recordActionCompleted(table: RegistryTable, action: LifecycleAction, at: number, outcome: 'CONTINUE' | 'GONE'): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: LIFECYCLE_ACTIONS_KEY,
        UpdateExpression: 'SET actions.#id.completedAt = :at, actions.#id.outcome = :outcome',
        ConditionExpression: 'actions.#id.#token = :token AND attribute_not_exists(actions.#id.completedAt)',
        ExpressionAttributeNames: { '#id': actionId(action.instanceId, action.hookName), '#token': 'token' },
        ExpressionAttributeValues: { ':at': at, ':outcome': outcome, ':token': action.token },
      }),
    ),
  );
}

/** Forgets a completed action once a late duplicate of its event can no longer arrive. */
export async function forgetCompletedAction(table: RegistryTable, action: LifecycleAction): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: LIFECYCLE_ACTIONS_KEY,
        UpdateExpression: 'REMOVE actions.#id',
        ConditionExpression: 'actions.#id.#token = :token AND attribute_exists(actions.#id.completedAt)',
        ExpressionAttributeNames: { '#id': actionId(action.instanceId, action.hookName), '#token': 'token' },
        ExpressionAttributeValues: { ':token': action.token },
      }),
    ),
  );
}
