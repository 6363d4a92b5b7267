import type { Rehearsal } from '../rehearsal/rehearsal.js';
import { runningTasks } from '../rehearsal/twin-queries.js';
import { shortId } from './demo.js';
import {
  deployAndWait,
  endings,
  inService,
  openClientSessions,
  processMode,
  type ProcessServiceSpec,
  startProcessService,
  taskOutcomes,
} from './process-sessions.js';

export const MANAGED: ProcessServiceSpec = { cluster: 'sessions', service: 'chat', tasks: 4 };
export const UNMANAGED: ProcessServiceSpec = { cluster: 'unmanaged', service: 'chat', tasks: 4 };

export interface ProcessDemoResult {
  /** Endings of the sessions that were on the old tasks of each service during the deployment. */
  deployment: { managed: Record<string, number>; unmanaged: Record<string, number> };
  /** Endings of the sessions on the Spot-interrupted task, and how many of them reconnected. */
  spot: { endings: Record<string, number>; reconnected: number };
}

/**
 * `npm run demo -- --processes`: the same service twice, as real processes with the session agent
 * and real WebSocket users. One cluster is in the orchestrator's scope, the other is not, and both
 * go through the same rolling deployment; then a Fargate Spot interruption hits the managed one.
 */
export async function runProcessDemo(rehearsal: Rehearsal, log: (line: string) => void, sessionsPerTask = 25): Promise<ProcessDemoResult> {
  await deploySideBySide(rehearsal, sessionsPerTask, log);
  const deployment = {
    managed: endings(taskOutcomes(rehearsal, MANAGED, 1).flatMap((task) => task.sessions)),
    unmanaged: endings(taskOutcomes(rehearsal, UNMANAGED, 1).flatMap((task) => task.sessions)),
  };
  log(`deployment done. with the orchestrator: ${describe(deployment.managed)}; without: ${describe(deployment.unmanaged)}`);

  const { clients, tasks } = processMode(rehearsal);
  await openClientSessions(rehearsal, { count: MANAGED.tasks * 6, prefix: 'long', minSeconds: 1800, maxSeconds: 3600, filter: inService(MANAGED), seed: 12 });
  const victim = [...runningTasks(rehearsal.twin, MANAGED.service, MANAGED.cluster)].sort((a, b) => clients.openCount(b.taskArn) - clients.openCount(a.taskArn))[0];
  if (victim === undefined) throw new Error('no running task to interrupt');
  log(`Fargate Spot reclaims task ${shortId(victim.taskArn)} with ${clients.openCount(victim.taskArn)} long sessions: SIGTERM now, SIGKILL in 120 scenario seconds`);
  rehearsal.twin.interruptFargateSpot(victim.taskArn, 'SpotInterruption');
  await rehearsal.waitFor('the Spot task\'s process to end', () => tasks.process(victim.taskArn)?.exitedAt, 60_000, 50);
  // Clients reconnect in the background; give them a moment to find the other tasks.
  await rehearsal.waitFor('the cut-off clients to reconnect', () => clients.onTask(victim.taskArn).every((session) => session.ending !== 'graceful' || session.reconnectedAs), 30_000, 50)
    .catch(() => undefined);
  const finalSessions = clients.onTask(victim.taskArn);
  const spot = { endings: endings(finalSessions), reconnected: finalSessions.filter((session) => session.reconnectedAs !== undefined).length };
  log(`Spot task's process ended: ${describe(spot.endings)}; ${spot.reconnected} clients reconnected to another task`);
  clients.closeAll();
  return { deployment, spot };
}

/**
 * The same service on the managed and the unmanaged cluster, each task holding sessionsPerTask
 * sessions of 100..500 scenario seconds (longer than stopTimeout), rolled to revision 2 at once.
 */
export async function deploySideBySide(rehearsal: Rehearsal, sessionsPerTask: number, log: (line: string) => void = () => undefined): Promise<void> {
  log(`starting ${MANAGED.tasks} task processes on cluster "${MANAGED.cluster}" (drained by the orchestrator) and ${UNMANAGED.tasks} on "${UNMANAGED.cluster}" (not)`);
  await Promise.all([startProcessService(rehearsal, MANAGED), startProcessService(rehearsal, UNMANAGED)]);
  log('all task processes pass their load balancer health checks');

  await Promise.all(
    [MANAGED, UNMANAGED].map((spec) =>
      openClientSessions(rehearsal, { count: spec.tasks * sessionsPerTask, prefix: spec.cluster, minSeconds: 100, maxSeconds: 500, filter: inService(spec) }),
    ),
  );
  log(`${2 * MANAGED.tasks * sessionsPerTask} WebSocket sessions open, lasting 100..500 scenario seconds (stopTimeout is 120)`);
  // The stream handler protects a task about a second (real time) after its first session, which
  // is 20 scenario seconds here: a deployment inside that window stops the task as ECS would on
  // AWS (README, Limits). The scenario shows the drain, so it deploys once every task is protected.
  await rehearsal.waitFor('every managed task to be protected', () =>
    runningTasks(rehearsal.twin, MANAGED.service, MANAGED.cluster).every((task) => task.protection.enabled), 60_000, 50);

  log('rolling deployment of both services to revision 2');
  await Promise.all([deployAndWait(rehearsal, { ...MANAGED, revision: 2 }), deployAndWait(rehearsal, { ...UNMANAGED, revision: 2 })]);
}

function describe(counts: Record<string, number>): string {
  return `${counts.client ?? 0} closed by users, ${counts.graceful ?? 0} closed gracefully (1012), ${counts.abnormal ?? 0} cut off (1006)`;
}
