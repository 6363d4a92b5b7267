import { describe, expect, it } from 'vitest';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { fleetView, STOPPED_TASKS_SHOWN } from '../../../console/fleet-view.js';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, waitFor } from '../twin/support.js';

function registryItem(taskArn: string, fields: Partial<TaskItem>): TaskItem {
  return { pk: taskArn, sk: 'TASK', taskArn, clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${CLUSTER}`, serviceTask: `chat#${taskArn}`, serviceName: 'chat', sessionCount: 0, status: 'ACTIVE', ...fields };
}

describe("the console's services and tasks", () => {
  it("shows each task as ECS and the registry see it side by side, and a deployment in progress until it completes", async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const [draining, other] = runningOf(harness.twin, 'chat') as [NonNullable<ReturnType<typeof runningOf>[number]>, NonNullable<ReturnType<typeof runningOf>[number]>];
    const deploymentId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    const items = new Map([
      [draining.taskArn, registryItem(draining.taskArn, { status: 'DRAINING', drainReason: 'DEPLOYMENT', sessionCount: 3, protectionState: 'PROTECTED' })],
      [other.taskArn, registryItem(other.taskArn, { sessionCount: 5 })],
    ]);

    const view = fleetView(harness.twin.snapshot(), items, (taskArn) => (taskArn === draining.taskArn ? 'draining' : undefined));

    expect(view.services).toHaveLength(1);
    const [service] = view.services;
    expect(service).toMatchObject({ serviceName: 'chat', clusterName: CLUSTER, status: 'ACTIVE', desiredCount: 2 });
    expect(service?.deployments.map((deployment) => [deployment.id, deployment.status, deployment.revision, deployment.rolloutState])).toEqual([
      [deploymentId, 'PRIMARY', 'chat:2', 'IN_PROGRESS'],
      [expect.any(String), 'ACTIVE', 'chat:1', 'COMPLETED'],
    ]);
    expect(view.deploymentsInProgress).toEqual([expect.objectContaining({ id: deploymentId, serviceName: 'chat', clusterName: CLUSTER, revision: 'chat:2' })]);
    const row = service?.tasks.find((task) => task.taskArn === draining.taskArn);
    expect(row).toMatchObject({ taskId: draining.taskId, lastStatus: 'RUNNING', drainStatus: 'DRAINING', drainReason: 'DEPLOYMENT', sessions: 3, protectionState: 'PROTECTED', revision: 'chat:1', targetHealth: 'draining' });
    expect(row?.deploymentId).toBe(draining.deploymentId);
    // A new task the registry has not heard of yet: no drain status, no sessions.
    const newTask = service?.tasks.find((task) => task.revision === 'chat:2');
    expect(newTask?.drainStatus).toBeUndefined();
    expect(newTask?.sessions).toBeUndefined();
  });

  it('lists live tasks oldest first, then only the most recently stopped ones', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    // Each replaced task stops: more stopped tasks than the console shows.
    for (let round = 0; round <= STOPPED_TASKS_SHOWN; round += 1) {
      const [task] = runningOf(harness.twin, 'chat');
      harness.twin.crashTask(task!.taskArn);
      await waitFor('a replacement', () => runningOf(harness.twin, 'chat').some((candidate) => candidate.taskArn !== task!.taskArn));
    }

    const [service] = fleetView(harness.twin.snapshot(), new Map(), () => undefined).services;

    const stopped = service!.tasks.filter((task) => task.lastStatus === 'STOPPED');
    expect(service!.tasks[0]?.lastStatus).not.toBe('STOPPED');
    expect(stopped).toHaveLength(STOPPED_TASKS_SHOWN);
    const stoppedAt = stopped.map((task) => Date.parse(task.stoppedAt ?? ''));
    expect(stoppedAt).toEqual([...stoppedAt].sort((a, b) => b - a));
  });
});
