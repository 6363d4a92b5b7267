import type { Rehearsal } from '../rehearsal/rehearsal.js';

/**
 * What a sample event refers to, made real before `npm run invoke` runs it: the task its ARN
 * names runs in the twin (its service and cluster created), registered in the registry by its
 * simulated app, as on AWS; and a workflow step of a drain finds that drain recorded, by the real
 * Record drain step, under the execution the sample names. Without this the samples of the
 * workflow's steps could only answer "task not in the registry".
 */

const TASK_ARN = /arn:aws:ecs:([a-z0-9-]+):(\d{12}):task\/([A-Za-z0-9_-]+)\/([0-9a-f]{32})/g;
const CLUSTER_ARN = /arn:aws:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]+/g;
const DRAIN_EXECUTION = /arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:"]+:drain-[^"]+/;

/**
 * The clusters the stack drains exist on AWS before anything is invoked; in the twin too, so that
 * an event naming an instance or a service of one is looked up where it would be.
 */
export function createClustersInScope(rehearsal: Rehearsal, clusterArns: readonly string[]): void {
  const { accountId, region } = rehearsal.cloud.stack;
  for (const clusterArn of clusterArns) {
    const match = /^arn:aws:ecs:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9_-]+)$/.exec(clusterArn);
    if (match?.[1] === region && match[2] === accountId && match[3] !== undefined) rehearsal.twin.createCluster(match[3]);
  }
}

/** The workflow's steps that run after Record drain, each needing the drain recorded first. */
const STEPS_AFTER_RECORD = new Set(['LaunchReplacementFunction', 'ArmDrainWaitFunction', 'ReleaseReplacementFunction', 'StopDrainedTaskFunction']);

export interface SampleTask {
  taskArn: string;
  taskId: string;
  clusterName: string;
  clusterArn: string;
  serviceName: string;
}

export interface SampleRefs {
  tasks: SampleTask[];
  clusterArns: string[];
  drainExecutionArn: string | undefined;
}

/** The tasks, clusters and drain execution a sample event names, in the stack's account and Region. */
export function sampleRefs(event: unknown, where: { accountId: string; region: string }): SampleRefs {
  const text = JSON.stringify(event);
  const serviceName = serviceNameIn(event) ?? 'chat';
  const tasks = new Map<string, SampleTask>();
  for (const [taskArn, region, accountId, clusterName, taskId] of text.matchAll(TASK_ARN)) {
    if (region !== where.region || accountId !== where.accountId || clusterName === undefined || taskId === undefined) continue;
    tasks.set(taskArn, { taskArn, taskId, clusterName, clusterArn: `arn:aws:ecs:${region}:${accountId}:cluster/${clusterName}`, serviceName });
  }
  const clusterArns = new Set(text.match(CLUSTER_ARN) ?? []);
  for (const task of tasks.values()) clusterArns.add(task.clusterArn);
  return { tasks: [...tasks.values()], clusterArns: [...clusterArns], drainExecutionArn: DRAIN_EXECUTION.exec(text)?.[0] };
}

/** The service a sample names: a workflow input's `service`, or an ECS event's `group` ("service:chat"). */
function serviceNameIn(event: unknown): string | undefined {
  const found: string[] = [];
  JSON.stringify(event, (key, value: unknown) => {
    if (typeof value !== 'string') return value;
    if (key === 'service' || key === 'serviceName') found.push(value);
    if (key === 'group' && value.startsWith('service:')) found.push(value.slice('service:'.length));
    return value;
  });
  return found.find((name) => /^[A-Za-z0-9_-]{1,255}$/.test(name));
}

/**
 * Runs each named task in the twin and waits until its app registered it; records the drain for a
 * workflow step after Record drain, and starts one for an operator's cancel or force-stop. Says
 * what it did, one line each.
 */
export async function prepareSample(
  rehearsal: Rehearsal,
  logicalId: string,
  event: unknown,
  refs: SampleRefs,
  clustersInScope: readonly string[],
  say: (line: string) => void,
): Promise<void> {
  const { accountId, region } = rehearsal.cloud.stack;
  // A task of a cluster out of scope is one the stack leaves alone: its app never registers, and
  // the function answers the event as out of scope (the command says which override changes that).
  const tasks = refs.tasks.filter((task) => clustersInScope.includes(task.clusterArn));
  for (const task of tasks) {
    const clusterArn = rehearsal.twin.createCluster(task.clusterName);
    const exists = rehearsal.twin.snapshot().tasks.some((candidate) => candidate.taskArn === task.taskArn);
    if (exists) continue;
    rehearsal.twin.useTaskIds(task.taskId);
    rehearsal.twin.createService({ cluster: clusterArn, name: task.serviceName, desiredCount: 1, taskDefinition: `arn:aws:ecs:${region}:${accountId}:task-definition/${task.serviceName}:1` });
    await rehearsal.waitFor(`task ${task.taskArn} registered`, async () => (await rehearsal.taskItem(task.taskArn)) !== undefined);
    say(`prepared: service "${task.serviceName}" in cluster "${task.clusterName}" runs the sample's task ${task.taskId}, registered in the registry`);
  }
  const [task] = tasks;
  if (task === undefined) return;
  if (logicalId === 'DrainControlFunction' && isControlOfADrain(event)) {
    await startDrain(rehearsal, task, say);
    return;
  }
  if (!STEPS_AFTER_RECORD.has(logicalId)) return;
  const executionArn = refs.drainExecutionArn ?? `arn:aws:states:${region}:${accountId}:execution:${rehearsal.stateMachineArn.split(':').pop()}:drain-${task.taskId}-1`;
  const recorded = await rehearsal.cloud.invoke('RecordDrainFunction', {
    executionArn,
    request: { cluster: task.clusterArn, taskArn: task.taskArn, service: task.serviceName, reason: 'MANUAL' },
  });
  if (recorded.functionError) throw new Error(`preparing the sample: RecordDrainFunction failed: ${JSON.stringify(recorded.payload)}`);
  say(`prepared: RecordDrainFunction recorded the drain of task ${task.taskId} under execution ${executionArn.split(':').pop()}`);
}

function isControlOfADrain(event: unknown): boolean {
  const action = (event as { action?: unknown } | null)?.action;
  return action === 'cancel' || action === 'force-stop';
}

/** A cancel or force-stop acts on a running drain: start one the way an operator would. */
async function startDrain(rehearsal: Rehearsal, task: SampleTask, say: (line: string) => void): Promise<void> {
  const started = await rehearsal.cloud.invoke('DrainControlFunction', { action: 'drain', taskArn: task.taskArn, cluster: task.clusterArn });
  if (started.functionError || (started.payload as { ok?: unknown } | undefined)?.ok !== true) {
    throw new Error(`preparing the sample: DrainControlFunction could not start a drain: ${JSON.stringify(started.payload)}`);
  }
  await rehearsal.waitFor(`task ${task.taskArn} draining`, async () => (await rehearsal.taskItem(task.taskArn))?.status === 'DRAINING');
  say(`prepared: DrainControlFunction started a drain of task ${task.taskId}, now DRAINING`);
}
