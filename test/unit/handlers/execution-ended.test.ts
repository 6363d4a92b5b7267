import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/execution-ended.js';
import { parseExecutionEnded } from '../../../functions/events/states.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, NOW, OTHER_CLUSTER_ARN, STATE_MACHINE_ARN, taskArn } from '../../support/deps.js';
import { getTaskInput, registryItem } from './fixtures.js';
import { countedMetrics, handlerTestDeps, sdkCallCount } from './handler-harness.js';

const TASK = taskArn('0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c');
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:';
const FIRST = `${EXECUTION_PREFIX}drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-1`;
const DEADLINE = new Date(NOW.getTime() + 1800_000).toISOString();

/** The event as Step Functions sends it (Step Functions guide, cw-events.html), for an execution of the test stack's drain workflow. */
function statusChange(overrides: { status?: string; executionArn?: string; stateMachineArn?: string; cluster?: string; input?: string | null; ranMs?: number; error?: string } = {}) {
  const executionArn = overrides.executionArn ?? FIRST;
  return {
    version: '0',
    id: '5b3e1c2a-7f4d-4e8b-9a6c-1d2e3f4a5b6c',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '111122223333',
    time: '2026-11-21T09:59:58Z',
    region: 'us-east-1',
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: overrides.stateMachineArn ?? STATE_MACHINE_ARN,
      name: executionArn.slice(executionArn.lastIndexOf(':') + 1),
      status: overrides.status ?? 'FAILED',
      startDate: NOW.getTime() - 2000 - (overrides.ranMs ?? 598_000),
      stopDate: NOW.getTime() - 2000,
      input:
        overrides.input === undefined
          ? JSON.stringify({ cluster: overrides.cluster ?? CLUSTER_ARN, taskArn: TASK, service: 'chat-gateway', reason: 'DEPLOYMENT', deadline: DEADLINE })
          : overrides.input,
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: overrides.error ?? 'States.TaskFailed',
      cause: 'the stop step failed after its retries',
    },
  };
}

function arrange(item: TaskItem | undefined, executionStatus = 'FAILED') {
  const t = handlerTestDeps();
  t.mocks.ddb.on(GetCommand).resolves({ Item: item });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(DescribeExecutionCommand).resolves({ executionArn: FIRST, status: executionStatus as 'FAILED' });
  t.mocks.sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `${EXECUTION_PREFIX}${input.name}`, startDate: NOW }));
  return t;
}

const drainingItem = registryItem(TASK, {
  status: 'DRAINING',
  sessionCount: 4,
  drainAttempt: 1,
  executionArn: FIRST,
  drainReason: 'DEPLOYMENT',
  drainDeadline: DEADLINE,
  waitArmed: true,
});

describe('ExecutionEndedFunction', () => {
  it('leaves alone an execution release-all stopped: its event may come before the release gave the task back', async () => {
    // prepare
    const t = arrange(drainingItem, 'ABORTED');

    // act
    await createHandler(t.getDeps)(statusChange({ status: 'ABORTED', error: 'DrainReleased' }));

    // assert
    expect(sdkCallCount(t)).toBe(0);
  });

  it('restarts a drain whose workflow failed with sessions left, keeping its reason and deadline', async () => {
    // prepare
    const t = arrange(drainingItem);

    // act
    const outcome = await createHandler(t.getDeps)(statusChange());

    // assert
    expect(t.mocks.ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual(getTaskInput(TASK));
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-2',
        // The service and reason come from the registry item, not from the event.
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: TASK, service: 'chat', reason: 'DEPLOYMENT', deadline: DEADLINE }),
      },
    ]);
    expect(outcome).toEqual({ status: 'done', result: { status: 'FAILED', restarted: true, replacementReleased: false } });
  });

  it('leaves a workflow that failed seconds after its start to the reconciler, so a failing step cannot loop', async () => {
    // prepare: the stop step lost its permission; every attempt fails within seconds
    const t = arrange(drainingItem);

    // act
    const outcome = await createHandler(t.getDeps)(statusChange({ ranMs: 5000 }));

    // assert
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toEqual({ status: 'done', result: { status: 'FAILED', restarted: false, replacementReleased: false } });
  });

  it('does nothing for a duplicate or late event: the item names the restarted attempt', async () => {
    // prepare
    const t = arrange({ ...drainingItem, drainAttempt: 2, executionArn: `${EXECUTION_PREFIX}drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-2` });

    // act
    const outcome = await createHandler(t.getDeps)(statusChange());

    // assert
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toEqual({ status: 'rejected', reason: `the task's drain is owned by ${EXECUTION_PREFIX}drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-2 now` });
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });

  it('leaves a drain whose execution was redriven and runs again', async () => {
    // prepare
    const t = arrange(drainingItem, 'RUNNING');

    // act
    const outcome = await createHandler(t.getDeps)(statusChange({ status: 'ABORTED' }));

    // assert
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(outcome).toEqual({ status: 'done', result: { status: 'ABORTED', restarted: false, replacementReleased: false } });
  });

  it('asks nothing more of a drain that ended with its outcome recorded', async () => {
    // prepare
    const t = arrange({ ...drainingItem, status: 'STOPPED', drainOutcome: 'DRAINED', waitArmed: undefined });

    // act
    const outcome = await createHandler(t.getDeps)(statusChange({ status: 'SUCCEEDED' }));

    // assert
    expect(sdkCallCount(t)).toBe(1);
    expect(outcome).toEqual({ status: 'done', result: { status: 'SUCCEEDED', restarted: false, replacementReleased: false } });
  });

  it.each([
    ['another state machine', statusChange({ stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:Other' }), 'execution of arn:aws:states:us-east-1:111122223333:stateMachine:Other, not of this stack\'s drain workflow'],
    ['a cluster out of scope', statusChange({ cluster: OTHER_CLUSTER_ARN }), `cluster ${OTHER_CLUSTER_ARN} is not in scope (CLUSTER_ARNS)`],
    ['an execution still running', statusChange({ status: 'RUNNING' }), 'Step Functions Execution Status Change: status RUNNING is not an ended execution'],
    ['an event without its input', statusChange({ input: null }), 'Step Functions Execution Status Change: the event carries no input (inputDetails.included false?)'],
    ['an input that names no task', statusChange({ input: '{"hello":1}' }), 'Step Functions Execution Status Change: the input names no cluster and task (not a drain workflow input)'],
  ])('rejects %s without a write', async (_case, event, reason) => {
    // prepare
    const t = arrange(drainingItem);

    // act
    const outcome = await createHandler(t.getDeps)(event);

    // assert
    expect(outcome).toEqual({ status: 'rejected', reason });
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(t.mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('reads the events/ sample of a failed drain execution', () => {
    // prepare
    const raw = JSON.parse(readFileSync(new URL('../../../events/execution-failed.json', import.meta.url), 'utf8')) as unknown;

    // act
    const parsed = parseExecutionEnded(raw);

    // assert
    expect(parsed).toEqual({
      ok: true,
      event: {
        executionArn: 'arn:aws:states:us-east-1:111122223333:execution:ecs-session-drain-drain:drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-1',
        stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:ecs-session-drain-drain',
        status: 'FAILED',
        clusterArn: CLUSTER_ARN,
        taskArn: TASK,
        error: 'States.TaskFailed',
        ranSeconds: 1200,
      },
    });
  });
});
