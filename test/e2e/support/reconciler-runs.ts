import { expect } from 'vitest';
import type { Rehearsal } from '@ecs-session-drain/local';

/**
 * The reconciler's runs, as the local cloud's schedule starts them. "Within two of its periods" is a
 * bound in runs: the system must be right by the end of the second run after the fault (the repair
 * may come sooner, from another function). On a loaded machine each run takes longer and the
 * schedule's ticks drift, so a bound in milliseconds fails for the machine's sake; counting the runs
 * keeps the check as strict as the guarantee, and it still fails when the repair waits for a third run.
 */
interface Run {
  startedAt: number;
  endedAt: number;
}

/** When a change happened: after `notSeenAt` (a read that did not see it began) and by `seenAt` (one that did ended). */
export interface ChangeWindow {
  notSeenAt: number;
  seenAt: number;
}

export class ReconcilerRuns {
  private readonly runs: Run[] = [];
  private readonly unsubscribe: () => void;

  constructor(rehearsal: Rehearsal) {
    // Records come when a run ends: a run is listed once it is over.
    this.unsubscribe = rehearsal.cloud.functions.onInvocation((record) => {
      if (record.logicalId === 'ReconcilerFunction') this.runs.push({ startedAt: record.startedAt, endedAt: Date.now() });
    });
  }

  /**
   * How many runs started after `since` and were over before the change could have happened (before
   * the last read that did not see it began). "Within two periods" holds while that is under two,
   * whoever made the change: the repair is owed by the end of the second run after the fault.
   */
  private runsOverBefore(since: number, change: ChangeWindow): number {
    return this.runs.filter((run) => run.startedAt > since && run.endedAt < change.notSeenAt).length;
  }

  /** Asserts the change came before two runs started after `since` were over; `label` opens the failure's message. */
  expectWithinTwoRuns(since: number, change: ChangeWindow, label: string): void {
    const over = this.runsOverBefore(since, change);
    expect(over, `${label}: ${over} reconciler runs were over before the change ${this.describe(since, change)}`).toBeLessThan(2);
  }

  /** The runs and the change, in ms from `since`: what a failed check prints. */
  private describe(since: number, change: ChangeWindow): string {
    const runs = this.runs.map((run) => `${run.startedAt - since}..${run.endedAt - since}`).join(', ');
    return `(${change.notSeenAt - since}..${change.seenAt - since} ms after the fault; runs ${runs})`;
  }

  close(): void {
    this.unsubscribe();
  }
}

/**
 * Reads `settled` every 50 ms until it holds (up to `timeoutMs`), and answers the window in which it
 * became true: after the start of the last read that saw it false (or `since`, when none did), by the
 * end of the first read that saw it.
 */
export async function settledWindow(rehearsal: Rehearsal, what: string, since: number, settled: () => Promise<boolean>, timeoutMs = 60_000): Promise<ChangeWindow> {
  let notSeenAt = since;
  return rehearsal.waitFor(
    what,
    async () => {
      const readStartedAt = Date.now();
      if (await settled()) return { notSeenAt, seenAt: Date.now() };
      notSeenAt = readStartedAt;
      return undefined;
    },
    timeoutMs,
    50,
  );
}
