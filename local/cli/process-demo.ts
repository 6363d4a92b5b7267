import { serveConsole } from '../console/server.js';
import { Rehearsal } from '../rehearsal/rehearsal.js';
import { MANAGED, runProcessDemo } from '../scenarios/process-demo.js';
import { taskOutcomes } from '../scenarios/process-sessions.js';
import { shortId } from '../scenarios/demo.js';
import { exitOnSignals } from './cli-kit.js';
import type { SessionApp } from '../processes/process-mode.js';

const APP_NAMES: Record<SessionApp, string> = {
  node: 'the Node app (examples/session-server, agent library in-process)',
  python: 'the Python app (examples/python-session-server) with the session sidecar, two processes per task',
};

/**
 * The process branch of `npm run demo -- --processes`: real task processes and WebSocket users.
 * Exits non-zero if the orchestrator's service cut off a session (1006) during the deployment or
 * the Spot interruption, or if the unmanaged service did not (then the demo proves nothing).
 */
export async function processDemo(scale: number, log: (line: string) => void, echoLogs: boolean, app: SessionApp = 'node'): Promise<number> {
  log(`starting the local cloud (moto + gateway + ECS twin with real task processes), 1 scenario second = ${scale * 1000} ms`);
  log(`every task runs ${APP_NAMES[app]}`);
  const rehearsal = await Rehearsal.start({ scale, clusterNames: [MANAGED.cluster], processes: { reconnect: true, app }, echoLogs });
  exitOnSignals(() => rehearsal.stop());
  const localConsole = await serveConsole(rehearsal);
  const unsubscribe = rehearsal.twin.onChange((change) => {
    if (change.kind !== 'task') return;
    const { task, previous } = change;
    const cluster = task.clusterArn.split('/').pop();
    if (task.desiredStatus === 'STOPPED' && previous?.desiredStatus !== 'STOPPED' && task.lastStatus === 'RUNNING') {
      log(`  ${cluster}: task ${shortId(task.taskArn)} gets SIGTERM (${task.stopCode ?? 'stop'})`);
    }
  });
  const processes = rehearsal.processes!;
  let result;
  try {
    result = await runProcessDemo(rehearsal, log);
  } finally {
    unsubscribe();
  }
  console.log(`\nTask processes of ${app === 'python' ? 'the Python app and its sidecar' : 'the Node app'} (pid, how they ended):`);
  for (const process of processes.tasks.processes()) {
    const ended = process.killedAt ? `killed (${process.killCause})` : process.exitedAt ? `exited ${process.exitCode}` : 'running';
    const sidecar = process.sidecar === undefined ? '' : `; sidecar pid ${String(process.sidecar.pid).padEnd(7)} ${process.killedAt ? 'killed' : process.sidecar.exitedAt ? `exited ${process.sidecar.exitCode}` : 'running'}`;
    console.log(`  ${process.taskArn.split('/').slice(-2).join('/').padEnd(50)} ${app} pid ${String(process.pid).padEnd(7)} ${ended}${sidecar}`);
  }
  const row = (name: string, counts: Record<string, number>) =>
    `| ${name.padEnd(38)} | ${String(counts.client ?? 0).padStart(7)} | ${String(counts.graceful ?? 0).padStart(10)} | ${String(counts.abnormal ?? 0).padStart(12)} |`;
  console.log(`\n| ${'sessions on the stopped tasks'.padEnd(38)} | by user | 1012 grace | 1006 cut off |\n|${'-'.repeat(40)}|---------|------------|--------------|`);
  console.log(row('deployment, with the orchestrator', result.deployment.managed));
  console.log(row('deployment, without it', result.deployment.unmanaged));
  console.log(row(`Spot interruption (${result.spot.reconnected} reconnected)`, result.spot.endings));
  if (rehearsal.errors.length > 0) console.log(`\ntask-side errors:\n  ${rehearsal.errors.slice(0, 10).join('\n  ')}`);
  // The drained tasks' processes (and sidecars) exit 0 by themselves once their last session ended.
  const unclean = taskOutcomes(rehearsal, MANAGED, 1).filter(
    ({ process: ended, lastSessionEndedAt }) =>
      ended?.exitCode !== 0 || ended.killedAt !== undefined || (ended.exitedAt ?? 0) < lastSessionEndedAt || (ended.sidecar !== undefined && ended.sidecar.exitCode !== 0),
  );
  await localConsole.stop();
  await rehearsal.stop();
  if (unclean.length > 0) {
    console.error(`FAIL: ${unclean.length} drained task process(es) did not exit 0 by themselves after their last session: ${unclean.map((task) => task.taskArn.split('/').pop()).join(', ')}`);
    return 1;
  }
  const cutOff = (result.deployment.managed.abnormal ?? 0) + (result.spot.endings.abnormal ?? 0);
  if (cutOff > 0) {
    console.error(`FAIL: ${cutOff} session(s) of the orchestrated service were cut off`);
    return 1;
  }
  if ((result.deployment.unmanaged.abnormal ?? 0) === 0) {
    console.error('FAIL: the service without the orchestrator lost no session; the scenario shows nothing');
    return 1;
  }
  console.log(`\nOK (${app} app): with the orchestrator no session was cut off; without it, the same deployment cut sessions off`);
  return 0;
}
