import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { stateByState } from '../../../rehearsal/executions.js';
import { drainsTable, historyTable } from '../../../rehearsal/report.js';

const START = Date.parse('2026-12-07T10:00:00Z');
const at = (realSeconds: number) => new Date(START + realSeconds * 1000);

/** A drain's history as Step Functions records it: states entered and exited, real times. */
const HISTORY: HistoryEvent[] = [
  { id: 1, type: 'ExecutionStarted', timestamp: at(0) },
  { id: 2, type: 'TaskStateEntered', timestamp: at(0), stateEnteredEventDetails: { name: 'Record drain' } },
  { id: 3, type: 'TaskStateExited', timestamp: at(0.3), stateExitedEventDetails: { name: 'Record drain' } },
  { id: 4, type: 'TaskStateEntered', timestamp: at(0.3), stateEnteredEventDetails: { name: 'Wait for sessions to drain' } },
  { id: 5, type: 'TaskStateExited', timestamp: at(12.3), stateExitedEventDetails: { name: 'Wait for sessions to drain' } },
  { id: 6, type: 'TaskStateEntered', timestamp: at(12.3), stateEnteredEventDetails: { name: 'Stop the drained task' } },
];

describe("the demo's report", () => {
  it('shows when each state was entered and how long it lasted, in scenario seconds like the drains table', () => {
    // prepare
    const visits = stateByState(HISTORY);

    // act
    const text = historyTable({ name: 'drain-abc-1', reason: 'DEPLOYMENT', outcome: 'DRAINED' } as never, visits, 0.03);

    // assert
    expect(text.split('\n').map((line) => line.trimEnd())).toEqual([
      'execution drain-abc-1 (DEPLOYMENT -> DRAINED)',
      'entered (scenario s)  state                       lasted (scenario s)  result',
      '--------------------  --------------------------  -------------------  -----------',
      '+0.0                  Record drain                10.0                 done',
      '+10.0                 Wait for sessions to drain  400.0                done',
      '+410.0                Stop the drained task       -                    still in it',
    ]);
  });

  it('names the unit of the drains table', () => {
    expect(drainsTable([]).split('\n')[0]).toBe('drain outcome  drains  reasons  median (scenario s)  max (scenario s)');
  });
});
