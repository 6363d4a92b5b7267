import { SeededRandom } from '../random.js';
import type { Rehearsal } from '../rehearsal/rehearsal.js';
import { deploymentState, serviceTasks } from '../rehearsal/twin-queries.js';
import type { ProcessMode } from '../processes/process-mode.js';
import type { ClientSession } from '../processes/session-clients.js';
import type { TaskProcess } from '../processes/process-tasks.js';

/** Scenario steps for rehearsals whose tasks are real processes (issue 4): the demo and the e2e tests share them. */

export interface ProcessServiceSpec {
  cluster: string;
  service: string;
  tasks: number;
  revision?: number;
  capacityProvider?: 'FARGATE' | 'FARGATE_SPOT';
}

export function processMode(rehearsal: Rehearsal): ProcessMode {
  if (rehearsal.processes === undefined) throw new Error('this rehearsal runs simulated apps; start it with { processes: {} }');
  return rehearsal.processes;
}

export function taskDefinitionOf(rehearsal: Rehearsal, service: string, revision: number): string {
  return `arn:aws:ecs:${rehearsal.cloud.stack.region}:${rehearsal.cloud.stack.accountId}:task-definition/${service}:${revision}`;
}

/** A target of this service, on this cluster, that the load balancer may send sessions to. */
export function inService(spec: Pick<ProcessServiceSpec, 'cluster' | 'service'>) {
  return (target: { taskArn: string; serviceName?: string }) => target.serviceName === spec.service && target.taskArn.includes(`:task/${spec.cluster}/`);
}

/** Creates the service and waits until each of its task processes passes the load balancer's health checks. */
export async function startProcessService(rehearsal: Rehearsal, spec: ProcessServiceSpec): Promise<void> {
  const { twin } = rehearsal;
  const { balancer } = processMode(rehearsal);
  const clusterArn = twin.snapshot().clusters.some((cluster) => cluster.clusterName === spec.cluster) ? spec.cluster : twin.createCluster(spec.cluster);
  twin.createService({
    cluster: clusterArn,
    name: spec.service,
    desiredCount: spec.tasks,
    taskDefinition: taskDefinitionOf(rehearsal, spec.service, spec.revision ?? 1),
    capacityProvider: spec.capacityProvider ?? 'FARGATE_SPOT',
    stopTimeoutSeconds: 120,
    startupSeconds: 20,
  });
  const healthy = inService(spec);
  await rehearsal.waitFor(`${spec.tasks} healthy task processes of ${spec.service} on ${spec.cluster}`, () =>
    balancer.snapshot().filter((target) => target.healthy && healthy(target)).length >= spec.tasks, 60_000, 50);
}

/**
 * Opens sessions through the load balancer, a few at a time, each planned to last a seeded
 * duration in [minSeconds, maxSeconds] of scenario time.
 */
export async function openClientSessions(
  rehearsal: Rehearsal,
  spec: { count: number; prefix: string; minSeconds: number; maxSeconds: number; seed?: number; filter: (target: { taskArn: string; serviceName?: string }) => boolean },
): Promise<ClientSession[]> {
  const { clients } = processMode(rehearsal);
  const random = new SeededRandom(spec.seed ?? 11);
  const plans = Array.from({ length: spec.count }, (_, index) => ({
    id: `${spec.prefix}-${index}`,
    seconds: spec.minSeconds + random.next() * (spec.maxSeconds - spec.minSeconds),
  }));
  const opened: ClientSession[] = [];
  const inParallel = 8;
  for (let start = 0; start < plans.length; start += inParallel) {
    const batch = plans.slice(start, start + inParallel);
    opened.push(...(await Promise.all(batch.map((plan) => clients.open(plan.id, plan.seconds, spec.filter)))));
  }
  return opened;
}

/** Rolls the service to a new revision and waits for ECS to report the deployment COMPLETED. */
export async function deployAndWait(rehearsal: Rehearsal, spec: ProcessServiceSpec & { revision: number }, timeoutMs = 180_000): Promise<void> {
  const deploymentId = rehearsal.twin.deploy(spec.cluster, spec.service, taskDefinitionOf(rehearsal, spec.service, spec.revision));
  await rehearsal.waitFor(`the deployment of ${spec.service} on ${spec.cluster} to complete`, () =>
    deploymentState(rehearsal.twin, spec.service, deploymentId, spec.cluster) === 'COMPLETED', timeoutMs, 100);
}

/** What happened to the sessions and processes of one service's tasks of one revision. */
export interface TaskOutcome {
  taskArn: string;
  process: TaskProcess | undefined;
  sessions: ClientSession[];
  /** When the last of its sessions ended (0 without sessions, Infinity while one is open). */
  lastSessionEndedAt: number;
}

export function taskOutcomes(rehearsal: Rehearsal, spec: Pick<ProcessServiceSpec, 'cluster' | 'service'>, revision: number): TaskOutcome[] {
  const { tasks, clients } = processMode(rehearsal);
  const definition = taskDefinitionOf(rehearsal, spec.service, revision);
  return serviceTasks(rehearsal.twin, spec.service, spec.cluster)
    .filter((task) => task.taskDefinitionArn === definition)
    .map((task) => {
      const sessions = clients.onTask(task.taskArn);
      const ends = sessions.map((session) => session.endedAt ?? Number.POSITIVE_INFINITY);
      return { taskArn: task.taskArn, process: tasks.process(task.taskArn), sessions, lastSessionEndedAt: ends.length === 0 ? 0 : Math.max(...ends) };
    });
}

export function endings(sessions: readonly ClientSession[]): Record<string, number> {
  const counts: Record<string, number> = { client: 0, graceful: 0, abnormal: 0, other: 0, open: 0 };
  for (const session of sessions) counts[session.ending ?? 'open'] = (counts[session.ending ?? 'open'] ?? 0) + 1;
  return counts;
}
