import { LEAVING_TASK_CONCURRENCY } from '../functions/core/interruptions/leaving-tasks.js';
import type { MachineInfo } from './machine.js';
import { markdownTable } from './report.js';
import type { ScaleResult } from './scale.js';

/** bench/results/scale.md: the scale run, and what would bound the same run on AWS. */

export interface ScaleReport {
  date: string;
  machine: MachineInfo;
  loadAtEnd: number;
  scale: number;
  runs: ScaleResult[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

export function scaleVerdict(run: ScaleResult): string {
  const complete = run.executions === run.tasks && run.tasksDrained === run.tasks && run.duplicateTasks === 0 && (run.byOutcome.DRAINED ?? 0) === run.tasks;
  if (complete) return `PASS: ${run.tasks} drains started, ${run.tasks} ended DRAINED, none duplicated, every old task stopped`;
  const lost = run.tasks - run.tasksDrained;
  return `FAIL: ${run.tasksDrained} of ${run.tasks} tasks got a drain (${lost} never did), ${run.byOutcome.DRAINED ?? 0} ended DRAINED, ${run.duplicateTasks} tasks with more than one drain`;
}

function runSection(run: ScaleResult): string {
  const handlerTotal = Object.values(run.handlerMs).reduce((total, value) => total + value, 0) / 1000;
  const wall = run.phases.totalMs / 1000;
  const outcomeRows: string[][] = [
    ['drain executions started', String(run.executions)],
    ['by status', Object.entries(run.byStatus).map(([status, count]) => `${status} ${count}`).join(', ')],
    ['by outcome', Object.entries(run.byOutcome).map(([outcome, count]) => `${outcome} ${count}`).join(', ')],
    ['drains started by (their "drain started" log lines)', Object.entries(run.startedBy ?? {}).map(([name, count]) => `${name.replace(/Function$/, '')} ${count}`).join(', ') || '—'],
    ['tasks with a drain / with more than one', `${run.tasksDrained} / ${run.duplicateTasks}`],
    ['old tasks stopped', String(run.oldTasksStopped)],
    ['deployment COMPLETED', run.deploymentCompleted ? 'yes' : 'no'],
    ['set-up (tasks start, register, one session each, protected)', seconds(run.phases.setupMs)],
    [`fan-out: deploy -> every drain waiting${run.phases.fanOutComplete ? '' : ' (stalled)'}`, `${seconds(run.phases.fanOutMs)} (${run.startRate.toFixed(1)} drains started per second)`],
    ['drain: every user leaves -> every old task stopped', seconds(run.phases.drainMs)],
    ['deploy -> end', seconds(run.phases.totalMs)],
  ];
  const functions = Object.keys(run.invocations).sort();
  const functionRows = functions.map((name) => {
    const failure = run.failures[name];
    return [
      name.replace(/Function$/, ''),
      String(run.invocations[name] ?? 0),
      ((run.handlerMs[name] ?? 0) / 1000).toFixed(1),
      failure ? `${failure.timeouts} timeouts, ${failure.errors} errors, ${failure.asyncFailures} events given up` : '—',
    ];
  });
  const ecsRows = Object.keys(run.ecsCalls)
    .sort()
    .map((operation) => [operation, String(run.ecsCalls[operation] ?? 0), String(run.ecsThrottled[operation] ?? 0)]);
  return [
    `### ${run.tasks} tasks: ${scaleVerdict(run)}`,
    '',
    markdownTable(['', ''], outcomeRows),
    '',
    markdownTable(['function', 'invocations', 'handler time s', 'failures'], functionRows),
    '',
    `ECS API over the whole run, set-up included (every action throttled at ${run.throttling.ratePerSecond}/s, burst ${run.throttling.burst}):`,
    '',
    markdownTable(['action', 'calls', 'throttled'], ecsRows),
    '',
    `Where the ${wall.toFixed(0)} s from deploy to end went: moto used ${run.cpu.moto.toFixed(0)} CPU s (${((run.cpu.moto / wall) * 100).toFixed(0)}% of one core), ` +
      `the Node main thread (gateway, ECS twin, simulated tasks, event delivery, stream polling) ${run.cpu.nodeMain.toFixed(0)} CPU s, the function workers ${run.cpu.nodeOther.toFixed(0)} CPU s; ` +
      `the handlers ran for ${handlerTotal.toFixed(0)} s in all, most of it waiting for moto. ` +
      `moto handled ${run.gatewayMoto['states.StartExecution'] ?? 0} StartExecution, ${run.gatewayMoto['states.SendTaskSuccess'] ?? 0} SendTaskSuccess and ` +
      `${(run.gatewayMoto['dynamodb.UpdateItem'] ?? 0) + (run.gatewayMoto['dynamodb.GetItem'] ?? 0)} DynamoDB item reads and updates through the gateway, plus every state of every execution in its Python interpreter.` +
      repeatsNote(run) +
      throttleNote(run),
  ].join('\n');
}

function repeatsNote(run: ScaleResult): string {
  const sent = run.gatewayMoto['states.SendTaskSuccess'] ?? 0;
  if (sent <= run.executions) return '';
  return ` ${sent} SendTaskSuccess for ${run.executions} waits: a stream batch whose handler timed out is retried whole, and Step Functions refuses the repeats (no drain ran twice).`;
}

function throttleNote(run: ScaleResult): string {
  const throttled = Object.values(run.ecsThrottled).reduce((total, count) => total + count, 0);
  return throttled === 0
    ? ' No ECS call was throttled: moto kept the orchestrator well below 20 calls per second per action.'
    : ` ${throttled} ECS calls were throttled and retried by the SDK.`;
}

function startedBy(run: ScaleResult): string {
  const entries = Object.entries(run.startedBy ?? {});
  if (entries.length === 0) return 'no drain start was logged';
  const timeouts = Object.entries(run.failures)
    .filter(([, failure]) => failure.timeouts > 0)
    .map(([name, failure]) => `${name.replace(/Function$/, '')} ${failure.timeouts}`);
  return `drains started by ${entries.map(([name, count]) => `the ${name.replace(/Function$/, '')} function ${count}`).join(', ')}` + (timeouts.length > 0 ? ` (timeouts: ${timeouts.join(', ')})` : '');
}

export function renderScaleReport(report: ScaleReport): string {
  const { machine } = report;
  const largest = report.runs.at(-1);
  const deployment = largest?.handlerMs.DeploymentEventFunction;
  const byHandler = largest?.startedBy?.DeploymentEventFunction;
  const perDrainMs = deployment !== undefined && byHandler !== undefined && byHandler > 0 ? deployment / byHandler : undefined;
  return [
    '# Benchmark: one deployment draining many tasks',
    '',
    `Generated by \`npm run bench -- --scale-run\` on ${report.date}. Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; moto ${machine.moto}; ` +
      `load average ${machine.loadAtStart} at the start, ${report.loadAtEnd} at the end. 1 scenario second = ${(report.scale * 1000).toFixed(0)} ms (the times below are real: moto and the handlers do not scale).`,
    '',
    'A service of N Fargate tasks, each holding one session (written to the registry directly), is deployed once: every old task gets a DEPLOYMENT drain. ' +
      'When every drain is waiting, every user leaves at once; the registry stream completes every wait and the workflow stops every task. ' +
      'The ECS twin throttles every API action with a token bucket of 50 requests refilled at 20 per second.',
    '',
    ...report.runs.flatMap((run) => [runSection(run), '']),
    '## What bounds a real AWS run',
    '',
    `- **Starting the drains.** The deployment handler starts them ${LEAVING_TASK_CONCURRENCY} at a time in one invocation (timeout 30 s, two asynchronous retries); ` +
      'each start is a consistent GetItem, a conditional UpdateItem (the claim) and a StartExecution. Old tasks it does not reach, the reconciler starts on its next runs ' +
      '(every minute, one at a time, timeout 120 s) as tasks a deployment left behind.' +
      (largest === undefined ? '' : ` In the ${largest.tasks}-task run: ${startedBy(largest)}` + (perDrainMs === undefined ? '.' : `, about ${perDrainMs.toFixed(0)} ms of deployment-handler time per drain it started, almost all of it waiting for moto.`)) +
      ' On AWS the three calls take a few tens of milliseconds, so one 30 s invocation starts several thousand drains, and its retries and the reconciler start any rest within minutes; ' +
      'fanning the starts out through a queue would take a deployment of many thousand tasks past that.',
    '- **Step Functions**: StartExecution and state transitions are throttled per account and Region with token buckets (in the large Regions, hundreds of StartExecution per second; see the Step Functions quotas page). ' +
      'A drain takes about 10 transitions whatever its length, so 1,000 drains are about 10,000 transitions spread over the drain time: far below the limits.',
    '- **ECS API**: the workflow makes one StopTask per task (each an UpdateTaskProtection too, batched up to 10 tasks by the stream handler), and the handlers list and describe tasks in pages of 100. ' +
      'At a sustained 20 per second per action, 1,000 StopTask calls take about 50 s; the SDK\'s adaptive retry absorbs the throttling.',
    '- **Lambda**: the stream handler is one invocation per shard batch; the workflow steps are one invocation each (3 per drain), well inside the default 1,000 concurrent executions.',
    '- **moto here**: moto starts a few executions per second and runs each state in Python; it, not the orchestrator, sets the wall time of this run.',
    '',
  ].join('\n');
}
