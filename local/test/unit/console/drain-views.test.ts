import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { drainView, visitsOf } from '../../../console/drain-views.js';

const START = Date.parse('2026-12-07T09:00:00Z');
const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/sessions/9f80315848ae6ecdb9c567bdcdb2281d';
const EXECUTION = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:SessionDrain:drain-9f80315848ae6ecdb9c567bdcdb2281d-1', name: 'drain-9f80315848ae6ecdb9c567bdcdb2281d-1' };

/** A history as GetExecutionHistory returns it: ids in order, one second apart. */
function history(...events: Array<Omit<HistoryEvent, 'id' | 'timestamp'>>): HistoryEvent[] {
  return events.map((event, index) => ({ ...event, id: index + 1, timestamp: new Date(START + index * 1000) }) as HistoryEvent);
}
const entered = (name: string, type = 'TaskStateEntered') => ({ type, stateEnteredEventDetails: { name } }) as Omit<HistoryEvent, 'id' | 'timestamp'>;
const exited = (name: string, type = 'TaskStateExited') => ({ type, stateExitedEventDetails: { name } }) as Omit<HistoryEvent, 'id' | 'timestamp'>;
const started = { type: 'ExecutionStarted', executionStartedEventDetails: { input: JSON.stringify({ cluster: 'sessions', taskArn: TASK_ARN, reason: 'DEPLOYMENT' }) } } as Omit<HistoryEvent, 'id' | 'timestamp'>;
const waitTask = { type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'us-east-1', parameters: '{}' } } as Omit<HistoryEvent, 'id' | 'timestamp'>;

describe('a drain execution as the console shows it', () => {
  it('while it waits for sessions: the wait in progress, the states before it succeeded, task and reason from the input', () => {
    const events = history(started, entered('Record drain'), exited('Record drain'), entered('Mark task draining'), exited('Mark task draining'), entered('Wait for sessions to drain'), waitTask);

    const view = drainView({ ...EXECUTION, status: 'RUNNING', startDate: new Date(START) }, events);

    expect(view).toMatchObject({ status: 'RUNNING', taskArn: TASK_ARN, reason: 'DEPLOYMENT', currentState: 'Wait for sessions to drain', startDate: new Date(START).toISOString() });
    expect(view.states).toEqual({ 'Record drain': 'succeeded', 'Mark task draining': 'succeeded', 'Wait for sessions to drain': 'in-progress' });
    expect(view.outcome).toBeUndefined();
    expect(view.events.at(-1)).toEqual({ id: 7, type: 'TaskScheduled', timestamp: new Date(START + 6000).toISOString(), detail: 'lambda:invoke.waitForTaskToken' });
    expect(view.visits.at(-1)).toEqual({ state: 'Wait for sessions to drain', enteredAt: START + 5000, status: 'in-progress' });
  });

  it('once drained: every state it went through succeeded, "Drained" last, the outcome and sessions from the output', () => {
    const output = { outcome: 'DRAINED', taskArn: TASK_ARN, reason: 'DEPLOYMENT', sessionsAtStart: 9, secondsDrained: 1133 };
    const events = history(
      started,
      entered('Wait for sessions to drain'),
      exited('Wait for sessions to drain'),
      entered('Sessions drained', 'PassStateEntered'),
      exited('Sessions drained', 'PassStateExited'),
      entered('Drained', 'SucceedStateEntered'),
      exited('Drained', 'SucceedStateExited'),
      { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: JSON.stringify(output) } },
    );

    const view = drainView({ ...EXECUTION, status: 'SUCCEEDED', startDate: new Date(START), stopDate: new Date(START + 7000) }, events);

    expect(view).toMatchObject({ outcome: 'DRAINED', sessionsAtStart: 9, currentState: 'Drained', stopDate: new Date(START + 7000).toISOString() });
    expect(view.states).toEqual({ 'Wait for sessions to drain': 'succeeded', 'Sessions drained': 'succeeded', Drained: 'succeeded' });
    expect(view.visits.map((visit) => [visit.state, visit.enteredAt - START, (visit.leftAt ?? 0) - START])).toEqual([
      ['Wait for sessions to drain', 1000, 2000],
      ['Sessions drained', 3000, 4000],
      ['Drained', 5000, 6000],
    ]);
  });

  it('a wait ended by a lost heartbeat is caught, not failed; a step that failed once and succeeded on retry succeeded', () => {
    const events = history(
      entered('Release protection and stop task'),
      { type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'Lambda.TooManyRequestsException' } },
      { type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}' } },
      exited('Release protection and stop task'),
      entered('Wait for sessions to drain'),
      { type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'HeartbeatLost', cause: 'no heartbeat for 120 s' } },
      exited('Wait for sessions to drain'),
      entered('Heartbeats stopped', 'PassStateEntered'),
    );

    const visits = visitsOf(events, 'RUNNING');

    expect(visits.map((visit) => [visit.state, visit.status])).toEqual([
      ['Release protection and stop task', 'succeeded'],
      ['Wait for sessions to drain', 'caught'],
      ['Heartbeats stopped', 'in-progress'],
    ]);
    expect(visits[1]?.leftAt).toBe(START + 6000);
    expect(drainView({ ...EXECUTION, status: 'RUNNING' }, events).events[5]).toMatchObject({ type: 'TaskFailed', detail: 'HeartbeatLost: no heartbeat for 120 s' });
  });

  it('an execution that failed or was stopped in a state shows that state failed, ended when the execution stopped', () => {
    const events = history(started, entered('Record drain'), exited('Record drain'), entered('Invalid drain request', 'FailStateEntered'), { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'InvalidInputError', cause: 'no taskArn' } });
    const aborted = history(started, entered('Wait for sessions to drain'), { type: 'ExecutionAborted', executionAbortedEventDetails: {} });

    const failed = drainView({ ...EXECUTION, status: 'FAILED', stopDate: new Date(START + 4000) }, events);
    const stopped = drainView({ ...EXECUTION, status: 'ABORTED', stopDate: new Date(START + 2500) }, aborted);

    expect(failed.states).toEqual({ 'Record drain': 'succeeded', 'Invalid drain request': 'failed' });
    expect(failed.events.at(-1)?.detail).toBe('InvalidInputError: no taskArn');
    expect(stopped.states).toEqual({ 'Wait for sessions to drain': 'failed' });
    expect(stopped.visits[0]?.leftAt).toBe(START + 2500);
  });

  it('reads an execution whose input is not JSON without failing, naming no task', () => {
    const view = drainView({ ...EXECUTION, status: 'RUNNING' }, history({ type: 'ExecutionStarted', executionStartedEventDetails: { input: 'not json' } }));

    expect(view.taskArn).toBeUndefined();
    expect(view.states).toEqual({});
    expect(view.currentState).toBeUndefined();
  });
});
