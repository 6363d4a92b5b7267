import type { BenchConfig } from './config.js';
import { type LengthProbe, runLengthProbe } from './lengths.js';
import { lengthTable, type MeasuredDrain } from './length-table.js';
import { drainTransitions } from './metrics.js';
import type { CalibrationNote, RunTiming } from './report.js';
import { laneResult, type StrategyResult } from './results.js';
import { type RunObservation, runLanes } from './run-lanes.js';
import { STRATEGIES, type Strategy } from './strategies.js';

/**
 * The default `npm run bench`: the five strategies on the same seeded scenario (the three
 * ECS-only ones side by side in one local cloud, each drain workflow in its own), then the
 * drain-length runs of the two workflows.
 */

export interface Comparison {
  results: StrategyResult[];
  lengths?: ReturnType<typeof lengthTable>;
  calibration?: CalibrationNote;
  timings: RunTiming[];
}

const PROBE_LENGTHS = [600, 3600];

function timing(label: string, run: RunObservation): RunTiming {
  return { label, wallMs: run.wallMs, windowMs: run.windowMs, cpu: run.cpu };
}

function probeDrains(probe: LengthProbe | undefined): MeasuredDrain[] {
  return (probe?.drains ?? [])
    .filter((drain) => drain.outcome === 'DRAINED' && drain.waitedSeconds !== undefined)
    .map((drain) => ({ drainSeconds: drain.waitedSeconds as number, transitions: drain.transitions, polls: drain.polls, source: 'drain-length run' }));
}

export async function runComparison(config: BenchConfig, options: { lengths: boolean; log: (line: string) => void }): Promise<Comparison> {
  const { log } = options;
  const groups: Strategy[][] = [STRATEGIES.filter((strategy) => strategy.waits === 'none'), ...STRATEGIES.filter((strategy) => strategy.waits !== 'none').map((strategy) => [strategy])];
  const results: StrategyResult[] = [];
  const timings: RunTiming[] = [];
  let oursRun: RunObservation | undefined;
  for (const group of groups) {
    const label = group.map((strategy) => strategy.short).join(' + ');
    log(`== ${label}`);
    const run = await runLanes({ config, strategies: group, log: (line) => log(`[${label}] ${line}`) });
    timings.push(timing(label, run));
    for (const lane of run.lanes) results.push(laneResult(lane, run, config));
    if (group.some((strategy) => strategy.waits === 'event')) oursRun = run;
  }
  results.sort((a, b) => STRATEGIES.indexOf(a.strategy) - STRATEGIES.indexOf(b.strategy));
  if (!options.lengths) return { results, timings };

  const probes: Partial<Record<'polling' | 'event', LengthProbe>> = {};
  for (const strategy of STRATEGIES.filter((candidate) => candidate.waits !== 'none')) {
    log(`== drain lengths: ${strategy.short}`);
    const probe = await runLengthProbe(strategy, PROBE_LENGTHS, config.pollSeconds, (line) => log(`[lengths] ${line}`));
    probes[strategy.waits as 'polling' | 'event'] = probe;
    timings.push({ label: `drain lengths: ${strategy.short}`, wallMs: probe.wallMs });
  }
  const oursLane = oursRun?.lanes[0];
  const mainOurs: MeasuredDrain[] = oursLane
    ? drainTransitions(oursLane, oursRun?.scale ?? config.scale, config.pollSeconds)
        .filter((drain) => drain.outcome === 'DRAINED' && drain.waitedSeconds !== undefined)
        .map((drain) => ({ drainSeconds: drain.waitedSeconds as number, transitions: drain.measured, polls: 0, source: 'comparison run' }))
    : [];
  const lengths = lengthTable(probeDrains(probes.polling), [...probeDrains(probes.event), ...mainOurs], config.pollSeconds);
  const pollingPolls = (probes.polling?.drains ?? []).reduce((total, drain) => total + drain.polls, 0);
  const calibration: CalibrationNote = {
    ...(probes.polling && probes.event && pollingPolls > 0
      ? { motoCpuMsPerPoll: ((probes.polling.motoCpuSeconds - probes.event.motoCpuSeconds) / pollingPolls) * 1000 }
      : {}),
    pollingLatencySeconds: (probes.polling?.drains ?? []).flatMap((drain) => (drain.latencySeconds === undefined ? [] : [drain.latencySeconds])),
    oursLatencySeconds: (probes.event?.drains ?? []).flatMap((drain) => (drain.latencySeconds === undefined ? [] : [drain.latencySeconds])),
  };
  return { results, lengths, calibration, timings };
}
