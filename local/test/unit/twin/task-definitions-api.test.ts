import { describe, expect, it } from 'vitest';
import { ACCOUNT, apiError, CLUSTER, CLUSTER_ARN, REGION, runningOf, serviceSnapshot, startTwin, taskDefinition, waitFor } from './support.js';

/*
 * What a person types first against the twin: list-clusters, register-task-definition,
 * describe-task-definition, list-task-definitions, then create-service / update-service naming
 * the new revision. Shapes from the ECS API reference (API_ListClusters, API_RegisterTaskDefinition,
 * API_DescribeTaskDefinition, API_ListTaskDefinitions, API_TaskDefinition).
 */

const CONTAINER = { name: 'app', image: 'public.ecr.aws/docker/library/node:22', essential: true, portMappings: [{ containerPort: 8080, protocol: 'tcp' }], stopTimeout: 90 };
const FARGATE_REVISION = { family: 'lobby', containerDefinitions: [CONTAINER], networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512' };

describe('ListClusters', () => {
  it('lists every cluster by ARN and pages by maxResults and nextToken', async () => {
    const harness = startTwin();
    harness.twin.createCluster('batch');
    harness.twin.createCluster('voice');

    const all = await harness.twin.api.handle('ListClusters', {});
    const first = (await harness.twin.api.handle('ListClusters', { maxResults: 2 })) as { clusterArns: string[]; nextToken: string };
    const rest = await harness.twin.api.handle('ListClusters', { maxResults: 2, nextToken: first.nextToken });
    const tooMany = await apiError(harness.twin.api.handle('ListClusters', { maxResults: 101 }));

    expect(all).toEqual({ clusterArns: [CLUSTER_ARN, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/batch`, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/voice`] });
    expect(first.clusterArns).toEqual([CLUSTER_ARN, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/batch`]);
    expect(rest).toEqual({ clusterArns: [`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/voice`] });
    expect(tooMany.name).toBe('InvalidParameterException');
  });
});

describe('RegisterTaskDefinition', () => {
  it('registers revision 1 of a new family and answers the TaskDefinition with its tags', async () => {
    const harness = startTwin();

    const registered = await harness.twin.api.handle('RegisterTaskDefinition', { ...FARGATE_REVISION, tags: [{ key: 'team', value: 'games' }] });

    expect(registered).toEqual({
      taskDefinition: {
        taskDefinitionArn: taskDefinition(1, 'lobby'),
        family: 'lobby',
        revision: 1,
        status: 'ACTIVE',
        containerDefinitions: [CONTAINER],
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        compatibilities: ['EC2', 'FARGATE'],
        cpu: '256',
        memory: '512',
        volumes: [],
        placementConstraints: [],
        requiresAttributes: [],
        registeredAt: expect.any(Number),
      },
      tags: [{ key: 'team', value: 'games' }],
    });
  });

  it('numbers the next revision after the highest one the account has, so chat:4 follows the harness chat:1-3', async () => {
    const harness = startTwin();

    const first = (await harness.twin.api.handle('RegisterTaskDefinition', { family: 'chat', containerDefinitions: [CONTAINER] })) as { taskDefinition: Record<string, unknown> };
    const second = (await harness.twin.api.handle('RegisterTaskDefinition', { family: 'chat', containerDefinitions: [CONTAINER] })) as { taskDefinition: Record<string, unknown> };

    expect([first.taskDefinition.taskDefinitionArn, second.taskDefinition.taskDefinitionArn]).toEqual([taskDefinition(4), taskDefinition(5)]);
    // Without networkMode ECS uses bridge, which Fargate cannot run.
    expect(first.taskDefinition).toMatchObject({ networkMode: 'bridge', compatibilities: ['EC2'] });
  });

  it('refuses what ECS refuses with ClientException, and registers nothing then', async () => {
    const harness = startTwin();

    const errors = await Promise.all([
      apiError(harness.twin.api.handle('RegisterTaskDefinition', { family: 'bad family', containerDefinitions: [CONTAINER] })),
      apiError(harness.twin.api.handle('RegisterTaskDefinition', { family: 'lobby', containerDefinitions: [] })),
      apiError(harness.twin.api.handle('RegisterTaskDefinition', { family: 'lobby', containerDefinitions: [{ name: 'app' }] })),
      apiError(harness.twin.api.handle('RegisterTaskDefinition', { ...FARGATE_REVISION, networkMode: 'bridge' })),
      apiError(harness.twin.api.handle('RegisterTaskDefinition', { ...FARGATE_REVISION, cpu: undefined })),
      apiError(harness.twin.api.handle('RegisterTaskDefinition', { ...FARGATE_REVISION, containerDefinitions: [{ ...CONTAINER, stopTimeout: 121 }] })),
    ]);
    const missingFamily = await apiError(harness.twin.api.handle('RegisterTaskDefinition', { containerDefinitions: [CONTAINER] }));
    const listed = await harness.twin.api.handle('ListTaskDefinitions', { familyPrefix: 'lobby' });

    expect(errors.map((error) => [error.name, error.statusCode])).toEqual(Array(6).fill(['ClientException', 400]));
    expect(errors[0]?.message).toBe('Family contains invalid characters.');
    expect(errors[5]?.message).toMatch(/max stopTimeout value is 120 seconds/);
    expect(missingFamily.name).toBe('InvalidParameterException');
    expect(listed).toEqual({ taskDefinitionArns: [] });
  });
});

describe('DescribeTaskDefinition and ListTaskDefinitions', () => {
  it('describes a revision by family, family:revision or ARN, with tags only when asked, and an unknown one as ClientException', async () => {
    const harness = startTwin();
    await harness.twin.api.handle('RegisterTaskDefinition', { ...FARGATE_REVISION, tags: [{ key: 'team', value: 'games' }] });
    await harness.twin.api.handle('RegisterTaskDefinition', { ...FARGATE_REVISION, cpu: '512', memory: '1024' });

    const latest = (await harness.twin.api.handle('DescribeTaskDefinition', { taskDefinition: 'lobby' })) as { taskDefinition: Record<string, unknown> };
    const first = await harness.twin.api.handle('DescribeTaskDefinition', { taskDefinition: 'lobby:1', include: ['TAGS'] });
    const byArn = (await harness.twin.api.handle('DescribeTaskDefinition', { taskDefinition: taskDefinition(1, 'lobby') })) as Record<string, unknown>;
    const unknown = await apiError(harness.twin.api.handle('DescribeTaskDefinition', { taskDefinition: 'lobby:3' }));

    expect(latest).toEqual({ taskDefinition: expect.objectContaining({ taskDefinitionArn: taskDefinition(2, 'lobby'), revision: 2, cpu: '512', memory: '1024' }) });
    expect(first).toMatchObject({ taskDefinition: { revision: 1, cpu: '256' }, tags: [{ key: 'team', value: 'games' }] });
    expect(Object.keys(byArn)).toEqual(['taskDefinition']);
    expect(unknown).toMatchObject({ name: 'ClientException', message: 'Unable to describe task definition.', statusCode: 400 });
  });

  it('lists revisions by family name then revision, DESC reversed, filtered by the full family name and paged', async () => {
    const harness = startTwin();
    await harness.twin.api.handle('RegisterTaskDefinition', FARGATE_REVISION);
    await harness.twin.api.handle('RegisterTaskDefinition', { ...FARGATE_REVISION, family: 'arena' });

    const ascending = await harness.twin.api.handle('ListTaskDefinitions', {});
    const descending = await harness.twin.api.handle('ListTaskDefinitions', { sort: 'DESC' });
    const chat = (await harness.twin.api.handle('ListTaskDefinitions', { familyPrefix: 'chat', maxResults: 2 })) as { taskDefinitionArns: string[]; nextToken: string };
    const chatRest = await harness.twin.api.handle('ListTaskDefinitions', { familyPrefix: 'chat', maxResults: 2, nextToken: chat.nextToken });
    const prefixOnly = await harness.twin.api.handle('ListTaskDefinitions', { familyPrefix: 'ch' });
    const inactive = await harness.twin.api.handle('ListTaskDefinitions', { status: 'INACTIVE' });
    const badSort = await apiError(harness.twin.api.handle('ListTaskDefinitions', { sort: 'NEWEST' }));

    const order = [taskDefinition(1, 'arena'), taskDefinition(1), taskDefinition(2), taskDefinition(3), taskDefinition(1, 'lobby')];
    expect(ascending).toEqual({ taskDefinitionArns: order });
    expect(descending).toEqual({ taskDefinitionArns: [...order].reverse() });
    expect(chat.taskDefinitionArns).toEqual([taskDefinition(1), taskDefinition(2)]);
    expect(chatRest).toEqual({ taskDefinitionArns: [taskDefinition(3)] });
    expect(prefixOnly).toEqual({ taskDefinitionArns: [] });
    expect(inactive).toEqual({ taskDefinitionArns: [] });
    expect(badSort.name).toBe('InvalidParameterException');
  });
});

describe('services naming registered revisions', () => {
  it('refuses CreateService and UpdateService for a revision nobody registered with ClientException "TaskDefinition not found.", changing nothing', async () => {
    const harness = startTwin();
    await harness.twin.api.handle('CreateService', { cluster: CLUSTER, serviceName: 'chat', taskDefinition: 'chat:1', desiredCount: 1 });

    const create = await apiError(harness.twin.api.handle('CreateService', { cluster: CLUSTER, serviceName: 'lobby', taskDefinition: 'lobby:1', desiredCount: 1 }));
    const update = await apiError(harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', taskDefinition: 'chat:9', desiredCount: 3 }));
    const byArn = await apiError(harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', taskDefinition: taskDefinition(9) }));

    for (const error of [create, update, byArn]) expect(error).toMatchObject({ name: 'ClientException', message: 'TaskDefinition not found.', statusCode: 400 });
    expect(harness.twin.snapshot().services.map((service) => service.serviceName)).toEqual(['chat']);
    expect(serviceSnapshot(harness.twin, 'chat')).toMatchObject({ desiredCount: 1, deployments: [{ taskDefinitionArn: taskDefinition(1) }] });
  });

  it('runs a service created from a registered revision, with its stopTimeout, and deploys the next one registered after it', async () => {
    const harness = startTwin();
    await harness.twin.api.handle('RegisterTaskDefinition', FARGATE_REVISION);
    await harness.twin.api.handle('CreateService', { cluster: CLUSTER, serviceName: 'lobby', taskDefinition: 'lobby', desiredCount: 2, launchType: 'FARGATE' });
    await waitFor('two lobby tasks running', () => runningOf(harness.twin, 'lobby').length === 2);
    await harness.twin.api.handle('RegisterTaskDefinition', FARGATE_REVISION);

    const updated = (await harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'lobby', taskDefinition: 'lobby:2' })) as { service: Record<string, unknown> };
    await waitFor('the lobby:2 tasks running', () => runningOf(harness.twin, 'lobby').filter((task) => task.taskDefinitionArn === taskDefinition(2, 'lobby')).length === 2, 5000);

    expect(serviceSnapshot(harness.twin, 'lobby').stopTimeoutSeconds).toBe(90);
    expect(updated.service).toMatchObject({ taskDefinition: taskDefinition(2, 'lobby'), deployments: [{ status: 'PRIMARY', taskDefinition: taskDefinition(2, 'lobby') }, { status: 'ACTIVE', taskDefinition: taskDefinition(1, 'lobby') }] });
  });
});
