import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { timelineRow } from '../../../console/drain-timeline.js';
import { drainView } from '../../../console/drain-views.js';
import type { TwinTask } from '../../../twin/index.js';

const START = Date.parse('2026-12-07T09:00:00Z');
const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/sessions/9f80315848ae6ecdb9c567bdcdb2281d';

describe("a drain's row in the demo's timeline", () => {
  it("takes the drain's states from its history and its task's life from the twin, a caught wait marked so", () => {
    const at = (seconds: number) => new Date(START + seconds * 1000);
    const events = [
      { type: 'ExecutionStarted', executionStartedEventDetails: { input: JSON.stringify({ taskArn: TASK_ARN, reason: 'DEPLOYMENT' }) } },
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Wait for sessions to drain' } },
      { type: 'TaskFailed', taskFailedEventDetails: { error: 'HeartbeatLost' } },
      { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Wait for sessions to drain' } },
      { type: 'PassStateEntered', stateEnteredEventDetails: { name: 'Heartbeats stopped' } },
    ].map((event, index) => ({ ...event, id: index + 1, timestamp: at(index * 10) }) as HistoryEvent);
    const drain = drainView({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:SessionDrain:drain-9f80315848ae6ecdb9c567bdcdb2281d-1', name: 'drain-9f80315848ae6ecdb9c567bdcdb2281d-1', status: 'RUNNING', startDate: at(0) }, events);
    const task = { taskArn: TASK_ARN, startedAt: at(-100), stoppingAt: at(45) } as TwinTask;

    const row = timelineRow(drain, task);

    expect(row).toEqual({
      task: '9f803158',
      reason: 'DEPLOYMENT',
      outcome: 'RUNNING',
      taskStarted: START - 100_000,
      stopRequested: START + 45_000,
      visits: [
        { state: 'Wait for sessions to drain', start: START + 10_000, end: START + 30_000, ended: 'caught' },
        { state: 'Heartbeats stopped', start: START + 40_000 },
      ],
    });
  });
});
