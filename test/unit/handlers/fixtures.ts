import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, type makeTestDeps, TABLE_NAME } from '../../support/deps.js';
import { SERVICE_NAME } from '../../support/ecs-events.js';

export function registryItem(taskArn: string, overrides: Partial<TaskItem> = {}): TaskItem {
  return {
    pk: taskArn,
    sk: 'TASK',
    taskArn,
    clusterArn: CLUSTER_ARN,
    serviceTask: `${SERVICE_NAME}#${taskArn}`,
    serviceName: SERVICE_NAME,
    sessionCount: 0,
    status: 'ACTIVE',
    ...overrides,
  };
}

export function getTaskInput(taskArn: string) {
  return { TableName: TABLE_NAME, Key: { pk: taskArn, sk: 'TASK' }, ConsistentRead: true };
}

export function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

export function awsError(name: string, message = name, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

/** The execution ARN of a task's drain attempt in the test account's state machine. */
export function drainExecutionOf(taskArn: string, attempt = 1): string {
  return `arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-${taskArn.slice(taskArn.lastIndexOf('/') + 1)}-${attempt}`;
}

/**
 * A drain whose wait is armed: the token lives in the execution's wait item (registry/tasks/waits.ts),
 * which `ddb` answers for; the returned fields go on the task item.
 */
export function armedWait(
  ddb: { on: (command: typeof GetCommand, input: object) => { resolves: (output: object) => unknown } },
  taskArn: string,
  taskToken: string,
  executionArn = drainExecutionOf(taskArn),
): { waitArmed: true; executionArn: string } {
  const key = { pk: `WAIT#${executionArn}`, sk: 'WAIT' };
  ddb.on(GetCommand, { Key: key }).resolves({ Item: { ...key, executionArn, taskArn, taskToken, expiresAt: 1_800_000_000 } });
  return { waitArmed: true, executionArn };
}

/** The registry as the reconciler reads it: its listing (Query) and consistent reads (Get) answer with `items`; every write succeeds. */
export function registryHolds(ddb: ReturnType<typeof makeTestDeps>['mocks']['ddb'], items: readonly TaskItem[]): void {
  const byArn = new Map(items.map((task) => [task.taskArn, task]));
  ddb.on(QueryCommand).resolves({ Items: [...items] });
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({ Item: byArn.get(input.Key.pk) }));
  ddb.on(UpdateCommand).resolves({});
}
