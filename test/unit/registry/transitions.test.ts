import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  changeSurge,
  releaseCapacityLock,
  takeCapacityLock,
  writeApplied,
} from '../../../functions/registry/capacity/items.js';
import type { RegistryTable, Transition } from '../../../functions/registry/conditional-write.js';
import { DrainControl, DrainOutcome, DrainReason, ProtectionState } from '../../../functions/registry/model.js';
import {
  armHook,
  dropPaceLease,
  markHookContinued,
  markPaceDirty,
  movePaceVersionAction,
  recordHook,
  releasePaceLease,
  takePaceLease,
} from '../../../functions/registry/pace/items.js';
import {
  armDrainWait,
  cancelDrain,
  claimActiveDrainAttemptAction,
  claimDrainAttempt,
  markSpotDraining,
  recordDrain,
  requestDrainControl,
  takeOverForSpot,
} from '../../../functions/registry/tasks/drain.js';
import {
  markOutcomeCounted,
  markStopping,
  recordOutcome,
  recordOutcomeServing,
  restoreLeftTask,
} from '../../../functions/registry/tasks/endings.js';
import { closeStopped, expireTask, setProtectionState, setReplacementRequested } from '../../../functions/registry/tasks/lifecycle.js';
import { conditionalCheckFailed } from '../handlers/fixtures.js';
import { CLUSTER_ARN, makeTestDeps, TABLE_NAME, taskArn } from '../../support/deps.js';

/*
 * Each of the registry's named transitions: the exact UpdateItem it sends, and its answer when the
 * write is applied and when its condition does not hold.
 */

const TASK = taskArn('a');
const TASK_KEY = { pk: TASK, sk: 'TASK' };
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-a-2';
const PREVIOUS = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-a-1';
const SERVICE = { clusterArn: CLUSTER_ARN, serviceName: 'chat' };
const SERVICE_PK = `SERVICE#${CLUSTER_ARN}#chat`;
const ACTIVE_DRAINING = { ':active': 'ACTIVE', ':draining': 'DRAINING' };
const STATUS = { '#status': 'status' };

interface Case {
  act: (table: RegistryTable) => Promise<Transition<unknown>>;
  input: Record<string, unknown>;
}

const CASES: Record<string, Case> = {
  'claims a drain attempt of a task that has not begun to stop': {
    act: (table) => claimDrainAttempt(table, { taskArn: TASK, attempt: 2, previousAttempt: 1, executionArn: EXECUTION, reason: DrainReason.Manual }),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET drainAttempt = :attempt, executionArn = :executionArn, drainReason = :reason REMOVE drainOutcome, cancelledBy',
      ConditionExpression: '(attribute_not_exists(drainAttempt) OR drainAttempt = :previous) AND #status IN (:active, :draining)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':attempt': 2, ':previous': 1, ':executionArn': EXECUTION, ':reason': 'MANUAL', ...ACTIVE_DRAINING },
    },
  },
  'records a drain taken over from a previous owner, clearing what that owner left': {
    act: (table) =>
      recordDrain(table, { taskArn: TASK, executionArn: EXECUTION, previousOwner: PREVIOUS, reason: DrainReason.Spot, deadline: '2026-11-21T10:02:00.000Z', startedAt: 100 }),
    input: {
      Key: TASK_KEY,
      UpdateExpression:
        'SET executionArn = :me, drainReason = :reason, drainDeadline = :deadline, drainStartedAt = :startedAt, sessionsAtDrainStart = if_not_exists(sessionCount, :zero) REMOVE drainOutcome, drainControl, waitArmed',
      ConditionExpression: '#status IN (:active, :draining) AND executionArn = :previous',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: {
        ':me': EXECUTION,
        ':reason': 'SPOT',
        ':deadline': '2026-11-21T10:02:00.000Z',
        ':startedAt': 100,
        ':zero': 0,
        ...ACTIVE_DRAINING,
        ':previous': PREVIOUS,
      },
    },
  },
  'records a drain of a task no execution had claimed, clearing any control and token left on it': {
    act: (table) =>
      recordDrain(table, { taskArn: TASK, executionArn: EXECUTION, previousOwner: undefined, reason: DrainReason.Manual, deadline: '2026-11-21T10:02:00.000Z', startedAt: 100 }),
    input: {
      Key: TASK_KEY,
      UpdateExpression:
        'SET executionArn = :me, drainReason = :reason, drainDeadline = :deadline, drainStartedAt = :startedAt, sessionsAtDrainStart = if_not_exists(sessionCount, :zero) REMOVE drainOutcome, drainControl, waitArmed',
      ConditionExpression: '#status IN (:active, :draining) AND attribute_not_exists(executionArn)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':me': EXECUTION, ':reason': 'MANUAL', ':deadline': '2026-11-21T10:02:00.000Z', ':startedAt': 100, ':zero': 0, ...ACTIVE_DRAINING },
    },
  },
  "arms the wait of this execution's draining task that still holds sessions": {
    act: (table) => armDrainWait(table, TASK, EXECUTION),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET waitArmed = :armed',
      ConditionExpression: 'executionArn = :me AND #status = :draining AND sessionCount > :zero AND attribute_not_exists(drainControl)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':armed': true, ':me': EXECUTION, ':draining': 'DRAINING', ':zero': 0 },
    },
  },
  "leaves an operator's force-stop on a draining task": {
    act: (table) => requestDrainControl(table, TASK, DrainControl.ForceStop, new Date('2026-11-21T10:00:00.000Z')),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET drainControl = :control',
      ConditionExpression: '#status = :draining AND (attribute_not_exists(drainControl) OR drainControl = :control)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':control': 'FORCE_STOP', ':draining': 'DRAINING' },
      ReturnValues: 'ALL_NEW',
    },
  },
  "leaves an operator's cancel on a draining task, with the time it was asked for": {
    act: (table) => requestDrainControl(table, TASK, DrainControl.Cancel, new Date('2026-11-21T10:00:00.000Z')),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET drainControl = :control, operatorCancelledAt = :at',
      ConditionExpression: '#status = :draining AND (attribute_not_exists(drainControl) OR drainControl = :control)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':control': 'CANCEL', ':draining': 'DRAINING', ':at': '2026-11-21T10:00:00.000Z' },
      ReturnValues: 'ALL_NEW',
    },
  },
  'moves a drain open for another reason to the Spot deadline, as a SPOT drain': {
    act: (table) => takeOverForSpot(table, TASK, EXECUTION, new Date('2026-11-21T10:02:00.000Z')),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET drainReason = :spot, drainDeadline = :deadline',
      ConditionExpression:
        'executionArn = :execution AND #status = :draining AND attribute_not_exists(drainOutcome) AND drainReason <> :spot AND (attribute_not_exists(drainDeadline) OR drainDeadline > :deadline)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':spot': 'SPOT', ':deadline': '2026-11-21T10:02:00.000Z', ':execution': EXECUTION, ':draining': 'DRAINING' },
      ReturnValues: 'ALL_NEW',
    },
  },
  'cancels the drain it saw only while that drain still waits for sessions': {
    act: (table) => cancelDrain(table, { taskArn: TASK, executionArn: EXECUTION, reason: DrainReason.Deployment, whileWaitingAt: new Date('2026-11-21T10:00:00.000Z') }),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET drainControl = :cancel, cancelledBy = :reason',
      ConditionExpression:
        'executionArn = :execution AND drainReason = :reason AND #status IN (:active, :draining) AND attribute_not_exists(drainOutcome) AND (attribute_not_exists(drainControl) OR drainControl = :cancel) AND sessionCount > :none AND (attribute_not_exists(drainDeadline) OR drainDeadline > :now)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':cancel': 'CANCEL', ':execution': EXECUTION, ':reason': 'DEPLOYMENT', ...ACTIVE_DRAINING, ':none': 0, ':now': '2026-11-21T10:00:00.000Z' },
      ReturnValues: 'ALL_NEW',
    },
  },
  'marks an ACTIVE task draining for a Spot interruption': {
    act: (table) => markSpotDraining(table, TASK, new Date('2026-11-21T10:02:00.000Z')),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET #status = :draining, drainReason = :reason, drainDeadline = :deadline',
      ConditionExpression: 'attribute_exists(pk) AND #status = :active',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':draining': 'DRAINING', ':active': 'ACTIVE', ':reason': 'SPOT', ':deadline': '2026-11-21T10:02:00.000Z' },
      ReturnValues: 'ALL_NEW',
    },
  },
  'restores a blue task left for ECS once a rollback keeps it': {
    act: (table) => restoreLeftTask(table, TASK, EXECUTION),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET #status = :active REMOVE drainControl, drainReason, drainDeadline, drainStartedAt, sessionsAtDrainStart',
      ConditionExpression: '#status = :draining AND executionArn = :execution AND attribute_exists(drainOutcome)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ...ACTIVE_DRAINING, ':execution': EXECUTION },
      ReturnValues: 'ALL_NEW',
    },
  },
  'marks a drained task STOPPING with its outcome': {
    act: (table) => markStopping(table, TASK, EXECUTION, DrainOutcome.Drained),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET #status = :stopping, drainOutcome = :outcome REMOVE waitArmed',
      ConditionExpression: 'executionArn = :me AND #status IN (:active, :draining)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':outcome': 'DRAINED', ':me': EXECUTION, ':stopping': 'STOPPING', ...ACTIVE_DRAINING },
      ReturnValues: 'ALL_NEW',
    },
  },
  "records only the outcome of this execution's drain": {
    act: (table) => recordOutcome(table, TASK, EXECUTION, DrainOutcome.TaskGone),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET drainOutcome = :outcome REMOVE waitArmed',
      ConditionExpression: 'executionArn = :me',
      ExpressionAttributeValues: { ':outcome': 'TASK_GONE', ':me': EXECUTION },
      ReturnValues: 'ALL_NEW',
    },
  },
  'records the outcome of a drained blue task and makes it ACTIVE while it is still DRAINING': {
    act: (table) => recordOutcomeServing(table, TASK, EXECUTION, DrainOutcome.Drained),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET drainOutcome = :outcome, #status = :active REMOVE waitArmed',
      ConditionExpression: 'executionArn = :me AND #status = :draining',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':outcome': 'DRAINED', ':me': EXECUTION, ...ACTIVE_DRAINING },
      ReturnValues: 'ALL_NEW',
    },
  },
  "closes a stopped task from ECS's newer event": {
    act: (table) => closeStopped(table, TASK, 7, 1000),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET #status = :stopped, expiresAt = :expiresAt, ecsVersion = :version',
      ConditionExpression: 'attribute_exists(pk) AND #status <> :stopped AND (attribute_not_exists(ecsVersion) OR ecsVersion < :version)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':stopped': 'STOPPED', ':expiresAt': 1000 + 24 * 3600, ':version': 7 },
      ReturnValues: 'ALL_NEW',
    },
  },
  'expires a task ECS no longer runs': {
    act: (table) => expireTask(table, TASK, 1000),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET #status = :stopped, expiresAt = :expiresAt',
      ConditionExpression: '#status IN (:active, :draining, :stopping)',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':stopped': 'STOPPED', ':expiresAt': 1000 + 24 * 3600, ...ACTIVE_DRAINING, ':stopping': 'STOPPING' },
    },
  },
  'records protection of a task holding sessions, never moving its expiry backwards': {
    act: (table) => setProtectionState(table, TASK, { state: ProtectionState.Protected, until: 5000 }),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET protectionState = :state, protectedUntil = :until',
      ConditionExpression: 'attribute_exists(pk) AND sessionCount >= :one AND (attribute_not_exists(protectedUntil) OR protectedUntil <= :until)',
      ExpressionAttributeValues: { ':state': 'PROTECTED', ':until': 5000, ':one': 1 },
    },
  },
  'records an empty task unprotected': {
    act: (table) => setProtectionState(table, TASK, { state: ProtectionState.Unprotected }),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET protectionState = :state REMOVE protectedUntil',
      ConditionExpression: 'attribute_exists(pk) AND sessionCount <= :zero',
      ExpressionAttributeValues: { ':state': 'UNPROTECTED', ':zero': 0 },
    },
  },
  'records a blocked protection of a task holding sessions': {
    act: (table) => setProtectionState(table, TASK, { state: ProtectionState.Blocked }),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET protectionState = :state',
      ConditionExpression: 'attribute_exists(pk) AND sessionCount >= :one',
      ExpressionAttributeValues: { ':state': 'BLOCKED', ':one': 1 },
    },
  },
  'flags the replacement a task item asked for': {
    act: (table) => setReplacementRequested(table, TASK, true),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET replacementRequested = :requested',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':requested': true },
    },
  },
  "takes the pacer's lease when it is free, expired or its own": {
    act: (table) => takePaceLease(table, SERVICE, 'pacer-1', 1000, 61_000),
    input: {
      Key: { pk: SERVICE_PK, sk: 'PACE' },
      UpdateExpression: 'SET leaseHolder = :me, leaseUntil = :until, dirty = :false',
      ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseHolder = :me',
      ExpressionAttributeValues: { ':me': 'pacer-1', ':until': 61_000, ':now': 1000, ':false': false },
    },
  },
  "releases the pacer's lease only when nothing marked the service dirty": {
    act: (table) => releasePaceLease(table, SERVICE, 'pacer-1'),
    input: {
      Key: { pk: SERVICE_PK, sk: 'PACE' },
      UpdateExpression: 'REMOVE leaseHolder, leaseUntil',
      ConditionExpression: 'leaseHolder = :me AND dirty = :false',
      ExpressionAttributeValues: { ':me': 'pacer-1', ':false': false },
    },
  },
  "drops the pacer's lease after a failure, leaving the service dirty": {
    act: (table) => dropPaceLease(table, SERVICE, 'pacer-1'),
    input: {
      Key: { pk: SERVICE_PK, sk: 'PACE' },
      UpdateExpression: 'SET dirty = :true REMOVE leaseHolder, leaseUntil',
      ConditionExpression: 'leaseHolder = :me',
      ExpressionAttributeValues: { ':me': 'pacer-1', ':true': true },
    },
  },
  'records a paused blue/green hook unless it was continued already': {
    act: (table) => recordHook(table, SERVICE, { hookId: 'hook-1', serviceDeploymentArn: 'deployment-1', blueTaskArns: [TASK] }, '2026-11-21T10:00:00.000Z'),
    input: {
      Key: { pk: SERVICE_PK, sk: 'BLUE_GREEN_HOOK' },
      UpdateExpression: 'SET hookId = :hookId, serviceDeploymentArn = :deployment, blueTaskArns = :blue, armed = :false, updatedAt = :now REMOVE continuedAt',
      ConditionExpression: 'attribute_not_exists(continuedAt) OR hookId <> :hookId',
      ExpressionAttributeValues: { ':hookId': 'hook-1', ':deployment': 'deployment-1', ':blue': [TASK], ':false': false, ':now': '2026-11-21T10:00:00.000Z' },
    },
  },
  'marks the hook continued unless another hook replaced it': {
    act: (table) => markHookContinued(table, SERVICE, 'hook-1', '2026-11-21T10:00:00.000Z'),
    input: {
      Key: { pk: SERVICE_PK, sk: 'BLUE_GREEN_HOOK' },
      UpdateExpression: 'SET continuedAt = :now',
      ConditionExpression: 'hookId = :hookId',
      ExpressionAttributeValues: { ':now': '2026-11-21T10:00:00.000Z', ':hookId': 'hook-1' },
    },
  },
  'adds a draining task to the surge set, moving the version on': {
    act: (table) => changeSurge(table, SERVICE, TASK, 'add'),
    input: {
      Key: { pk: SERVICE_PK, sk: 'CAPACITY' },
      UpdateExpression: 'SET clusterArn = :cluster, serviceName = :service, version = if_not_exists(version, :zero) + :one ADD surge :tasks',
      ConditionExpression: 'NOT contains(surge, :task)',
      ExpressionAttributeValues: { ':tasks': new Set([TASK]), ':task': TASK, ':one': 1, ':cluster': CLUSTER_ARN, ':service': 'chat', ':zero': 0 },
      ReturnValues: 'UPDATED_NEW',
    },
  },
  'removes a task from the surge set, moving the version on': {
    act: (table) => changeSurge(table, SERVICE, TASK, 'remove'),
    input: {
      Key: { pk: SERVICE_PK, sk: 'CAPACITY' },
      UpdateExpression: 'SET version = version + :one DELETE surge :tasks',
      ConditionExpression: 'contains(surge, :task)',
      ExpressionAttributeValues: { ':tasks': new Set([TASK]), ':task': TASK, ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    },
  },
  'records the counts a lock holder applied for a version': {
    act: (table) => writeApplied(table, SERVICE, 'owner-1', 3, { base: 2, applied: 4, appliedFrom: 2 }),
    input: {
      Key: { pk: SERVICE_PK, sk: 'CAPACITY' },
      UpdateExpression: 'SET appliedVersion = :version, baseCount = :base, appliedCount = :applied, appliedFromCount = :appliedFrom',
      ConditionExpression: 'version = :version AND lockOwner = :owner',
      ExpressionAttributeValues: { ':version': 3, ':owner': 'owner-1', ':base': 2, ':applied': 4, ':appliedFrom': 2 },
    },
  },
  'records a settled version and forgets the base once the service is back at it': {
    act: (table) => writeApplied(table, SERVICE, 'owner-1', 3, { clear: true }),
    input: {
      Key: { pk: SERVICE_PK, sk: 'CAPACITY' },
      UpdateExpression: 'SET appliedVersion = :version REMOVE baseCount, appliedCount, appliedFromCount',
      ConditionExpression: 'version = :version AND lockOwner = :owner',
      ExpressionAttributeValues: { ':version': 3, ':owner': 'owner-1' },
    },
  },
  "marks a drain's outcome counted once per execution, so a re-delivered stream record counts nothing": {
    act: (table) => markOutcomeCounted(table, TASK, EXECUTION),
    input: {
      Key: TASK_KEY,
      UpdateExpression: 'SET outcomeCounted = :me',
      ConditionExpression: 'executionArn = :me AND attribute_exists(drainOutcome) AND (attribute_not_exists(outcomeCounted) OR outcomeCounted <> :me)',
      ExpressionAttributeValues: { ':me': EXECUTION },
    },
  },
  "takes the converger's lock of an existing capacity item when it is free or expired": {
    act: (table) => takeCapacityLock(table, SERVICE, 'owner-1', 1000, 31_000),
    input: {
      Key: { pk: SERVICE_PK, sk: 'CAPACITY' },
      UpdateExpression: 'SET lockOwner = :owner, lockExpiresAt = :expires',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lockOwner) OR lockExpiresAt < :now)',
      ExpressionAttributeValues: { ':owner': 'owner-1', ':expires': 31_000, ':now': 1000 },
    },
  },
  "releases the converger's lock only if it is still its own": {
    act: (table) => releaseCapacityLock(table, SERVICE, 'owner-1'),
    input: {
      Key: { pk: SERVICE_PK, sk: 'CAPACITY' },
      UpdateExpression: 'REMOVE lockOwner, lockExpiresAt',
      ConditionExpression: 'lockOwner = :owner',
      ExpressionAttributeValues: { ':owner': 'owner-1' },
    },
  },
};

function registry() {
  const { deps, mocks } = makeTestDeps();
  return { table: { ddb: deps.ddb, tableName: TABLE_NAME }, ddb: mocks.ddb };
}

describe("the registry's transitions", () => {
  it.each(Object.entries(CASES))('%s: sends exactly this UpdateItem and answers applied, with the item written', async (_, { act, input }) => {
    // prepare
    const { table, ddb } = registry();
    ddb.on(UpdateCommand).resolves({ Attributes: { pk: 'written' } });

    // act
    const result = await act(table);

    // assert
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE_NAME, ...input }]);
    expect(result).toEqual({ applied: true, item: { pk: 'written' } });
  });

  it.each(Object.entries(CASES))('%s: answers not applied, with the failed condition as cause, when its condition does not hold', async (_, { act }) => {
    // prepare
    const { table, ddb } = registry();
    const conditionFailed = conditionalCheckFailed();
    ddb.on(UpdateCommand).rejects(conditionFailed);

    // act
    const result = await act(table);

    // assert
    expect(result).toEqual({ applied: false, cause: conditionFailed });
  });

  it('throws any other failure of the write as it came', async () => {
    const { table, ddb } = registry();
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    ddb.on(UpdateCommand).rejects(throttled);

    await expect(expireTask(table, TASK, 1000)).rejects.toBe(throttled);
  });

  it('marks the pace item dirty unconditionally', async () => {
    const { table, ddb } = registry();
    ddb.on(UpdateCommand).resolves({});

    await markPaceDirty(table, SERVICE);

    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE_NAME, Key: { pk: SERVICE_PK, sk: 'PACE' }, UpdateExpression: 'SET dirty = :true', ExpressionAttributeValues: { ':true': true } },
    ]);
  });

  it('arms the hook, and throws when another hook replaced it (the event is for a hook that no longer waits)', async () => {
    const { table, ddb } = registry();
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionalCheckFailed());

    await armHook(table, SERVICE, 'hook-1');
    const replaced = armHook(table, SERVICE, 'hook-1');

    await expect(replaced).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: SERVICE_PK, sk: 'BLUE_GREEN_HOOK' },
      UpdateExpression: 'SET armed = :true',
      ConditionExpression: 'hookId = :hookId',
      ExpressionAttributeValues: { ':true': true, ':hookId': 'hook-1' },
    });
  });

  it("builds the pacer's transaction actions: the pace version moved on, and an ACTIVE task's deployment drain claimed", () => {
    const version = movePaceVersionAction(TABLE_NAME, SERVICE, 4, 5, '2026-11-21T10:00:00.000Z');
    const first = movePaceVersionAction(TABLE_NAME, SERVICE, undefined, 1, '2026-11-21T10:00:00.000Z');
    const claim = claimActiveDrainAttemptAction(TABLE_NAME, { taskArn: TASK, attempt: 2, previousAttempt: 1, executionArn: EXECUTION });

    expect(version).toEqual({
      Update: {
        TableName: TABLE_NAME,
        Key: { pk: SERVICE_PK, sk: 'PACE' },
        UpdateExpression: 'SET version = :next, updatedAt = :now',
        ConditionExpression: 'version = :current',
        ExpressionAttributeValues: { ':next': 5, ':now': '2026-11-21T10:00:00.000Z', ':current': 4 },
      },
    });
    expect(first.Update.ConditionExpression).toBe('attribute_not_exists(version)');
    expect(first.Update.ExpressionAttributeValues).toEqual({ ':next': 1, ':now': '2026-11-21T10:00:00.000Z' });
    expect(claim).toEqual({
      Update: {
        TableName: TABLE_NAME,
        Key: TASK_KEY,
        UpdateExpression: 'SET drainAttempt = :attempt, executionArn = :executionArn, drainReason = :reason REMOVE drainOutcome, cancelledBy',
        ConditionExpression: '#status = :active AND (attribute_not_exists(drainAttempt) OR drainAttempt = :previous)',
        ExpressionAttributeNames: STATUS,
        ExpressionAttributeValues: { ':attempt': 2, ':previous': 1, ':executionArn': EXECUTION, ':reason': 'DEPLOYMENT', ':active': 'ACTIVE' },
      },
    });
  });
});
