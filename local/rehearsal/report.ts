import type { LedgerSummary } from '../workload/session-ledger.js';
import type { DrainExecution, StateVisit } from './executions.js';

/** Plain-text tables for the terminal: the demo's closing report. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  const line = (row: readonly string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(cells[0] ?? []), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function sessionsTable(summary: LedgerSummary, unexpectedDrops: number): string {
  const rows: Array<[string, number]> = [
    ['sessions started', summary.started],
    ['ended by the user', summary.endedByUser],
    ['still open at the end', summary.open],
    ['dropped', summary.dropped],
    ...Object.entries(summary.droppedByCause).map(([cause, count]): [string, number] => [`  dropped: ${cause}`, count]),
    ['dropped where they should not have been', unexpectedDrops],
    ['turned away (no task accepting)', summary.rejected],
  ];
  return table(['sessions', 'count'], rows);
}

export function drainsTable(executions: readonly DrainExecution[]): string {
  const byOutcome = new Map<string, DrainExecution[]>();
  for (const execution of executions) {
    const key = execution.outcome ?? execution.status;
    byOutcome.set(key, [...(byOutcome.get(key) ?? []), execution]);
  }
  const rows = [...byOutcome.entries()].map(([outcome, list]) => {
    const seconds = list.map((execution) => execution.secondsDrained).filter((value): value is number => typeof value === 'number');
    const reasons = [...new Set(list.map((execution) => execution.reason ?? '?'))].join(', ');
    return [outcome, list.length, reasons, stat(seconds, 0.5), stat(seconds, 1)];
  });
  return table(['drain outcome', 'drains', 'reasons', 'median (scenario s)', 'max (scenario s)'], rows);
}

/**
 * One execution state by state, as the console's graph inspector shows it: when each state was
 * entered and how long it lasted, in scenario seconds like the drains table above it (the
 * execution's real times divided by the scale; the orchestrator's own latencies are real time,
 * so they look longer here than they are).
 */
export function historyTable(execution: DrainExecution, visits: readonly StateVisit[], scale: number): string {
  const title = `execution ${execution.name} (${execution.reason ?? '?'} -> ${execution.outcome ?? execution.status})`;
  const seconds = (real: number) => `${(real / scale).toFixed(1)}`;
  const rows = visits.map((visit) => [
    `+${seconds(visit.offsetSeconds)}`,
    visit.state,
    visit.lastedSeconds === undefined ? '-' : seconds(visit.lastedSeconds),
    visit.result === 'failed' ? `failed: ${visit.detail ?? ''}` : visit.result === 'entered' ? 'still in it' : 'done',
  ]);
  return `${title}\n${table(['entered (scenario s)', 'state', 'lasted (scenario s)', 'result'], rows)}`;
}

function stat(values: readonly number[], quantile: number): string {
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1));
  return (sorted[index] ?? 0).toFixed(1);
}
