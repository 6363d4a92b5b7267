import type { StrategyResult } from './results.js';

/**
 * The comparison's metrics, each with how to read it from a strategy's result and how to print
 * it. Strategies without a drain workflow cost nothing in Step Functions, Lambda or DynamoDB:
 * those metrics are 0 for them, not missing. Latency is only defined where something waits
 * for the last session.
 */
export interface Metric {
  key: string;
  label: string;
  value: (result: StrategyResult) => number | undefined;
  format: (value: number) => string;
}

const fixed = (digits: number) => (value: number) => value.toFixed(digits);
const workflow = (result: StrategyResult) => result.strategy.waits !== 'none';

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 2 * 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

export const METRICS: readonly Metric[] = [
  { key: 'dropped', label: 'dropped sessions', value: (r) => r.outcome.dropped, format: fixed(0) },
  { key: 'droppedShare', label: 'dropped, % of sessions on replaced tasks', value: (r) => r.outcome.droppedShare * 100, format: (v) => `${v.toFixed(1)}%` },
  // Undefined (n/a) only when rendering a latest.json from before the metric existed.
  { key: 'refused', label: 'sessions refused', value: (r) => r.outcome.refused, format: fixed(0) },
  { key: 'latencyP50', label: 'last session closed -> StopTask, p50 (s)', value: (r) => r.latency?.p50, format: fixed(1) },
  { key: 'latencyP99', label: 'last session closed -> StopTask, p99 (s)', value: (r) => r.latency?.p99, format: fixed(1) },
  { key: 'transitions', label: 'Step Functions state transitions per drain', value: (r) => (workflow(r) ? r.transitions?.awsMean : 0), format: fixed(1) },
  { key: 'cost', label: 'Step Functions cost per 1,000 drains (USD)', value: (r) => (workflow(r) ? (r.costPerDrainUsd === undefined ? undefined : r.costPerDrainUsd * 1000) : 0), format: fixed(3) },
  { key: 'lambda', label: 'Lambda invocations per drain', value: (r) => (workflow(r) ? r.lambdaPerDrain : 0), format: fixed(2) },
  { key: 'ddb', label: 'DynamoDB writes per session', value: (r) => r.ddb.writesPerSession, format: fixed(2) },
  { key: 'surge', label: 'extra task-hours (surge capacity)', value: (r) => r.surgeTaskHours, format: fixed(1) },
  { key: 'deployment', label: 'deployment duration', value: (r) => r.deploymentSeconds, format: formatDuration },
];

/** ours / other, as "0.25x"; "—" when the other is 0 (no ratio), "n/a" when either is missing. */
export function ratio(ours: number | undefined, other: number | undefined): string {
  if (ours === undefined || other === undefined) return 'n/a';
  if (other === 0) return '—';
  return `${(ours / other).toFixed(2)}x`;
}

/** One line per metric: "dropped sessions: ours 0 vs native 199 (0.00x), vs polling 0 (—)". */
export function ratioLines(results: readonly StrategyResult[], metrics: readonly Metric[] = METRICS): string[] {
  const ours = results.find((result) => result.strategy.waits === 'event');
  if (ours === undefined) return [];
  const others = results.filter((result) => result !== ours);
  return metrics.map((metric) => {
    const mine = metric.value(ours);
    const show = (value: number | undefined) => (value === undefined ? 'n/a' : metric.format(value));
    const parts = others.map((other) => {
      const theirs = metric.value(other);
      return `vs ${other.strategy.short} ${show(theirs)} (${ratio(mine, theirs)})`;
    });
    return `${metric.label}: ${ours.strategy.short} ${show(mine)} ${parts.join(', ')}`;
  });
}
