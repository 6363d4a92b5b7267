import type { BenchConfig } from './config.js';
import type { LengthTable } from './length-table.js';
import type { MachineInfo } from './machine.js';
import { transitionCostUsd } from './metrics.js';
import { formatDuration, METRICS, ratioLines } from './ratios.js';
import type { StrategyResult } from './results.js';

/** bench/results/latest.md: everything one `npm run bench` measured, with the machine and the seed. */

export interface RunTiming {
  label: string;
  wallMs: number;
  /** Real ms from the deploy call to the end of the last drain. */
  windowMs?: number;
  cpu?: { moto: number; nodeMain: number; nodeOther: number };
}

export interface CalibrationNote {
  /** moto CPU per poll, ms: (polling run's moto CPU − event-driven run's) / polls. */
  motoCpuMsPerPoll?: number;
  pollingLatencySeconds: number[];
  oursLatencySeconds: number[];
}

export interface BenchReport {
  date: string;
  machine: MachineInfo;
  loadAtEnd: number;
  config: BenchConfig;
  pollRealSeconds: number;
  results: StrategyResult[];
  lengths?: LengthTable;
  calibration?: CalibrationNote;
  timings: RunTiming[];
  chartFile: string;
  scaleReportFile?: string;
}

export function markdownTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  return [`| ${headers.map(escape).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`)].join('\n');
}

function cell(value: number | undefined, format: (value: number) => string): string {
  return value === undefined ? 'n/a' : format(value);
}

export function comparisonTable(results: readonly StrategyResult[]): string {
  const rows = METRICS.map((metric) => [metric.label, ...results.map((result) => cell(metric.value(result), metric.format))]);
  return markdownTable(['metric', ...results.map((result) => result.strategy.label)], rows);
}

function lengthSection(table: LengthTable): string {
  const measured = (drain: LengthTable['rows'][number]['polling']['measured']) =>
    drain === undefined ? '—' : `${drain.transitions} (${formatDuration(drain.drainSeconds)} drain${drain.polls > 0 ? `, ${drain.polls} polls` : ''}; ${drain.source})`;
  const computed = (value: number | undefined) => (value === undefined ? '—' : `${value} ($${(transitionCostUsd(value) * 1000).toFixed(2)} per 1,000 drains)`);
  const rows = table.rows.map((row) => [row.label, measured(row.polling.measured), computed(row.polling.computed), measured(row.ours.measured), computed(row.ours.computed)]);
  return [
    markdownTable(['drain length', 'polling: measured', 'polling: computed', 'ours: measured', 'ours: computed'], rows),
    '',
    `Computed: polling = ${table.pollingFixed ?? 'F'} + 3 × ⌈drain / ${table.pollSeconds} s⌉ (each poll enters Wait, GetItem and Choice once; ` +
      `${table.pollingFixed ?? 'F'} states outside the loop); event-driven = ${table.oursFixed ?? 'F'} whatever the length. ` +
      'Measured: states entered in the execution history of a drain of about that length here. A measured polling drain makes fewer polls than ' +
      'the formula for its length, because moto spends time on every poll on top of the Wait (see "Where the time goes").',
  ].join('\n');
}

function timingSection(report: BenchReport): string {
  const rows = report.timings.map((timing) => [
    timing.label,
    `${(timing.wallMs / 1000).toFixed(0)} s`,
    timing.windowMs === undefined ? '—' : `${(timing.windowMs / 1000).toFixed(0)} s`,
    timing.cpu ? timing.cpu.moto.toFixed(1) : '—',
    timing.cpu ? timing.cpu.nodeMain.toFixed(1) : '—',
    timing.cpu ? timing.cpu.nodeOther.toFixed(1) : '—',
  ]);
  return markdownTable(['run', 'wall time', 'deployment window', 'moto CPU s', 'Node main thread CPU s', 'Node workers CPU s'], rows);
}

function detailsSection(results: readonly StrategyResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const undrained = result.droppedWithoutDrain
      ? ` (${result.droppedWithoutDrain} of them on tasks ECS stopped before any drain began; see "Sessions cut before a drain began" below)`
      : '';
    const parts = [
      `sessions ${result.outcome.sessions}, on replaced tasks ${result.outcome.atRisk}, dropped ${result.outcome.dropped}${undrained}` +
        (result.outcome.refused === undefined ? '' : `, refused ${result.outcome.refused} of ${result.outcome.sessions + result.outcome.refused} arrivals`),
      result.drains > 0 ? `drains ${result.drains} (${Object.entries(result.outcomes).map(([outcome, count]) => `${outcome} ${count}`).join(', ')})` : 'no drain workflow',
    ];
    if (result.latency) parts.push(`latency samples ${result.latency.samples}`);
    if (result.transitions) {
      parts.push(
        `transitions per drain: measured here ${result.transitions.measuredMean.toFixed(1)}` +
          (result.transitions.pollsMean > 0 ? ` with ${result.transitions.pollsMean.toFixed(1)} polls, ${result.transitions.awsMean.toFixed(1)} with a 30 s poll (max ${result.transitions.awsMax})` : ''),
      );
    }
    if (Object.keys(result.lambda).length > 0) parts.push(`Lambda: ${Object.entries(result.lambda).map(([name, count]) => `${name.replace(/Function$/, '')} ${count}`).join(', ')}`);
    if (result.ddb.taskOpens > 0) {
      parts.push(
        `DynamoDB: ${result.ddb.taskOpens} opens, ${result.ddb.taskCloses} closes, ${result.ddb.orchestratorWrites} orchestrator writes` +
          (result.ddb.orchestratorWritesPerDrain === undefined ? '' : ` (${result.ddb.orchestratorWritesPerDrain.toFixed(1)} per drain), ${result.ddb.getItemsPerDrain?.toFixed(1)} GetItem per drain`),
      );
    }
    const failed = Object.entries(result.run.failures).map(
      ([name, failure]) => `${name.replace(/Function$/, '')} ${[failure.timeouts ? `${failure.timeouts} timed out` : '', failure.errors - failure.timeouts > 0 ? `${failure.errors - failure.timeouts} failed` : '', failure.asyncFailures ? `${failure.asyncFailures} events given up` : ''].filter(Boolean).join(', ')}`,
    );
    if (failed.length > 0) parts.push(`handler failures (retried): ${failed.join('; ')}`);
    if (result.run.problems.length > 0) parts.push(`problems: ${result.run.problems.slice(0, 3).join('; ')}`);
    lines.push(`- **${result.strategy.label}** (${result.strategy.description}) ${parts.join('; ')}.`);
  }
  return lines.join('\n');
}

/** The task start-up sentence of the scenario; empty for a latest.json written before the bench set startupSeconds. */
function startupNote(config: BenchConfig): string {
  if (config.startupSeconds === undefined) return '';
  return (
    `A new task takes ${config.startupSeconds} s from launch to RUNNING and must then pass the load balancer's health check before it takes a session; ` +
    'users keep arriving throughout the deployment, and one who arrives while no task takes sessions is refused. '
  );
}

export function renderReport(report: BenchReport): string {
  const { config, machine } = report;
  const pollsNote =
    `In the comparison run the polling workflow waits ${report.pollRealSeconds} real s per poll (${formatDuration(report.pollRealSeconds / config.scale)} of scenario time): ` +
    `Step Functions takes whole seconds only, and moto could not run 20 polling executions every scaled 30 s. Its latency and transitions are converted to a ${config.pollSeconds} s poll ` +
    '(the share of the last poll period after the last close, mapped onto 30 s; the number of 30 s polls the drain needs); its surge and deployment duration are as measured, ' +
    `so they include up to one ${formatDuration(report.pollRealSeconds / config.scale)} poll period per task that a 30 s poll would not.`;
  const calibration = report.calibration;
  return [
    '# Benchmark: draining strategies side by side',
    '',
    `Generated by \`npm run bench\` on ${report.date}. Seed ${config.seed}; 1 scenario second = ${(config.scale * 1000).toFixed(1)} ms of real time.`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}; moto ${machine.moto}. ` +
      `Load average (1 min) ${machine.loadAtStart} at the start, ${report.loadAtEnd} at the end: other work on the machine slows moto, and with it the orchestrator's real-time path.`,
    '',
    `![sessions dropped and refused, Step Functions cost and surge per strategy](${report.chartFile})`,
    '',
    '## The scenario',
    '',
    `A Fargate service of ${config.tasks} tasks with about ${config.tasks * config.sessionsPerTask} open sessions: Poisson arrivals, log-normal durations ` +
      `(median ${config.durations.medianSeconds / 60} min, sigma ${config.durations.sigma}, cut at ${(config.durations.maxSeconds ?? 0) / 3600} h: one session in ten lasts over 2.4 h). ` +
      `After ${config.warmupSeconds / 60} min a rolling deployment (minimumHealthyPercent 100, maximumPercent 200, stopTimeout ${config.stopTimeoutSeconds} s) replaces every task. ` +
      startupNote(config) +
      `Each strategy runs the same seeded workload in the local cloud (moto, the ECS twin, the real handlers and state machine) until its deployment completes. ` +
      `The drain workflows' deadline is ${config.drainDeadlineSeconds / 3600} h (DefaultDrainSeconds = MaxDrainSeconds), so no session is cut by a deadline; with the template's default of 1 h, sessions with more than an hour left would be cut, as with a 3600 s deregistration delay.`,
    '',
    '## Results',
    '',
    comparisonTable(report.results),
    '',
    'Ours against each alternative (ratio = ours / theirs; — where theirs is 0):',
    '',
    '```',
    ...ratioLines(report.results),
    '```',
    '',
    '### Drain length: what waiting costs',
    '',
    report.lengths ? lengthSection(report.lengths) : 'Not measured in this run (`--skip-lengths`).',
    '',
    '### Details',
    '',
    detailsSection(report.results),
    '',
    '## Where the time goes',
    '',
    timingSection(report),
    '',
    calibration?.motoCpuMsPerPoll === undefined
      ? ''
      : `moto spends about ${calibration.motoCpuMsPerPoll.toFixed(0)} ms of CPU per poll (Wait, GetItem, Choice in its Python interpreter): the polling run's moto CPU less the event-driven run's, per poll, in the drain-length runs.`,
    '',
    calibration === undefined
      ? ''
      : `In the drain-length runs (1 scenario second = 33 ms, so the polling workflow's 1 s Wait is exactly 30 scenario seconds), last session closed -> StopTask was ` +
        `${calibration.pollingLatencySeconds.map((value) => value.toFixed(1)).join(' and ')} s for the polling drains and ` +
        `${calibration.oursLatencySeconds.map((value) => value.toFixed(1)).join(' and ')} s for the event-driven ones.`,
    '',
    '## How to read it',
    '',
    '- **Dropped sessions**: sessions still open when their task was killed (SIGKILL after stopTimeout) or when the load balancer broke them at the end of its deregistration delay. ' +
      'The percentage is of the sessions that ran on a task the deployment replaced.',
    '- **Sessions refused**: users who arrived and were turned away because no task would take their session (the ledger\'s rejected end). ' +
      'Every refusal of the run counts, none is filtered out: the warm-up burst, the deployment and the time after it until the arrivals stop. ' +
      'A task takes no new session while it is starting or not yet healthy, nor once it is stopping, deregistering or draining; a user who arrives when no task is left taking sessions is refused.',
    '- **Last session closed -> StopTask**: for each replaced task whose sessions all ended with their users, from the later of the last close and the deployment to the stop. ' +
      'The event-driven path (DynamoDB stream, Lambda, Step Functions) runs on real time, so it is as measured; ECS-only strategies stop on a timer, not on the last session (n/a). ' +
      pollsNote,
    `- **Step Functions cost**: state transitions per drain (states entered in the execution history; AWS bills each, retries included) at $0.025 per 1,000 (Standard workflows, US East (N. Virginia) list price, read 2025; free tier ignored).`,
    '- **Lambda invocations per drain**: the drain path (deployment handler, Record drain, Arm wait, Stop task, task-stopped handler) per drain; the registry stream handler, which also serves session protection, and the every-minute reconciler are listed in the details, not counted here.',
    '- **DynamoDB writes per session**: the task\'s open and close (one TransactWriteItems each) plus the orchestrator\'s writes during the deployment spread over the sessions opened meanwhile. ' +
      'Heartbeats (one UpdateItem per task every 30 s, 120 per task-hour) are left out: here they come every ' +
      `${(config.minHeartbeatMs / 1000).toFixed(0)} real s instead of every 30 scenario s.`,
    '- **Sessions cut before a drain began**: when a task\'s session count falls to zero, the registry stream handler removes its scale-in protection about a second (real time) later. ' +
      'A session that arrives on that task within that second is cut if the task is an old one during a deployment: ECS stops the task as soon as it is unprotected, before the deployment handler has marked it DRAINING. ' +
      'The window is a second of real time on AWS too, but at this time scale it is minutes of arrivals, and the least-sessions load balancer sends the next arrival to exactly that empty task, so it shows here far more often than it would on AWS. ' +
      'It is a race in the orchestrator, not in the workload, and the bench reports it as it happens.',
    '- **Extra task-hours**: tasks above the desired count × time, from the deployment to its last old task stopping (scenario time): what draining costs in Fargate capacity.',
    '- **Deployment duration**: from UpdateService to the deployment\'s COMPLETED, scenario time.',
    '- **Run to run**: the seed fixes the arrivals and every session\'s length, but which task a session lands on depends on real-time ordering (the orchestrator\'s own latencies are not scaled), ' +
      'so dropped sessions move by a few and extra task-hours by up to a third between runs of the same seed (which old task holds the longest sessions decides how long each drains). ' +
      'The deployment duration, set by the longest session, and the per-drain figures barely move.',
    '',
    report.scaleReportFile ? `## At scale\n\nSee [${report.scaleReportFile}](${report.scaleReportFile}) (\`npm run bench -- --scale-run\`).` : '',
    '',
  ]
    .filter((line, index, lines) => !(line === '' && lines[index - 1] === ''))
    .join('\n');
}
