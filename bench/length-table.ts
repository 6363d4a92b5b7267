import { pollsFor } from './metrics.js';
import { STATES_PER_POLL } from './polling-asl.js';
import { definedOnly } from '../functions/shared/optional.js';

/**
 * Transitions per drain against drain length, for the polling and the event-driven workflow.
 * "Measured" is an execution history counted here; "computed" is the formula fitted to the
 * measurements: polling = F + 3 x ceil(d / 30 s) (Wait, GetItem, Choice per poll), event-driven
 * = F whatever d.
 */

export interface MeasuredDrain {
  /** Scenario seconds from the drain's first wait to its last session's close. */
  drainSeconds: number;
  transitions: number;
  polls: number;
  /** Where it was measured, for the reader. */
  source: string;
}

export interface LengthRow {
  label: string;
  seconds: number;
  polling: { measured?: MeasuredDrain; computed?: number };
  ours: { measured?: MeasuredDrain; computed?: number };
}

export interface LengthTable {
  pollSeconds: number;
  /** The fixed part F of each workflow (states entered outside the wait); undefined when nothing was measured. */
  pollingFixed?: number;
  oursFixed?: number;
  rows: LengthRow[];
}

export const DRAIN_LENGTHS: ReadonlyArray<{ label: string; seconds: number }> = [
  { label: '10 min', seconds: 600 },
  { label: '1 h', seconds: 3600 },
  { label: '8 h', seconds: 8 * 3600 },
];

/** The fixed part of a measured drain: transitions less STATES_PER_POLL per poll. Most common value wins. */
export function fixedPart(drains: readonly MeasuredDrain[]): number | undefined {
  const counts = new Map<number, number>();
  for (const drain of drains) {
    const fixed = drain.transitions - STATES_PER_POLL * drain.polls;
    counts.set(fixed, (counts.get(fixed) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
}

/** The measured drain closest in length to `seconds` (within a factor of 1.5), if any. */
export function closest(drains: readonly MeasuredDrain[], seconds: number): MeasuredDrain | undefined {
  const near = drains.filter((drain) => drain.drainSeconds >= seconds / 1.5 && drain.drainSeconds <= seconds * 1.5);
  return [...near].sort((a, b) => Math.abs(Math.log(a.drainSeconds / seconds)) - Math.abs(Math.log(b.drainSeconds / seconds)))[0];
}

export function lengthTable(polling: readonly MeasuredDrain[], ours: readonly MeasuredDrain[], pollSeconds: number): LengthTable {
  const pollingFixed = fixedPart(polling);
  const oursFixed = fixedPart(ours);
  const rows = DRAIN_LENGTHS.map(({ label, seconds }): LengthRow => {
    const pollingMeasured = closest(polling, seconds);
    const oursMeasured = closest(ours, seconds);
    return {
      label,
      seconds,
      polling: {
        ...(pollingMeasured ? { measured: pollingMeasured } : {}),
        ...(pollingFixed === undefined ? {} : { computed: pollingFixed + STATES_PER_POLL * pollsFor(seconds, pollSeconds) }),
      },
      ours: { ...(oursMeasured ? { measured: oursMeasured } : {}), ...definedOnly({ computed: oursFixed }) },
    };
  });
  return { pollSeconds, ...definedOnly({ pollingFixed }), ...definedOnly({ oursFixed }), rows };
}
