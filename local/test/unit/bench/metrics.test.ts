import { describe, expect, it } from 'vitest';
import {
  deploymentSeconds,
  drainTransitions,
  laneSessions,
  percentile,
  pollsFor,
  readyAt,
  sessionOutcome,
  stopLatencies,
  stopLatencySeconds,
  surgeTaskSeconds,
  transitionCostUsd,
} from '../../../../bench/metrics.js';
import type { LaneObservation } from '../../../../bench/run-lanes.js';
import type { ExecutionObservation } from '../../../../bench/workflow.js';
import { strategy } from '../../../../bench/strategies.js';
import type { TwinTask } from '../../../twin/index.js';
import type { SessionRecord } from '../../../workload/session-ledger.js';

const OLD = 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:1';
const NEW = 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:2';
const T0 = 1_000_000;

function task(id: string, definition: string, createdAt: number, stoppedAt?: number, stoppingAt?: number): TwinTask {
  return {
    taskArn: `arn:aws:ecs:us-east-1:111122223333:task/sessions/${id}`,
    taskId: id,
    clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions',
    taskDefinitionArn: definition,
    group: 'service:chat',
    lastStatus: stoppedAt === undefined ? 'RUNNING' : 'STOPPED',
    desiredStatus: stoppedAt === undefined ? 'RUNNING' : 'STOPPED',
    launchType: 'FARGATE',
    protection: { enabled: false },
    version: 1,
    createdAt: new Date(createdAt),
    updatedAt: new Date(createdAt),
    availabilityZone: 'us-east-1a',
    ...(stoppedAt === undefined ? {} : { stoppedAt: new Date(stoppedAt) }),
    ...(stoppingAt === undefined ? {} : { stoppingAt: new Date(stoppingAt) }),
  };
}

function session(id: string, taskId: string | undefined, end: SessionRecord['end'], endedAt?: number): SessionRecord {
  return {
    id,
    ...(taskId === undefined ? {} : { taskArn: `arn:aws:ecs:us-east-1:111122223333:task/sessions/${taskId}` }),
    openedAt: T0 - 60_000,
    plannedSeconds: 60,
    ...(end === undefined ? {} : { end }),
    ...(endedAt === undefined ? {} : { endedAt }),
  };
}

function execution(taskId: string, states: Array<[string, number]>, outcome = 'DRAINED'): ExecutionObservation {
  return { name: `drain-${taskId}-1`, status: 'SUCCEEDED', taskArn: `arn:aws:ecs:us-east-1:111122223333:task/sessions/${taskId}`, outcome, states: states.map(([name, at]) => ({ name, type: 'StateEntered', at })) };
}

function lane(overrides: Partial<LaneObservation>): LaneObservation {
  return { strategy: strategy('ours'), clusterArn: 'c', desiredCount: 1, oldTaskDefinition: OLD, deployStartedAt: T0, tasks: [], sessions: [], executions: [], ...overrides };
}

describe('percentile', () => {
  it('takes the nearest rank, so p50 of an even count is the lower middle and p99 of few values is the largest', () => {
    const values = [5, 1, 4, 2, 3, 6];

    expect(percentile(values, 0.5)).toBe(3);
    expect(percentile(values, 0.99)).toBe(6);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([], 0.5)).toBeUndefined();
  });
});

describe('session outcome', () => {
  it('counts drops against the sessions that ran on replaced tasks, leaving turned-away arrivals out', () => {
    const observed = lane({
      tasks: [task('old', OLD, T0 - 1000), task('new', NEW, T0 + 1000)],
      sessions: [session('a', 'old', 'dropped'), session('b', 'old', 'user'), session('c', 'old', 'user'), session('d', 'new', undefined), session('e', undefined, 'rejected')],
    });

    expect(sessionOutcome(observed)).toEqual({ sessions: 4, atRisk: 3, dropped: 1, droppedShare: 1 / 3, refused: 1 });
  });

  it('counts every refusal of the run, whenever it came and whether or not a task was tried, and none as a started session', () => {
    const refusal = (id: string, openedAt: number, taskId?: string): SessionRecord => ({ ...session(id, taskId, 'rejected', openedAt), openedAt });
    const observed = lane({
      tasks: [task('old', OLD, T0 - 1000), task('new', NEW, T0 + 1000)],
      sessions: [
        session('a', 'old', 'user'),
        refusal('burst', T0 - 900_000),
        refusal('during', T0 + 5000),
        refusal('tried-old', T0 + 6000, 'old'),
        refusal('after', T0 + 9_000_000),
      ],
    });

    expect(sessionOutcome(observed)).toMatchObject({ sessions: 1, atRisk: 1, dropped: 0, refused: 4 });
    expect(sessionOutcome(lane({}))).toMatchObject({ sessions: 0, refused: 0, droppedShare: 0 });
  });

  it('counts refusals per strategy: each lane keeps the sessions its own workload opened or had refused', () => {
    const records = [
      session('native-000001', 'n1', 'dropped'),
      session('native-000002', undefined, 'rejected'),
      session('dereg-300-000001', undefined, 'rejected'),
      session('dereg-300-000002', undefined, 'rejected'),
      session('dereg-3600-000001', undefined, 'rejected'),
      session('dereg-3600-000002', undefined, 'rejected'),
      session('dereg-3600-000003', undefined, 'rejected'),
      session('ours-000001', 'o1', 'user'),
    ];
    const refused = (id: string) => sessionOutcome(lane({ sessions: laneSessions(records, id) })).refused;

    expect(laneSessions(records, 'dereg-300').map((record) => record.id)).toEqual(['dereg-300-000001', 'dereg-300-000002']);
    expect(['native', 'dereg-300', 'dereg-3600', 'polling', 'ours'].map(refused)).toEqual([1, 2, 3, 0, 0]);
  });
});

describe('surge task-seconds', () => {
  it('integrates the tasks above the desired count over the window, in scenario seconds', () => {
    // desired 1; a second task lives 2 real s inside the window; scale 0.01 -> 200 scenario seconds.
    const tasks = [task('a', OLD, T0 - 5000, T0 + 3000), task('b', NEW, T0 + 1000)];

    expect(surgeTaskSeconds(tasks, 1, T0, T0 + 10_000, 0.01)).toBeCloseTo(200);
  });

  it('counts nothing while the service runs at or below its desired count', () => {
    expect(surgeTaskSeconds([task('a', OLD, T0 - 5000, T0 + 3000), task('b', NEW, T0 + 3000)], 1, T0, T0 + 10_000, 0.01)).toBe(0);
  });
});

describe('deployment duration', () => {
  it('is the real time from the deploy call to COMPLETED, scaled up to scenario seconds', () => {
    expect(deploymentSeconds({ deployStartedAt: T0, deploymentCompletedAt: T0 + 1200 }, 0.004)).toBeCloseTo(300);
    expect(deploymentSeconds({ deployStartedAt: T0 }, 0.004)).toBeUndefined();
  });
});

describe('last session closed -> StopTask', () => {
  it('is ready at the later of the last close and the deployment, and undefined when a session was dropped or is open', () => {
    expect(readyAt([session('a', 'x', 'user', T0 + 500), session('b', 'x', 'user', T0 + 900)], T0)).toBe(T0 + 900);
    expect(readyAt([session('a', 'x', 'user', T0 - 500)], T0)).toBe(T0);
    expect(readyAt([session('a', 'x', 'dropped', T0 + 500)], T0)).toBeUndefined();
    expect(readyAt([session('a', 'x', undefined)], T0)).toBeUndefined();
  });

  it('takes the event-driven path as measured, in real seconds', () => {
    expect(stopLatencySeconds('event', T0, T0 + 1500, undefined, 30)).toBe(1.5);
    expect(stopLatencySeconds('event', T0, T0 - 1, undefined, 30)).toBeUndefined();
  });

  it('maps the polling wait onto a 30 s poll by the share of the loop period left after the last close', () => {
    // Wait entered at +0, check at +1000 (a 1 s loop); the session closed at +250, the stop came 200 ms after the check.
    const polled = execution('x', [['Wait before checking', T0], ['Check sessions', T0 + 1000], ['Drained yet?', T0 + 1010]]);

    expect(stopLatencySeconds('polling', T0 + 250, T0 + 1200, polled, 30)).toBeCloseTo(0.75 * 30 + 0.2);
  });

  it('charges a full poll when the task was already empty as its first wait began', () => {
    const polled = execution('x', [['Wait before checking', T0 + 2000], ['Check sessions', T0 + 3000]]);

    expect(stopLatencySeconds('polling', T0, T0 + 3500, polled, 30)).toBeCloseTo(2 + 30 + 0.5);
  });

  it('summarises drained tasks only: a replaced task that dropped a session has no latency', () => {
    const observed = lane({
      tasks: [task('a', OLD, T0 - 9000, T0 + 5000, T0 + 3000), task('b', OLD, T0 - 9000, T0 + 5000, T0 + 4000)],
      sessions: [session('1', 'a', 'user', T0 + 2000), session('2', 'b', 'dropped', T0 + 4000)],
    });

    expect(stopLatencies(observed, 30)).toEqual({ samples: 1, p50: 1, p99: 1 });
    expect(stopLatencies(lane({ strategy: strategy('native') }), 30)).toBeUndefined();
  });
});

describe('transitions per drain', () => {
  it('needs one 30 s poll per started 30 s of drain, and at least one', () => {
    expect(pollsFor(0, 30)).toBe(1);
    expect(pollsFor(30, 30)).toBe(1);
    expect(pollsFor(31, 30)).toBe(2);
    expect(pollsFor(3600, 30)).toBe(120);
  });

  it('converts a polling drain measured with a coarse poll to the 30 s poll AWS would run', () => {
    // 9 states outside the loop, 2 polls of 3 states here; the last session closed 150 scenario seconds after the first wait.
    const loop: Array<[string, number]> = [
      ['Wait before checking', T0],
      ['Check sessions', T0 + 1000],
      ['Drained yet?', T0 + 1001],
      ['Wait before checking', T0 + 1002],
      ['Check sessions', T0 + 2000],
      ['Drained yet?', T0 + 2001],
    ];
    const states: Array<[string, number]> = [...Array.from({ length: 9 }, (_, index): [string, number] => [`fixed ${index}`, T0 - 100 + index]), ...loop];
    const observed = lane({
      strategy: strategy('polling'),
      tasks: [task('x', OLD, T0 - 9000)],
      sessions: [session('1', 'x', 'user', T0 + 1500)],
      executions: [execution('x', states)],
    });

    const [drain] = drainTransitions(observed, 0.01, 30);

    expect(drain).toMatchObject({ measured: 15, polls: 2, waitedSeconds: 150, aws: 9 + 3 * 5 });
  });

  it('takes the event-driven drain as measured, whatever its length', () => {
    const observed = lane({ sessions: [session('1', 'x', 'user', T0 + 50_000)], executions: [execution('x', [['Record drain', T0], ['Wait for sessions to drain', T0 + 10], ['Drained', T0 + 50_100]])] });

    expect(drainTransitions(observed, 0.01, 30)).toEqual([expect.objectContaining({ measured: 3, polls: 0, aws: 3 })]);
  });

  it('prices transitions at $0.025 per 1,000', () => {
    expect(transitionCostUsd(1000)).toBeCloseTo(0.025);
    expect(transitionCostUsd(10)).toBeCloseTo(0.00025);
  });
});
