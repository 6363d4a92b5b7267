import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { setTaskProtection } from '../../../../functions/core/protection/task-protection.js';
import { RetryableEcsError } from '../../../../functions/shared/errors.js';
import { CLUSTER_ARN, makeTestDeps, taskArn } from '../../../support/deps.js';

const tasks = Array.from({ length: 23 }, (_, index) => taskArn(`task${String(index).padStart(2, '0')}`));

describe('setTaskProtection', () => {
  it('protects many tasks in batches of ten with the configured expiry', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps({ config: { protectionMinutes: 2880 } });
    mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
      protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: new Date('2026-11-23T10:00:00Z') })),
      failures: [],
    }));

    // act
    const result = await setTaskProtection(deps, { clusterArn: CLUSTER_ARN, taskArns: tasks, enabled: true });

    // assert
    const calls = mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      { cluster: CLUSTER_ARN, tasks: tasks.slice(0, 10), protectionEnabled: true, expiresInMinutes: 2880 },
      { cluster: CLUSTER_ARN, tasks: tasks.slice(10, 20), protectionEnabled: true, expiresInMinutes: 2880 },
      { cluster: CLUSTER_ARN, tasks: tasks.slice(20), protectionEnabled: true, expiresInMinutes: 2880 },
    ]);
    expect(result.updated).toHaveLength(23);
    expect(result.updated[0]).toEqual({ taskArn: tasks[0], expiresAt: Date.parse('2026-11-23T10:00:00Z') / 1000 });
  });

  it('releases protection without an expiry', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [{ taskArn: tasks[0], protectionEnabled: false }] });

    const result = await setTaskProtection(deps, { clusterArn: CLUSTER_ARN, taskArns: [tasks[0]!], enabled: false });

    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER_ARN,
      tasks: [tasks[0]],
      protectionEnabled: false,
    });
    expect(result.updated).toEqual([{ taskArn: tasks[0] }]);
  });

  it('sorts per-task failures: a blocked deployment, a vanished task, and anything else', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({
      protectedTasks: [],
      failures: [
        { arn: tasks[0], reason: 'DEPLOYMENT_BLOCKED' },
        { arn: tasks[1], reason: 'MISSING' },
        { arn: tasks[2], reason: 'TASK_NOT_VALID' },
        { arn: tasks[3], reason: 'ACCESS_DENIED', detail: 'nope' },
      ],
    });

    const result = await setTaskProtection(deps, { clusterArn: CLUSTER_ARN, taskArns: tasks.slice(0, 4), enabled: true });

    expect(result).toEqual({
      updated: [],
      blocked: [tasks[0]],
      notApplicable: [tasks[1], tasks[2]],
      failed: [{ taskArn: tasks[3], reason: 'ACCESS_DENIED: nope' }],
      unsettled: [],
    });
  });

  it('counts a whole call refused with DEPLOYMENT_BLOCKED as blocked rather than failing the others', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs
      .on(UpdateTaskProtectionCommand)
      .rejectsOnce(Object.assign(new Error('DEPLOYMENT_BLOCKED: too many protected tasks'), { name: 'ClientException' }))
      .resolves({ protectedTasks: tasks.slice(10, 12).map((arn) => ({ taskArn: arn, protectionEnabled: true })) });

    const result = await setTaskProtection(deps, { clusterArn: CLUSTER_ARN, taskArns: tasks.slice(0, 12), enabled: true });

    expect(result.blocked).toEqual(tasks.slice(0, 10));
    expect(result.updated.map((task) => task.taskArn)).toEqual(tasks.slice(10, 12));
  });

  it('turns ECS throttling into a retryable error', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(setTaskProtection(deps, { clusterArn: CLUSTER_ARN, taskArns: [tasks[0]!], enabled: true })).rejects.toBeInstanceOf(
      RetryableEcsError,
    );
  });
});
