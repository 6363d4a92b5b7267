import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, ListExecutionsCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { runDrainControl } from '../../../functions/handlers/drain-control.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, grantEveryProtection, makeTestDeps, NOW, OTHER_CLUSTER_ARN, STATE_MACHINE_ARN, taskArn } from '../../support/deps.js';

const TASK = taskArn('0123456789abcdef0123456789abcdef');
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-0123456789abcdef0123456789abcdef-1';

function drainingItem(): TaskItem {
  return {
    pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn: CLUSTER_ARN, serviceTask: `web#${TASK}`, serviceName: 'web', sessionCount: 4,
    status: 'DRAINING', drainReason: 'MANUAL', executionArn: EXECUTION, waitArmed: true, protectionState: 'PROTECTED', protectedUntil: 1,
  };
}

function registry() {
  const t = makeTestDeps();
  t.mocks.ddb.on(QueryCommand).resolves({ Items: [drainingItem()] });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION, stateMachineArn: STATE_MACHINE_ARN, name: 'n', status: 'RUNNING', startDate: NOW }] });
  t.mocks.sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'RUNNING' });
  t.mocks.sfn.on(StopExecutionCommand).resolves({ stopDate: NOW });
  grantEveryProtection(t.mocks.ecs, new Date(0));
  return t;
}

describe('DrainControlFunction: release-all', () => {
  it('releases every cluster in scope and answers the counts', async () => {
    // prepare
    const { deps, mocks } = registry();

    // act
    const response = await runDrainControl(deps, { action: 'release-all' });

    // assert
    expect(response).toEqual({
      ok: true,
      action: 'release-all',
      result: 'released',
      message: '1 drain(s) stopped, 1 task(s) back to ACTIVE, 1 task(s) unprotected',
      clusters: [CLUSTER_ARN],
      drainsStopped: 1,
      tasksReleased: 1,
      tasksUnprotected: 1,
      replacementsKept: 0,
      failures: 0,
      failed: [],
    });
    expect(mocks.sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input.executionArn).toBe(EXECUTION);
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, tasks: [TASK], protectionEnabled: false });
  });

  it('releases one cluster named by its name, by its items only (no sweep of every execution)', async () => {
    const { deps, mocks } = registry();

    const response = await runDrainControl(deps, { action: 'release-all', cluster: 'sessions' });

    expect(response).toMatchObject({ ok: true, clusters: [CLUSTER_ARN], drainsStopped: 1, tasksReleased: 1 });
    expect(mocks.sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
    expect(mocks.sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXECUTION });
  });

  it.each([
    ['a cluster not managed here', { action: 'release-all', cluster: OTHER_CLUSTER_ARN }, 'is not one this orchestrator manages'],
    ['a task ARN, which release-all does not take', { action: 'release-all', taskArn: TASK }, 'taskArn'],
  ])('refuses %s without changing anything', async (_scenario, payload, message) => {
    const { deps, mocks } = registry();

    const response = await runDrainControl(deps, payload);

    expect(response.ok).toBe(false);
    expect(response).toMatchObject({ error: expect.stringContaining(message) });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(mocks.sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
  });
});
