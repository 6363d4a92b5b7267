import { serveConsole } from '../console/server.js';
import { writeDrainTimeline } from '../console/drain-timeline.js';
import { executionHistory, stateByState } from '../rehearsal/executions.js';
import { Rehearsal } from '../rehearsal/rehearsal.js';
import { drainsTable, historyTable, sessionsTable } from '../rehearsal/report.js';
import { DEMO_SERVICE, runDemoScenario, shortId } from '../scenarios/demo.js';
import { runningTasks } from '../rehearsal/twin-queries.js';
import { exitOnSignals, fail } from './cli-kit.js';
import { commandLine, numberAtMost, wholeNumber } from './command-line.js';
import { processDemo } from './process-demo.js';

/**
 * npm run demo: the local cloud, a Fargate Spot service of 6 tasks with ~100 sessions, a rolling
 * deployment, a Spot interruption and a scale-in; then what happened to every session and drain.
 * Exits non-zero if a session was dropped that the orchestrator should have kept.
 * With --processes, the tasks are real processes and the users real WebSocket clients (process-demo.ts).
 */
const { values } = commandLine({
  command: 'npm run demo --',
  summary: [
    'The local cloud with a Fargate Spot service of 6 tasks and about 100 sessions: a rolling deployment,',
    'a Spot interruption and a scale-in, then what happened to every session and drain. Exits 1 if a',
    'session was dropped that the orchestrator should have kept.',
  ].join('\n'),
  flags: {
    // 1 scenario second = 30 ms: the whole story in about two minutes, slow enough that the
    // orchestrator's own latencies (real seconds, not scaled) stay small next to the scenario's.
    // --processes: 1 scenario second = 50 ms, so that real processes keep up with the clock.
    scale: { type: 'string', placeholder: 'seconds', check: numberAtMost(1), description: 'real seconds per scenario second (default 0.03, with --processes 0.05)' },
    processes: { type: 'boolean', description: 'run every task as a real process of examples/session-server and every user as a WebSocket client' },
    seed: { type: 'string', placeholder: 'n', default: '7', check: wholeNumber, description: 'seed of the users\' arrivals and session lengths' },
    logs: { type: 'boolean', description: "echo the functions' logs" },
  },
});

/**
 * Who stopped a task, in words, for ECS's stop code: a drained task of a deployment or a scale-in is
 * stopped by ECS's scheduler once its drain let it go (unprotected, empty), not by the orchestrator.
 */
const STOPPED_BY: Record<string, string> = {
  UserInitiated: 'StopTask: the orchestrator or an operator',
  ServiceSchedulerInitiated: "ECS's scheduler: a deployment or scale-in, after the task's drain let it go",
  SpotInterruption: 'Fargate Spot reclaimed it',
  TerminationNotice: 'Fargate Spot reclaimed it',
  EssentialContainerExited: 'its container exited',
  TaskFailedToStart: 'it failed to start',
};

async function main(): Promise<number> {
  const scale = values.scale ?? (values.processes ? 0.05 : 0.03);
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
  const scenarioClock = () => {
    const seconds = Math.round((Date.now() - started) / 1000 / scale);
    return `${String(Math.floor(seconds / 3600)).padStart(2, '0')}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  };
  const log = (line: string) => console.log(`[${elapsed()} | scenario ${scenarioClock()}] ${line}`);

  if (values.processes) return processDemo(scale, log, values.logs);
  log(`starting the local cloud (moto + gateway + ECS twin), 1 scenario second = ${scale * 1000} ms`);
  const rehearsal = await Rehearsal.start({ scale, echoLogs: values.logs });
  exitOnSignals(() => rehearsal.stop());
  log(`local cloud up at ${rehearsal.cloud.endpoint}`);
  const localConsole = await serveConsole(rehearsal);
  const unsubscribe = rehearsal.twin.onChange((change) => {
    if (change.kind !== 'task') return;
    const { task, previous } = change;
    const stopping = task.desiredStatus === 'STOPPED' && task.lastStatus === 'RUNNING' && previous?.desiredStatus !== 'STOPPED';
    const cause = task.stopCode ? ` (${STOPPED_BY[task.stopCode] ?? task.stopCode})` : '';
    if (stopping) log(`task ${shortId(task.taskArn)} asked to stop${cause}: SIGTERM`);
    else if (task.lastStatus !== previous?.lastStatus && ['RUNNING', 'STOPPED'].includes(task.lastStatus)) log(`task ${shortId(task.taskArn)} ${task.lastStatus}${task.lastStatus === 'STOPPED' ? cause : ''}`);
  });
  const progress = setInterval(() => {
    const summary = rehearsal.ledger.summary();
    log(`  ${runningTasks(rehearsal.twin, DEMO_SERVICE).length} tasks running, ${summary.open} sessions open, ${summary.endedByUser} ended by users, ${summary.dropped} dropped`);
  }, 3000);
  try {
    await runDemoScenario(rehearsal, { seed: values.seed, log });
  } finally {
    clearInterval(progress);
    unsubscribe();
  }

  const summary = rehearsal.ledger.summary();
  // Sessions on a reclaimed Spot task that outlive its two-minute warning cannot be saved.
  const unexpectedDrops = rehearsal.ledger.dropped((record) => record.stopReason !== 'SpotInterruption');
  const unexpected = unexpectedDrops.length;
  for (const record of unexpectedDrops) {
    const task = rehearsal.twin.snapshot().tasks.find((candidate) => candidate.taskArn === record.taskArn);
    console.log(`dropped ${record.id} on task ${shortId(record.taskArn ?? '?')} (${record.stopReason ?? record.dropCause}), opened ${((task?.stoppingAt ? new Date(task.stoppingAt).getTime() : Date.now()) - record.openedAt) / 1000} s before the stop`);
  }
  const executions = (await rehearsal.drainExecutions()).map((execution) => ({
    ...execution,
    secondsDrained: typeof execution.secondsDrained === 'number' ? execution.secondsDrained / scale : execution.secondsDrained ?? null,
  }));
  console.log(`\n${sessionsTable(summary, unexpected)}\n`);
  console.log(`${drainsTable(executions)}\n`);
  const example = executions.find((execution) => execution.outcome === 'DRAINED' && (execution.sessionsAtStart ?? 0) > 0) ?? executions[0];
  if (example) console.log(`${historyTable(example, stateByState(await executionHistory(rehearsal.sfn, example.executionArn)), scale)}\n`);
  if (rehearsal.errors.length > 0) console.log(`task-side errors:\n  ${rehearsal.errors.slice(0, 10).join('\n  ')}`);
  console.log(`drain timeline  ${await writeDrainTimeline(rehearsal, { origin: started, title: 'npm run demo: every drain, what ran when' })}\n`);
  await localConsole.stop();
  await rehearsal.stop();
  if (unexpected > 0) {
    console.error(`FAIL: ${unexpected} session(s) dropped where the orchestrator should have kept them`);
    return 1;
  }
  console.log('OK: no session was dropped that could have been kept');
  return 0;
}

main().then((code) => process.exit(code), fail);
