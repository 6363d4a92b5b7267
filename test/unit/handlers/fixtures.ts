import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, TABLE_NAME } from '../../support/deps.js';
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
