import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { arrivalsPerMinuteFor, SeededRandom, sessionDuration } from '../../random.js';
import { SessionLedger } from '../../workload/session-ledger.js';
import { scaledParameters } from '../../rehearsal/parameters.js';
import { stateByState } from '../../rehearsal/executions.js';
import { loadTemplate } from '../../cloud/stack/template.js';

describe('seeded randomness', () => {
  it('replays the same arrivals and durations for the same seed, and others for another', () => {
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => [random.exponential(10), sessionDuration(random, { medianSeconds: 600, sigma: 1 })]);
    };

    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('sizes arrivals by the mean session length, so that about the asked number stay open', () => {
    expect(arrivalsPerMinuteFor(100, { medianSeconds: 600, sigma: 0 })).toBe(10);
    expect(arrivalsPerMinuteFor(100, { medianSeconds: 600, sigma: 1 })).toBeCloseTo(10 / Math.exp(0.5), 10);
  });

  it('gives log-normal durations around the median, cut to the maximum', () => {
    const random = new SeededRandom(1);
    const durations = Array.from({ length: 2001 }, () => sessionDuration(random, { medianSeconds: 600, sigma: 1, maxSeconds: 3600 })).sort((a, b) => a - b);

    expect(durations[1000]).toBeGreaterThan(500);
    expect(durations[1000]).toBeLessThan(720);
    expect(durations.at(-1)).toBe(3600);
    expect(durations[0]).toBeGreaterThanOrEqual(1);
  });
});

describe('the session ledger', () => {
  it('counts each session once by how it ended, and drops by the cause of their task\'s stop', () => {
    const ledger = new SessionLedger();
    for (const id of ['a', 'b', 'c', 'd']) ledger.opened({ id, taskArn: 't1', openedAt: 0, plannedSeconds: 60 });
    ledger.rejected({ id: 'e', openedAt: 0, plannedSeconds: 60 });

    ledger.ended('a', 'user');
    ledger.ended('a', 'dropped', { dropCause: 'SIGKILL' });
    ledger.ended('b', 'dropped', { dropCause: 'SIGKILL', stopReason: 'SpotInterruption' });
    ledger.ended('c', 'dropped', { dropCause: 'CRASH' });

    expect(ledger.summary()).toEqual({
      started: 4,
      open: 1,
      endedByUser: 1,
      dropped: 2,
      rejected: 1,
      droppedByCause: { SpotInterruption: 1, CRASH: 1 },
    });
    expect(ledger.dropped((record) => record.stopReason !== 'SpotInterruption').map((record) => record.id)).toEqual(['c']);
  });
});

describe('scaled template parameters', () => {
  it('scales every time parameter and keeps it within the template\'s bounds', () => {
    const parameters = scaledParameters(loadTemplate(), 0.01);

    expect(parameters).toEqual({
      DefaultDrainSeconds: '60',
      MaxDrainSeconds: '288',
      HeartbeatTimeoutSeconds: '10',
      ProtectionRenewBeforeSeconds: '216',
      FargateSpotWarningSeconds: '1',
      TargetHealthRecheckSeconds: '0.1',
    });
    // The Spot deadline never falls after the twin's kill (120 s x 0.03 = 3.6 s, not 4).
    expect(scaledParameters(loadTemplate(), 0.03).FargateSpotWarningSeconds).toBe('3');
    expect(scaledParameters(loadTemplate(), 1)).toMatchObject({ DefaultDrainSeconds: '3600', MaxDrainSeconds: '28800' });
  });
});

describe('an execution\'s state-by-state history', () => {
  it('lists states in order with their offsets and marks the one that failed', () => {
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
    const history: HistoryEvent[] = [
      { timestamp: at(0), type: 'ExecutionStarted', id: 1 },
      { timestamp: at(0), type: 'TaskStateEntered', id: 2, stateEnteredEventDetails: { name: 'Record drain' } },
      { timestamp: at(1), type: 'TaskStateExited', id: 3, stateExitedEventDetails: { name: 'Record drain' } },
      { timestamp: at(1), type: 'TaskStateEntered', id: 4, stateEnteredEventDetails: { name: 'Wait for sessions to drain' } },
      { timestamp: at(9), type: 'TaskTimedOut', id: 5, taskTimedOutEventDetails: { error: 'States.Timeout', resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } },
    ];

    const visits = stateByState(history);

    expect(visits.map((visit) => [visit.state, visit.offsetSeconds, visit.result, visit.detail])).toEqual([
      ['Record drain', 0, 'exited', undefined],
      ['Wait for sessions to drain', 1, 'failed', 'States.Timeout'],
    ]);
  });
});

describe('duplicated, reordered event delivery', () => {
  it('delivers every event the given number of times, in an order the seed decides', async () => {
    const delivered: string[] = [];
    const { duplicatingPublisher } = await import('../../rehearsal/delivery-faults.js');
    const publisher = duplicatingPublisher(async (event: string) => void delivered.push(event), { copies: 3, maxDelayMs: 20, seed: 3 }, () => undefined);

    for (const event of ['first', 'second', 'third']) publisher.deliver(event);
    await new Promise((resolve) => setTimeout(resolve, 60));

    expect([...delivered].sort()).toEqual(['first', 'first', 'first', 'second', 'second', 'second', 'third', 'third', 'third']);
    expect(delivered).not.toEqual([...delivered].sort((a, b) => ['first', 'second', 'third'].indexOf(a) - ['first', 'second', 'third'].indexOf(b)));
  });
});
