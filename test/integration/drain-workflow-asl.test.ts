import { CreateStateMachineCommand, DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { motoClientConfig, uniqueName } from '../support/aws.js';
import { drainDefinition, rawDrainDefinition } from '../support/drain-asl.js';

interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Choices?: { Next: string }[];
}

const states = rawDrainDefinition().States as Record<string, State>;

describe('drain workflow definition', () => {
  it('is valid Amazon States Language once its substitutions are filled in', () => {
    const definition = JSON.parse(drainDefinition('SessionRegistry')) as object;

    const { isValid, errorsText } = aslValidator(definition);

    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('is accepted by Step Functions (moto) as a STANDARD state machine', async () => {
    const sfn = new SFNClient(motoClientConfig());

    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: uniqueName('drain'),
        definition: drainDefinition('SessionRegistry'),
        roleArn: 'arn:aws:iam::123456789012:role/drain-workflow',
        type: 'STANDARD',
      }),
    );

    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    expect(described.type).toBe('STANDARD');
    expect(JSON.parse(described.definition ?? '{}')).toEqual(JSON.parse(drainDefinition('SessionRegistry')));
  });

  it('retries AWS service failures on every task state and catches the failures it can name', () => {
    const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task');

    expect(tasks.length).toBeGreaterThanOrEqual(7);
    for (const [name, state] of tasks) {
      const retried = (state.Retry ?? []).flatMap((rule) => rule.ErrorEquals);
      if (state.Resource?.includes(':lambda:')) {
        // A crashed or timed-out invocation (Lambda.Unknown and its runtime names) is retried too:
        // every step is idempotent, and waiting for the reconciler would cost a whole period.
        expect(retried, name).toEqual(
          expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'Lambda.ClientExecutionTimeoutException', 'Lambda.Unknown', 'Runtime.ExitError', 'Sandbox.Timedout']),
        );
      } else {
        expect(retried, name).toEqual(expect.arrayContaining(['DynamoDB.ProvisionedThroughputExceededException']));
      }
      expect(state.Resource, name).not.toMatch(/aws-sdk/);
    }
    const waitCatches = states['Wait for sessions to drain']?.Catch?.flatMap((rule) => rule.ErrorEquals) ?? [];
    expect(waitCatches).toEqual(expect.arrayContaining(['States.Timeout', 'TaskGone', 'DrainCancelled', 'ForceStopRequested', 'HeartbeatLost']));
  });

  it('reaches every state from "Record drain" and ends every path in a named outcome', () => {
    const reached = new Set<string>();
    const queue = ['Record drain'];
    while (queue.length > 0) {
      const name = queue.pop() as string;
      if (reached.has(name)) continue;
      const state = states[name];
      expect(state, `transition to unknown state "${name}"`).toBeDefined();
      reached.add(name);
      for (const next of [state?.Next, state?.Default, ...(state?.Choices ?? []).map((c) => c.Next), ...(state?.Catch ?? []).map((c) => c.Next)]) {
        if (next !== undefined) queue.push(next);
      }
    }

    expect([...reached].sort()).toEqual(Object.keys(states).sort());
    for (const outcome of ['Drained', 'Deadline forced', 'Task gone', 'Cancelled', 'Force stopped', 'Heartbeat lost']) {
      expect(states[outcome]?.Type).toBe('Succeed');
    }
  });
});
