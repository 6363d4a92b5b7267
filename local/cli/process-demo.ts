import { serveConsole } from '../console/server.js';
import { Rehearsal } from '../rehearsal/rehearsal.js';
import { MANAGED, runProcessDemo } from '../scenarios/process-demo.js';
import { shortId } from '../scenarios/demo.js';
import { exitOnSignals } from './cli-kit.js';

/**
 * The process branch of `npm run demo -- --processes`: real task processes and WebSocket users.
 * Exits non-zero if the orchestrator's service cut off a session (1006) during the deployment or
 * the Spot interruption, or if the unmanaged service did not (then the demo proves nothing).
 */
export async function processDemo(scale: number, log: (line: string) => void, echoLogs: boolean): Promise<number> {
  log(`starting the local cloud (moto + gateway + ECS twin with real task processes), 1 scenario second = ${scale * 1000} ms`);
  const rehearsal = await Rehearsal.start({ scale, clusterNames: [MANAGED.cluster], processes: { reconnect: true }, echoLogs });
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
  console.log('\nTask processes (pid, how they ended):');
  for (const process of processes.tasks.processes()) {
    const ended = process.killedAt ? `killed (${process.killCause})` : process.exitedAt ? `exited ${process.exitCode}` : 'running';
    console.log(`  ${process.taskArn.split('/').slice(-2).join('/').padEnd(50)} pid ${String(process.pid).padEnd(7)} ${ended}`);
  }
  const row = (name: string, counts: Record<string, number>) =>
    `| ${name.padEnd(38)} | ${String(counts.client ?? 0).padStart(7)} | ${String(counts.graceful ?? 0).padStart(10)} | ${String(counts.abnormal ?? 0).padStart(12)} |`;
  console.log(`\n| ${'sessions on the stopped tasks'.padEnd(38)} | by user | 1012 grace | 1006 cut off |\n|${'-'.repeat(40)}|---------|------------|--------------|`);
  console.log(row('deployment, with the orchestrator', result.deployment.managed));
  console.log(row('deployment, without it', result.deployment.unmanaged));
  console.log(row(`Spot interruption (${result.spot.reconnected} reconnected)`, result.spot.endings));
  if (rehearsal.errors.length > 0) console.log(`\ntask-side errors:\n  ${rehearsal.errors.slice(0, 10).join('\n  ')}`);
  await localConsole.stop();
  await rehearsal.stop();
  const cutOff = (result.deployment.managed.abnormal ?? 0) + (result.spot.endings.abnormal ?? 0);
  if (cutOff > 0) {
    console.error(`FAIL: ${cutOff} session(s) of the orchestrated service were cut off`);
    return 1;
  }
  if ((result.deployment.unmanaged.abnormal ?? 0) === 0) {
    console.error('FAIL: the service without the orchestrator lost no session; the scenario shows nothing');
    return 1;
  }
  console.log('\nOK: with the orchestrator no session was cut off; without it, the same deployment cut sessions off');
  return 0;
}
