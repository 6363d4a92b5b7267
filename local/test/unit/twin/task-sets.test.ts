import { describe, expect, it } from 'vitest';
import { apiError, CLUSTER, startTwin, taskDefinition, tasksOf, waitFor } from './support.js';

interface TaskSetView {
  id: string;
  taskSetArn: string;
  status: string;
  taskDefinition: string;
  computedDesiredCount: number;
  runningCount: number;
  scale: { value: number; unit: string };
  stabilityStatus: string;
}

describe('EXTERNAL deployment controller', () => {
  it('lets an external controller replace a task set: create, make primary, scale the old one to zero, delete it', async () => {
    const harness = startTwin();
    const api = (operation: string, input: Record<string, unknown>) => harness.twin.api.handle(operation, { cluster: CLUSTER, service: 'chat', ...input });
    await harness.twin.api.handle('CreateService', { cluster: CLUSTER, serviceName: 'chat', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } });
    const { taskSet: blue } = (await api('CreateTaskSet', { taskDefinition: taskDefinition(1), scale: { value: 100, unit: 'PERCENT' } })) as { taskSet: TaskSetView };
    await waitFor('the first task set to run', () => tasksOf(harness.twin, 'chat').filter((task) => task.lastStatus === 'RUNNING').length === 2);

    const { taskSet: green } = (await api('CreateTaskSet', { taskDefinition: taskDefinition(2), externalId: 'release-2' })) as { taskSet: TaskSetView };
    await waitFor('the second task set to run', () => tasksOf(harness.twin, 'chat').filter((task) => task.lastStatus === 'RUNNING').length === 4);
    const greenTasks = tasksOf(harness.twin, 'chat').filter((task) => task.startedBy === green.id);
    const before = greenTasks.map((task) => harness.twin.trafficTarget(task.taskArn).weight);

    await api('UpdateServicePrimaryTaskSet', { primaryTaskSet: green.taskSetArn });
    const after = greenTasks.map((task) => harness.twin.trafficTarget(task.taskArn).weight);
    expect(await apiError(api('DeleteTaskSet', { taskSet: blue.id }))).toMatchObject({ name: 'InvalidParameterException' });
    await api('UpdateTaskSet', { taskSet: blue.id, scale: { value: 0, unit: 'PERCENT' } });
    await waitFor('the old task set to scale in', () => tasksOf(harness.twin, 'chat').filter((task) => task.startedBy === blue.id).every((task) => task.lastStatus === 'STOPPED'));
    await api('DeleteTaskSet', { taskSet: blue.id });
    await waitFor('the old task set to go', () => harness.twin.snapshot().services[0]?.taskSets?.length === 1);

    expect(blue).toMatchObject({ status: 'PRIMARY', taskSetArn: `arn:aws:ecs:us-east-1:123456789012:task-set/${CLUSTER}/chat/${blue.id}`, computedDesiredCount: 2 });
    expect(blue.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(green).toMatchObject({ status: 'ACTIVE', scale: { value: 100, unit: 'PERCENT' } });
    expect(greenTasks.map((task) => [task.startedBy, task.taskDefinitionArn])).toEqual([
      [green.id, taskDefinition(2)],
      [green.id, taskDefinition(2)],
    ]);
    expect(before).toEqual([0, 0]);
    expect(after).toEqual([100, 100]);
    expect(tasksOf(harness.twin, 'chat').filter((task) => task.startedBy === blue.id).map((task) => task.stopCode)).toEqual(['ServiceSchedulerInitiated', 'ServiceSchedulerInitiated']);
    const described = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: ['chat'] })) as { services: Record<string, unknown>[] };
    expect(described.services[0]).toMatchObject({
      deploymentController: { type: 'EXTERNAL' },
      taskDefinition: taskDefinition(2),
      deployments: [],
      taskSets: [{ id: green.id, status: 'PRIMARY', externalId: 'release-2', runningCount: 2, computedDesiredCount: 2, stabilityStatus: 'STEADY_STATE' }],
    });
    expect(await apiError(harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', taskDefinition: taskDefinition(3) }))).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(harness.events.filter((event) => event['detail-type'] === 'ECS Deployment State Change')).toEqual([]);
  });

  it('a CODE_DEPLOY service starts with one task set and refuses UpdateService task definition changes', async () => {
    const harness = startTwin();
    harness.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), deploymentController: 'CODE_DEPLOY' });
    await waitFor('its task to run', () => tasksOf(harness.twin, 'chat').some((task) => task.lastStatus === 'RUNNING'));

    const described = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: ['chat'] })) as { services: Record<string, unknown>[] };
    expect(described.services[0]).toMatchObject({ deploymentController: { type: 'CODE_DEPLOY' }, taskSets: [{ status: 'PRIMARY', startedBy: 'CODE_DEPLOY', computedDesiredCount: 1 }] });
    expect(await apiError(harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', forceNewDeployment: true }))).toMatchObject({ name: 'InvalidParameterException' });
    expect(() => harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2))).toThrow(/CODE_DEPLOY/);
  });
});
