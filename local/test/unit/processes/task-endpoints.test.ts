import { afterEach, describe, expect, it } from 'vitest';
import { TaskEndpoints } from '../../../processes/task-endpoints.js';
import { CLUSTER_ARN, runningOf, startService, startTwin, type TwinHarness } from '../twin/support.js';

const opened: TaskEndpoints[] = [];
afterEach(async () => {
  for (const endpoints of opened.splice(0)) await endpoints.close();
});

async function endpointsFor(harness: TwinHarness): Promise<TaskEndpoints> {
  const endpoints = await TaskEndpoints.start(harness.twin);
  opened.push(endpoints);
  return endpoints;
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Task endpoints of process-mode tasks', () => {
  it('serves each task its own metadata v4 task response, without ServiceName on Fargate as AWS documents', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const [first, second] = runningOf(harness.twin, 'chat');
    const endpoints = await endpointsFor(harness);

    const metadata = await getJson(`${endpoints.environmentFor(first!).ECS_CONTAINER_METADATA_URI_V4}/task`);
    const other = await getJson(`${endpoints.environmentFor(second!).ECS_CONTAINER_METADATA_URI_V4}/task`);

    expect(metadata.status).toBe(200);
    expect(metadata.body).toMatchObject({ Cluster: CLUSTER_ARN, TaskARN: first!.taskArn, Family: 'chat', Revision: '1', KnownStatus: 'RUNNING', DesiredStatus: 'RUNNING', LaunchType: 'FARGATE' });
    expect(metadata.body).not.toHaveProperty('ServiceName');
    expect(other.body.TaskARN).toBe(second!.taskArn);
  });

  it('includes ServiceName for a task on EC2, as agent 1.63.1 and later report it', async () => {
    const harness = startTwin();
    harness.twin.registerContainerInstance('sessions');
    await startService(harness, { name: 'chat', desiredCount: 1, launchType: 'EC2' });
    const [task] = runningOf(harness.twin, 'chat');
    const endpoints = await endpointsFor(harness);

    const metadata = await getJson(`${endpoints.environmentFor(task!).ECS_CONTAINER_METADATA_URI_V4}/task`);

    expect(metadata.body).toMatchObject({ ServiceName: 'chat', LaunchType: 'EC2' });
  });

  it('sets and reads scale-in protection through the agent endpoint, in the agent envelope', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat');
    const endpoints = await endpointsFor(harness);
    const url = `${endpoints.environmentFor(task!).ECS_AGENT_URI}/task-protection/v1/state`;

    const set = await getJson(url, { method: 'PUT', body: JSON.stringify({ ProtectionEnabled: true, ExpiresInMinutes: 30 }) });
    const read = await getJson(url);

    expect(set).toEqual({ status: 200, body: { protection: { ProtectionEnabled: true, ExpirationDate: expect.any(String), TaskArn: task!.taskArn } } });
    expect(read.body).toEqual(set.body);
    expect(harness.twin.snapshot().tasks.find((candidate) => candidate.taskArn === task!.taskArn)?.protection.enabled).toBe(true);
  });

  it('answers a malformed protection request with the agent error envelope and changes nothing', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat');
    const endpoints = await endpointsFor(harness);
    const url = `${endpoints.environmentFor(task!).ECS_AGENT_URI}/task-protection/v1/state`;

    const response = await getJson(url, { method: 'PUT', body: JSON.stringify({ ExpiresInMinutes: 30 }) });

    expect(response).toEqual({ status: 400, body: { error: { Arn: task!.taskArn, Code: 'InvalidRequest', Message: expect.stringContaining('ProtectionEnabled') } } });
    expect(harness.twin.snapshot().tasks.find((candidate) => candidate.taskArn === task!.taskArn)?.protection.enabled).toBe(false);
  });

  it('relays an ECS refusal (a standalone task cannot be protected) as a failure', async () => {
    const harness = startTwin();
    const taskArn = harness.twin.runTask('sessions', { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/batch:1' });
    const task = harness.twin.snapshot().tasks.find((candidate) => candidate.taskArn === taskArn)!;
    const endpoints = await endpointsFor(harness);

    const response = await getJson(`${endpoints.environmentFor(task).ECS_AGENT_URI}/task-protection/v1/state`, {
      method: 'PUT',
      body: JSON.stringify({ ProtectionEnabled: true }),
    });

    expect(response.body).toEqual({ failure: { Arn: taskArn, Reason: 'TASK_NOT_VALID', Detail: expect.anything() } });
  });

  it('answers 404 for a task it does not know', async () => {
    const harness = startTwin();
    const endpoints = await endpointsFor(harness);

    const response = await fetch(`${endpoints.environmentFor({ taskId: 'nope' }).ECS_CONTAINER_METADATA_URI_V4}/task`);

    expect(response.status).toBe(404);
  });
});
