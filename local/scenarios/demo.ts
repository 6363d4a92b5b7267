import { arrivalsPerMinuteFor } from '../random.js';
import type { Rehearsal } from '../rehearsal/rehearsal.js';
import { deploymentState, liveTasks, runningTasks, service } from '../rehearsal/twin-queries.js';
import { taskIdOf } from '../../functions/registry/model.js';

export interface DemoOptions {
  seed?: number;
  tasks?: number;
  sessions?: number;
  log?: (line: string) => void;
}

export const DEMO_CLUSTER = 'sessions';
export const DEMO_SERVICE = 'chat';

/**
 * The demo's story, in scenario time: a Fargate Spot service of 6 tasks holding about 100
 * sessions goes through a rolling deployment, then a Spot interruption of one task, then a
 * scale-in by one task. Sessions last a few minutes, some up to twenty.
 */
export async function runDemoScenario(rehearsal: Rehearsal, options: DemoOptions = {}): Promise<void> {
  const log = options.log ?? (() => undefined);
  const { twin, clock } = rehearsal;
  const taskCount = options.tasks ?? 6;
  const sessions = options.sessions ?? 100;
  const durations = { medianSeconds: 5 * 60, sigma: 0.7, maxSeconds: 20 * 60 };
  const arrivalsPerMinute = arrivalsPerMinuteFor(sessions, durations);

  const clusterArn = twin.createCluster(DEMO_CLUSTER);
  twin.createService({
    cluster: clusterArn,
    name: DEMO_SERVICE,
    desiredCount: taskCount,
    taskDefinition: taskDefinition(rehearsal, 1),
    capacityProvider: 'FARGATE_SPOT',
    stopTimeoutSeconds: 120,
  });
  log(`service ${DEMO_SERVICE}: starting ${taskCount} Fargate Spot tasks`);
  await rehearsal.waitFor(`${taskCount} tasks accepting sessions`, () => rehearsal.apps.acceptingTasks().length >= taskCount);

  const workload = rehearsal.workload({ seed: options.seed ?? 7, arrivalsPerMinute, durations });
  const opened = await workload.burst(sessions);
  workload.start();
  log(`${opened} sessions open; users keep arriving (${arrivalsPerMinute.toFixed(1)} per minute)`);
  await clock.sleep(3 * 60);

  log('rolling deployment to revision 2 (ECS starts new tasks; old ones drain)');
  const deploymentId = twin.deploy(clusterArn, DEMO_SERVICE, taskDefinition(rehearsal, 2));
  await rehearsal.waitFor('the deployment to complete', () => deploymentState(twin, DEMO_SERVICE, deploymentId) === 'COMPLETED', 180_000, 250);
  log('deployment completed: every old task stopped after its last session');

  await clock.sleep(60);
  const spotVictim = busiest(rehearsal);
  log(`Fargate Spot reclaims task ${shortId(spotVictim)} (${rehearsal.apps.sessionCount(spotVictim)} sessions): two-minute warning`);
  twin.interruptFargateSpot(spotVictim, 'SpotInterruption');
  await rehearsal.waitFor('the interrupted task to stop and the service to be whole again', () => {
    const gone = !liveTasks(twin, DEMO_SERVICE).some((task) => task.taskArn === spotVictim);
    return gone && runningTasks(twin, DEMO_SERVICE).length >= taskCount;
  }, 120_000, 250);
  log('Spot task stopped; its replacement was already running');
  // The drain raised the desired count for its replacement and gives it back once its workflow
  // ends; a scale-in set before that would be taken as the operator's change of a surged count.
  await rehearsal.waitFor('the Spot drain to give its replacement back', () => service(twin, DEMO_SERVICE)?.desiredCount === taskCount, 120_000, 250);

  await clock.sleep(60);
  // The stream handler protects a task about a second (real time) after its first session; a
  // scale-in inside that second stops the task as on AWS. The demo shows the drain-aware case.
  await rehearsal.waitFor('every task to be protected', () => runningTasks(twin, DEMO_SERVICE).every((task) => task.protection.enabled), 60_000);
  log(`scale-in: desired count ${taskCount} -> ${taskCount - 1} (every task is protected, so the lightest one is drained)`);
  twin.setDesiredCount(clusterArn, DEMO_SERVICE, taskCount - 1);
  await rehearsal.waitFor(`${taskCount - 1} tasks running`, () => liveTasks(twin, DEMO_SERVICE).length === taskCount - 1, 180_000, 250);
  log('scale-in done: the drained task stopped after its last session');
  // A workflow ends a moment after its task stopped (its last steps record the outcome): the
  // report shows the scale-in drain ended, not caught RUNNING between the stop and its end. Drains
  // of tasks still running (sessions still open) go on running, as they would on AWS.
  await rehearsal.waitFor('the drains of stopped tasks to end', async () => {
    const live = new Set(liveTasks(twin, DEMO_SERVICE).map((task) => task.taskArn.split('/').pop()));
    const executions = await rehearsal.drainExecutions();
    return executions.every((execution) => execution.status !== 'RUNNING' || live.has(execution.name.split('-')[1]));
  }, 60_000, 500);

  await workload.stop();
}

function taskDefinition(rehearsal: Rehearsal, revision: number): string {
  return `arn:aws:ecs:${rehearsal.cloud.stack.region}:${rehearsal.cloud.stack.accountId}:task-definition/${DEMO_SERVICE}:${revision}`;
}

function busiest(rehearsal: Rehearsal): string {
  const tasks = runningTasks(rehearsal.twin, DEMO_SERVICE);
  const sorted = [...tasks].sort((a, b) => rehearsal.apps.sessionCount(b.taskArn) - rehearsal.apps.sessionCount(a.taskArn));
  const first = sorted[0];
  if (first === undefined) throw new Error('no running task to interrupt');
  return first.taskArn;
}

export function shortId(taskArn: string): string {
  return taskIdOf(taskArn).slice(0, 8);
}
