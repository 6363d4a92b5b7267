import { describe, expect, it } from 'vitest';
import { closest, fixedPart, lengthTable, type MeasuredDrain } from '../../../bench/length-table.js';

const drain = (drainSeconds: number, transitions: number, polls: number): MeasuredDrain => ({ drainSeconds, transitions, polls, source: 'test' });

describe('transitions against drain length', () => {
  it('finds the fixed part of the polling workflow: transitions less three per poll', () => {
    expect(fixedPart([drain(464, 39, 10), drain(3463, 252, 81)])).toBe(9);
    expect(fixedPart([drain(542, 10, 0), drain(28_000, 10, 0), drain(9000, 12, 0)])).toBe(10);
    expect(fixedPart([])).toBeUndefined();
  });

  it('pairs a length with the measured drain closest to it, within a factor of 1.5', () => {
    const drains = [drain(464, 39, 10), drain(3463, 252, 81)];

    expect(closest(drains, 600)).toEqual(drains[0]);
    expect(closest(drains, 3600)).toEqual(drains[1]);
    expect(closest(drains, 8 * 3600)).toBeUndefined();
  });

  it('computes 10 min, 1 h and 8 h: polling grows by 3 transitions per 30 s, the event-driven workflow stays flat', () => {
    const table = lengthTable([drain(464, 39, 10), drain(3463, 252, 81)], [drain(542, 10, 0), drain(27_000, 10, 0)], 30);

    expect(table.rows.map((row) => [row.label, row.polling.computed, row.ours.computed])).toEqual([
      ['10 min', 69, 10],
      ['1 h', 369, 10],
      ['8 h', 2889, 10],
    ]);
    expect(table.rows[2]?.ours.measured?.drainSeconds).toBe(27_000);
    expect(table.rows[2]?.polling.measured).toBeUndefined();
  });
});
