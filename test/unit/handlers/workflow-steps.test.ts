import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHandler as armDrainWait } from '../../../functions/handlers/arm-drain-wait.js';
import { createHandler as launchReplacement } from '../../../functions/handlers/launch-replacement.js';
import { createHandler as recordDrain } from '../../../functions/handlers/record-drain.js';
import { createHandler as releaseReplacement } from '../../../functions/handlers/release-replacement.js';
import { createHandler as stopTask } from '../../../functions/handlers/stop-drained-task.js';
import type { Deps } from '../../../functions/shared/deps.js';
import { CLUSTER_ARN, makeTestDeps, taskArn } from '../../support/deps.js';

type Factory = (getDeps: () => Deps) => (event: unknown) => Promise<unknown>;
const TASK = taskArn('abc123');
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-abc123-1';

const cases: [string, Factory, unknown][] = [
  ['Record drain without the execution', recordDrain, { request: { cluster: CLUSTER_ARN, taskArn: TASK, reason: 'SPOT' } }],
  ['Record drain with an unknown reason', recordDrain, { executionArn: EXECUTION, request: { cluster: CLUSTER_ARN, taskArn: TASK, reason: 'BORED' } }],
  ['Record drain with a deadline that is not a time', recordDrain, { executionArn: EXECUTION, request: { cluster: CLUSTER_ARN, taskArn: TASK, reason: 'SPOT', deadline: 'soon' } }],
  ['Record drain with a task that is not an ARN', recordDrain, { executionArn: EXECUTION, request: { cluster: CLUSTER_ARN, taskArn: 'abc123', reason: 'SPOT' } }],
  ['the wait without a token', armDrainWait, { taskArn: TASK }],
  ['the wait with an empty token', armDrainWait, { taskToken: '', taskArn: TASK, executionArn: EXECUTION }],
  ['the wait without its execution', armDrainWait, { taskToken: 'token-1', taskArn: TASK }],
  ['a stop with the outcome CANCELLED (cancelled tasks keep running)', stopTask, { cluster: CLUSTER_ARN, taskArn: TASK, executionArn: EXECUTION, outcome: 'CANCELLED' }],
  ['a stop without a cluster', stopTask, { taskArn: TASK, executionArn: EXECUTION, outcome: 'DRAINED' }],
  ['a launch without a task', launchReplacement, { cluster: CLUSTER_ARN, service: 'chat' }],
  ['a release with an empty service name', releaseReplacement, { cluster: CLUSTER_ARN, service: '', taskArn: TASK }],
  ['a step given no object at all', releaseReplacement, 'drain it'],
];

describe('workflow step handlers', () => {
  it.each(cases)('reject %s with InvalidInputError and change nothing', async (_label, factory, event) => {
    const { deps, mocks } = makeTestDeps();

    await expect(factory(() => deps)(event)).rejects.toMatchObject({ name: 'InvalidInputError' });

    expect(mocks.ddb.calls()).toHaveLength(0);
    expect(mocks.ecs.calls()).toHaveLength(0);
    expect(mocks.sfn.calls()).toHaveLength(0);
  });

  it('pass the recorded drain through to the core (extra workflow fields are ignored)', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).resolves({});

    const result = await armDrainWait(() => deps)({ taskToken: 'token-1', taskArn: TASK, executionArn: EXECUTION, waitSeconds: 60 });

    expect(result).toEqual({ status: 'armed' });
    expect(mocks.ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ taskToken: 'token-1', taskArn: TASK, executionArn: EXECUTION });
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':me']).toBe(EXECUTION);
  });
});
