import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { applyProtection, ProtectionIncompleteError } from '../../../../functions/core/protection/records.js';
import { RetryableEcsError } from '../../../../functions/shared/errors.js';
import { CLUSTER_ARN, makeTestDeps, taskArn } from '../../../support/deps.js';

const tasks = Array.from({ length: 25 }, (_, index) => taskArn(`task${String(index).padStart(2, '0')}`));
const PROTECTED_UNTIL = new Date('2026-11-21T12:00:00Z');

function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
}

describe('applyProtection when ECS throttles one batch', () => {
  it('records the batches that succeeded before it throws, and names the unsettled tasks', async () => {
    // prepare: three batches (10, 10, 5); ECS throttles the second
    const { deps, mocks } = makeTestDeps();
    let call = 0;
    mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => {
      call += 1;
      if (call === 2) throw throttled();
      return { protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: PROTECTED_UNTIL })), failures: [] };
    });
    mocks.ddb.on(UpdateCommand).resolves({});

    // act
    const error = await applyProtection(deps, CLUSTER_ARN, tasks, true).catch((caught: unknown) => caught);

    // assert: the first batch is recorded, the throttled one and the one after it are left for a retry
    expect(error).toBeInstanceOf(ProtectionIncompleteError);
    expect(error).toBeInstanceOf(RetryableEcsError);
    const incomplete = error as ProtectionIncompleteError;
    expect(incomplete.name).toBe('ProtectionIncompleteError');
    expect((incomplete.cause as Error).name).toBe('RetryableEcsError');
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(2);
    const recorded = mocks.ddb.commandCalls(UpdateCommand).map((update) => update.args[0].input.Key?.pk as string);
    expect(recorded).toEqual(tasks.slice(0, 10));
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':until': PROTECTED_UNTIL.getTime() / 1000,
    });
    expect([...incomplete.outcomes.entries()]).toEqual([
      ...tasks.slice(0, 10).map((arn) => [arn, 'recorded']),
      ...tasks.slice(10).map((arn) => [arn, 'failed']),
    ]);
  });

  it('returns every outcome when no batch is throttled', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
      protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: PROTECTED_UNTIL })),
    }));
    mocks.ddb.on(UpdateCommand).resolves({});

    // act
    const outcomes = await applyProtection(deps, CLUSTER_ARN, tasks, true);

    // assert
    expect([...outcomes.values()].every((outcome) => outcome === 'recorded')).toBe(true);
    expect(outcomes.size).toBe(25);
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(25);
  });
});
