import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidSessionIdError } from './errors.js';
import { epochSeconds, ITEM_EXISTS, serviceTaskKey, sessionKey, STATUS_NAME, TaskStatus, taskKey, type TaskItem } from './registry-contract.js';

/**
 * The registry writes a task makes: register, heartbeat, session opened, session closed. Every
 * write is one DynamoDB request and safe to retry. This is the single implementation: the
 * SessionAgent, the orchestrator (functions/registry/, through @ecs-session-drain/agent/registry)
 * and the local workload generator all go through these functions.
 */
export interface RegistryWriter {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
}

/** Per-call options: an abort signal lets a caller bound a request it no longer waits for. */
export interface CallOptions {
  abortSignal?: AbortSignal;
}

export { InvalidSessionIdError };

/** Session items outlive their task only as garbage; TTL removes them after this long. */
export const SESSION_ITEM_TTL_SECONDS = 30 * 24 * 3600;
export const MAX_SESSION_ID_LENGTH = 200;

export interface TaskRegistration {
  taskArn: string;
  clusterArn: string;
  serviceName?: string;
  taskDefinitionArn?: string;
  capacityProviderName?: string;
  containerInstanceArn?: string;
}

export type OpenResult = 'opened' | 'already-open' | 'refused-not-active' | 'unknown-task';
export type CloseResult = 'closed' | 'not-open';

export function validateSessionId(sessionId: string): void {
  if (typeof sessionId !== 'string' || sessionId === '' || sessionId.length > MAX_SESSION_ID_LENGTH) {
    throw new InvalidSessionIdError(`session id must be 1..${MAX_SESSION_ID_LENGTH} characters`);
  }
}

function sendOptions(options: CallOptions | undefined): { abortSignal?: AbortSignal } | undefined {
  return options?.abortSignal === undefined ? undefined : { abortSignal: options.abortSignal };
}

/** Creates the task item, or refreshes its descriptive attributes; never resets a count or a drain. */
export async function registerTask(writer: RegistryWriter, task: TaskRegistration, options?: CallOptions): Promise<void> {
  const now = epochSeconds(writer.now());
  await writer.ddb.send(
    new UpdateCommand({
      TableName: writer.tableName,
      Key: taskKey(task.taskArn),
      UpdateExpression:
        'SET taskArn = :taskArn, clusterArn = :clusterArn, serviceTask = :serviceTask, heartbeatAt = :now, ' +
        'sessionCount = if_not_exists(sessionCount, :zero), #status = if_not_exists(#status, :active)' +
        (task.serviceName ? ', serviceName = :serviceName' : '') +
        (task.taskDefinitionArn ? ', taskDefinitionArn = :taskDefinitionArn' : '') +
        (task.capacityProviderName ? ', capacityProviderName = :capacityProviderName' : '') +
        (task.containerInstanceArn ? ', containerInstanceArn = :containerInstanceArn' : ''),
      ConditionExpression: 'attribute_not_exists(pk) OR #status <> :stopped',
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: {
        ':taskArn': task.taskArn,
        ':clusterArn': task.clusterArn,
        ':serviceTask': serviceTaskKey(task.serviceName, task.taskArn),
        ':now': now,
        ':zero': 0,
        ':active': TaskStatus.Active,
        ':stopped': TaskStatus.Stopped,
        ...(task.serviceName ? { ':serviceName': task.serviceName } : {}),
        ...(task.taskDefinitionArn ? { ':taskDefinitionArn': task.taskDefinitionArn } : {}),
        ...(task.capacityProviderName ? { ':capacityProviderName': task.capacityProviderName } : {}),
        ...(task.containerInstanceArn ? { ':containerInstanceArn': task.containerInstanceArn } : {}),
      },
    }),
    sendOptions(options),
  );
}

export async function heartbeat(writer: RegistryWriter, taskArn: string, options?: CallOptions): Promise<void> {
  await writer.ddb.send(
    new UpdateCommand({
      TableName: writer.tableName,
      Key: taskKey(taskArn),
      UpdateExpression: 'SET heartbeatAt = :now',
      ConditionExpression: ITEM_EXISTS,
      ExpressionAttributeValues: { ':now': epochSeconds(writer.now()) },
    }),
    sendOptions(options),
  );
}

/**
 * Counts a session in, once. The task must be ACTIVE: once a drain has marked it DRAINING the
 * count can only fall, which is what lets the workflow stop the task the moment it reaches zero.
 */
export async function openSession(writer: RegistryWriter, taskArn: string, sessionId: string, options?: CallOptions): Promise<OpenResult> {
  validateSessionId(sessionId);
  const now = epochSeconds(writer.now());
  try {
    await writer.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: writer.tableName,
              Item: { ...sessionKey(taskArn, sessionId), sessionId, openedAt: now, expiresAt: now + SESSION_ITEM_TTL_SECONDS },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: writer.tableName,
              Key: taskKey(taskArn),
              UpdateExpression: 'ADD sessionCount :one SET heartbeatAt = :now',
              ConditionExpression: `${ITEM_EXISTS} AND #status = :active`,
              ExpressionAttributeNames: STATUS_NAME,
              ExpressionAttributeValues: { ':one': 1, ':now': now, ':active': TaskStatus.Active },
            },
          },
        ],
      }),
      sendOptions(options),
    );
    return 'opened';
  } catch (error) {
    const [sessionFailed, taskFailed] = failedConditions(error);
    if (sessionFailed) return 'already-open';
    if (taskFailed) {
      const task = await readTask(writer, taskArn, options);
      return task === undefined ? 'unknown-task' : 'refused-not-active';
    }
    throw error;
  }
}

/** Counts a session out, once; the count never goes below zero. */
export async function closeSession(writer: RegistryWriter, taskArn: string, sessionId: string, options?: CallOptions): Promise<CloseResult> {
  validateSessionId(sessionId);
  try {
    await writer.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: writer.tableName,
              Key: sessionKey(taskArn, sessionId),
              ConditionExpression: ITEM_EXISTS,
            },
          },
          {
            Update: {
              TableName: writer.tableName,
              Key: taskKey(taskArn),
              UpdateExpression: 'ADD sessionCount :minusOne SET heartbeatAt = :now',
              ConditionExpression: `${ITEM_EXISTS} AND sessionCount > :zero`,
              ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0, ':now': epochSeconds(writer.now()) },
            },
          },
        ],
      }),
      sendOptions(options),
    );
    return 'closed';
  } catch (error) {
    const [sessionFailed] = failedConditions(error);
    if (sessionFailed) return 'not-open';
    throw error;
  }
}

export async function readTask(writer: Omit<RegistryWriter, 'now'>, taskArn: string, options?: CallOptions): Promise<TaskItem | undefined> {
  const result = await writer.ddb.send(
    new GetCommand({ TableName: writer.tableName, Key: taskKey(taskArn), ConsistentRead: true }),
    sendOptions(options),
  );
  return result.Item as TaskItem | undefined;
}

/**
 * A write that can never succeed as sent: a condition or the request itself is wrong, so a retry
 * only repeats the refusal. Everything else (network, throttling, 5xx, transaction conflicts) may
 * pass on a later attempt.
 */
export function isPermanentRegistryError(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  if (name === 'ConditionalCheckFailedException' || name === 'ValidationException' || name === 'InvalidSessionIdError') return true;
  if (name !== 'TransactionCanceledException') return false;
  const codes = cancellationCodes(error);
  return codes.some((code) => code === 'ConditionalCheckFailed' || code === 'ValidationError');
}

function cancellationCodes(error: unknown): string[] {
  const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
  if (reasons.length > 0) return reasons.map((reason) => reason.Code ?? 'None');
  // Some emulators omit CancellationReasons; the message still lists them in order.
  return /\[(.*)\]/.exec((error as Error).message)?.[1]?.split(',').map((code) => code.trim()) ?? [];
}

/** Which items of a cancelled two-item transaction failed their condition. */
function failedConditions(error: unknown): [boolean, boolean] {
  if (!(error instanceof TransactionCanceledException) && (error as Error | undefined)?.name !== 'TransactionCanceledException') {
    return [false, false];
  }
  const codes = cancellationCodes(error);
  return [codes[0] === 'ConditionalCheckFailed', codes[1] === 'ConditionalCheckFailed'];
}
