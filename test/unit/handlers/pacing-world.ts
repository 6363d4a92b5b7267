import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, type Service, type Task, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, NOW, STATE_MACHINE_ARN, TABLE_NAME, TEST_ACCOUNT, TEST_REGION } from '../../support/deps.js';
import { SERVICE_ARN, SERVICE_NAME } from '../../support/ecs-events.js';
import type { HandlerTestDeps } from './handler-harness.js';

/*
 * A service in the middle of a rolling deployment, as ECS, the registry and Step Functions show it
 * to the deployment pacer (functions/core/deployments/pace-service.ts), and the exact requests the
 * pacer is expected to send.
 */

export const OLD_DEPLOYMENT = 'ecs-svc/1111111111111111111';
export const NEW_DEPLOYMENT = 'ecs-svc/2222222222222222222';
export const OLD_REVISION = `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:task-definition/chat:7`;
export const NEW_REVISION = `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:task-definition/chat:8`;
export const PACE_KEY = { pk: `SERVICE#${CLUSTER_ARN}#${SERVICE_NAME}`, sk: 'PACE' };
export const DEADLINE = '2026-11-21T11:00:00.000Z';
export const CANCEL_CAUSE = 'the service keeps this task: its deployment was rolled back, superseded or failed';

/** DescribeServices: a rolling deployment from the old deployment to the new one, minimumHealthyPercent 100. */
export function rollingService(overrides: Partial<Service> = {}): Service {
  return {
    serviceArn: SERVICE_ARN,
    serviceName: SERVICE_NAME,
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 3,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
    deployments: [
      { id: NEW_DEPLOYMENT, status: 'PRIMARY', taskDefinition: NEW_REVISION, rolloutState: 'IN_PROGRESS', desiredCount: 2, runningCount: 1 },
      { id: OLD_DEPLOYMENT, status: 'ACTIVE', taskDefinition: OLD_REVISION, rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 2 },
    ],
    ...overrides,
  };
}

/** DescribeTasks: a task the old deployment started, running and healthy unless told otherwise. */
export function oldTask(taskArn: string, overrides: Partial<Task> = {}): Task {
  return {
    taskArn,
    clusterArn: CLUSTER_ARN,
    group: `service:${SERVICE_NAME}`,
    startedBy: OLD_DEPLOYMENT,
    taskDefinitionArn: OLD_REVISION,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    ...overrides,
  };
}

export function newTask(taskArn: string, overrides: Partial<Task> = {}): Task {
  return oldTask(taskArn, { startedBy: NEW_DEPLOYMENT, taskDefinitionArn: NEW_REVISION, ...overrides });
}

export interface PacingWorld {
  service?: Partial<Service>;
  tasks: Task[];
  /** What the ByCluster index answers. */
  indexed: TaskItem[];
  /** What a consistent read of a task item answers; the indexed items unless given. */
  current?: TaskItem[];
  /** The pace item's version; no pace item when undefined. */
  paceVersion?: number;
}

/** Answers every call the pacer makes; a test overrides what it is about. */
export function arrangePacing(t: HandlerTestDeps, world: PacingWorld): void {
  const current = new Map((world.current ?? world.indexed).map((item) => [item.taskArn, item]));
  t.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [rollingService(world.service)], failures: [] });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: world.tasks.map((task) => task.taskArn as string) });
  t.mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: world.tasks.filter((task) => input.tasks.includes(task.taskArn as string)),
    failures: [],
  }));
  t.mocks.ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => {
    if (input.Key.sk === 'PACE') return world.paceVersion === undefined ? {} : { Item: { ...PACE_KEY, version: world.paceVersion } };
    return { Item: current.get(input.Key.pk) };
  });
  t.mocks.ddb.on(QueryCommand).resolves({ Items: world.indexed });
  t.mocks.ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => ({
    Responses: {
      [TABLE_NAME]: (input.RequestItems[TABLE_NAME]?.Keys ?? []).map((key) => current.get(key.pk)).filter((item) => item !== undefined),
    },
  }));
  t.mocks.ddb.on(TransactWriteCommand).resolves({});
  // The pace item's lease is free; a task update (cancel, return to service) answers with the item it changed.
  t.mocks.ddb.on(UpdateCommand).callsFake((input: { Key: { pk: string; sk: string } }) =>
    input.Key.sk === 'PACE' ? {} : { Attributes: { ...current.get(input.Key.pk), drainControl: 'CANCEL' } },
  );
  t.mocks.sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: executionArn(input.name), startDate: NOW }));
  t.mocks.sfn.on(SendTaskFailureCommand).resolves({});
  t.mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[]; protectionEnabled: boolean }) => ({
    protectedTasks: input.tasks.map((taskArn) => ({ taskArn, protectionEnabled: input.protectionEnabled })),
    failures: [],
  }));
}

export function executionArn(name: string): string {
  return `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
}

function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

export function drainExecutionArn(taskArn: string, attempt = 1): string {
  return executionArn(`drain-${taskIdOf(taskArn)}-${attempt}`);
}

/* The requests the pacer must send, spelled out. */

/** The pace lease: TARGET_HEALTH_RECHECK_SECONDS (10 s in tests) x (10 re-checks + 6). */
const LEASE_MS = 16 * 10_000;

/** Takes the service's pace lease under a holder id of its own (random, so any string). */
export function takeLeaseInput(now = NOW) {
  return {
    TableName: TABLE_NAME,
    Key: PACE_KEY,
    UpdateExpression: 'SET leaseHolder = :me, leaseUntil = :until, dirty = :false',
    ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseHolder = :me',
    ExpressionAttributeValues: { ':me': expect.any(String), ':until': now.getTime() + LEASE_MS, ':now': now.getTime(), ':false': false },
  };
}

export function releaseLeaseInput() {
  return {
    TableName: TABLE_NAME,
    Key: PACE_KEY,
    UpdateExpression: 'REMOVE leaseHolder, leaseUntil',
    ConditionExpression: 'leaseHolder = :me AND dirty = :false',
    ExpressionAttributeValues: { ':me': expect.any(String), ':false': false },
  };
}

export function dropLeaseInput() {
  return {
    TableName: TABLE_NAME,
    Key: PACE_KEY,
    UpdateExpression: 'SET dirty = :true REMOVE leaseHolder, leaseUntil',
    ConditionExpression: 'leaseHolder = :me',
    ExpressionAttributeValues: { ':me': expect.any(String), ':true': true },
  };
}

export function markDirtyInput() {
  return { TableName: TABLE_NAME, Key: PACE_KEY, UpdateExpression: 'SET dirty = :true', ExpressionAttributeValues: { ':true': true } };
}

/** The holder ids of every lease request, in order: one invocation uses one. */
export function leaseHolders(t: HandlerTestDeps): unknown[] {
  return t.mocks.ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.sk === 'PACE' && input.ExpressionAttributeValues?.[':me'] !== undefined)
    .map((input) => input.ExpressionAttributeValues?.[':me']);
}

/** Updates of task items (cancels, returns to service), leaving the pace item's lease out. */
export function taskUpdateInputs(t: HandlerTestDeps) {
  return t.mocks.ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.sk === 'TASK');
}

export function paceReadInput() {
  return { TableName: TABLE_NAME, Key: PACE_KEY, ConsistentRead: true };
}

export function serviceTasksQueryInput() {
  return {
    TableName: TABLE_NAME,
    IndexName: 'ByCluster',
    KeyConditionExpression: 'clusterArn = :cluster AND begins_with(serviceTask, :prefix)',
    ExpressionAttributeValues: { ':cluster': CLUSTER_ARN, ':prefix': `${SERVICE_NAME}#` },
  };
}

/** The consistent read of the running tasks' items that every pass plans on. */
export function consistentBatchReadInput(taskArns: readonly string[]) {
  return { RequestItems: { [TABLE_NAME]: { Keys: taskArns.map((taskArn) => ({ pk: taskArn, sk: 'TASK' })), ConsistentRead: true } } };
}

export function consistentReadInput(taskArn: string) {
  return { TableName: TABLE_NAME, Key: { pk: taskArn, sk: 'TASK' }, ConsistentRead: true };
}

/** One TransactWriteItems: the pace version moved on from `version`, and a DEPLOYMENT drain claimed per task. */
export function claimTransactionInput(version: number | undefined, claims: { taskArn: string; attempt?: number }[]) {
  return {
    TransactItems: [
      {
        Update: {
          TableName: TABLE_NAME,
          Key: PACE_KEY,
          UpdateExpression: 'SET version = :next, updatedAt = :now',
          ConditionExpression: version === undefined ? 'attribute_not_exists(version)' : 'version = :current',
          ExpressionAttributeValues: { ':next': (version ?? 0) + 1, ':now': NOW.toISOString(), ...(version === undefined ? {} : { ':current': version }) },
        },
      },
      ...claims.map(({ taskArn, attempt = 1 }) => ({
        Update: {
          TableName: TABLE_NAME,
          Key: { pk: taskArn, sk: 'TASK' },
          UpdateExpression: 'SET drainAttempt = :attempt, executionArn = :executionArn, drainReason = :reason REMOVE drainOutcome, cancelledBy',
          ConditionExpression: '#status = :active AND (attribute_not_exists(drainAttempt) OR drainAttempt = :previous)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':attempt': attempt,
            ':previous': attempt - 1,
            ':executionArn': drainExecutionArn(taskArn, attempt),
            ':reason': 'DEPLOYMENT',
            ':active': 'ACTIVE',
          },
        },
      })),
    ],
  };
}

export function deploymentDrainStartInput(taskArn: string, attempt = 1) {
  return {
    stateMachineArn: STATE_MACHINE_ARN,
    name: `drain-${taskIdOf(taskArn)}-${attempt}`,
    input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn, service: SERVICE_NAME, reason: 'DEPLOYMENT', deadline: DEADLINE }),
  };
}

export function cancelDrainInput(taskArn: string, execution: string, reason = 'DEPLOYMENT') {
  return {
    TableName: TABLE_NAME,
    Key: { pk: taskArn, sk: 'TASK' },
    UpdateExpression: 'SET drainControl = :cancel, cancelledBy = :reason',
    ConditionExpression:
      'executionArn = :execution AND drainReason = :reason AND #status IN (:active, :draining) AND attribute_not_exists(drainOutcome) AND (attribute_not_exists(drainControl) OR drainControl = :cancel)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':cancel': 'CANCEL', ':execution': execution, ':reason': reason, ':active': 'ACTIVE', ':draining': 'DRAINING' },
    ReturnValues: 'ALL_NEW',
  };
}
