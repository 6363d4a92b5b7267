import { describe, expect, it } from 'vitest';
import { identityFromMetadata, readTaskMetadata } from '../../src/metadata.js';
import { SessionAgent, SessionAgentConfigError, TaskMetadataError } from '../../src/index.js';
import { CLUSTER_ARN, fargateTaskMetadata, TASK_ARN } from './support/fake-ecs-endpoints.js';
import { agentWorldPerTest, recordingLogger } from './support/harness.js';

describe('task discovery from the ECS task metadata endpoint v4', () => {
  const newAgentWorld = agentWorldPerTest();

  it('reads the task ARN, cluster, task definition, zone and launch type of a Fargate task', async () => {
    const world = await newAgentWorld();

    const agent = await world.start({ serviceName: 'chat' });

    expect(agent.task).toEqual({
      taskArn: TASK_ARN,
      clusterArn: CLUSTER_ARN,
      serviceName: 'chat',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:7',
      availabilityZone: 'us-east-1a',
      launchType: 'FARGATE',
    });
    expect(world.endpoints.requests.filter((request) => request.path === '/v4/container-1/task')).toHaveLength(1);
  });

  it('expands a short cluster name into the ARN the registry index is keyed on', () => {
    const identity = identityFromMetadata(fargateTaskMetadata({ Cluster: 'sessions' }));

    expect(identity.clusterArn).toBe(CLUSTER_ARN);
  });

  it('takes the service name from the metadata, else from SESSION_AGENT_SERVICE_NAME, and an explicit option over both', () => {
    const withService = fargateTaskMetadata({ ServiceName: 'from-metadata' });

    expect(identityFromMetadata(withService, { fallbackServiceName: 'from-env' }).serviceName).toBe('from-metadata');
    expect(identityFromMetadata(fargateTaskMetadata(), { fallbackServiceName: 'from-env' }).serviceName).toBe('from-env');
    expect(identityFromMetadata(withService, { serviceName: 'explicit', fallbackServiceName: 'from-env' }).serviceName).toBe('explicit');
    expect(identityFromMetadata(fargateTaskMetadata()).serviceName).toBeUndefined();
  });

  it('uses SESSION_AGENT_SERVICE_NAME from the environment when the metadata has no ServiceName', async () => {
    const world = await newAgentWorld();

    const agent = await world.start({ env: { SESSION_AGENT_SERVICE_NAME: 'chat-env' } });

    expect(agent.task.serviceName).toBe('chat-env');
    expect(world.registry.task(TASK_ARN)).toMatchObject({ serviceName: 'chat-env', serviceTask: `chat-env#${TASK_ARN}` });
  });

  it('retries a metadata endpoint that is not ready yet', async () => {
    const world = await newAgentWorld();
    let calls = 0;
    world.endpoints.respondToMetadata(() => {
      calls += 1;
      return calls < 3 ? { status: 500, body: 'starting' } : { status: 200, body: fargateTaskMetadata() };
    });

    const document = await readTaskMetadata({ metadataUri: world.endpoints.metadataUri, fetch, timeoutMs: 500, backoff: { initialMs: 10, maxMs: 20 } });

    expect(document.TaskARN).toBe(TASK_ARN);
    expect(calls).toBe(3);
  });

  it('gives up with TaskMetadataError when the endpoint never answers with a task', async () => {
    const world = await newAgentWorld();
    world.endpoints.respondToMetadata(() => ({ status: 503, body: 'unavailable' }));

    const reading = readTaskMetadata({ metadataUri: world.endpoints.metadataUri, fetch, timeoutMs: 500, attempts: 2, backoff: { initialMs: 10, maxMs: 20 } });

    await expect(reading).rejects.toBeInstanceOf(TaskMetadataError);
  });

  it('refuses a metadata document without a task ARN', async () => {
    const world = await newAgentWorld();
    world.endpoints.respondToMetadata(() => ({ status: 200, body: { Cluster: 'sessions' } }));

    await expect(world.start()).rejects.toMatchObject({ name: 'TaskMetadataError' });
    expect(world.registry.calls('Update')).toHaveLength(0);
  });

  it.each([
    ['no registry table', { metadataUri: 'http://127.0.0.1:9/v4/x' }, /SESSION_REGISTRY_TABLE/],
    ['no metadata endpoint (not in ECS)', { tableName: 'registry' }, /ECS_CONTAINER_METADATA_URI_V4/],
    ['agent protection without ECS_AGENT_URI', { tableName: 'registry', metadataUri: 'http://127.0.0.1:9/v4/x', protection: 'agent' as const }, /ECS_AGENT_URI/],
    ['a protection window beyond 2,880 minutes', { tableName: 'registry', metadataUri: 'http://127.0.0.1:9/v4/x', protectionMinutes: 3000 }, /protectionMinutes/],
    ['a zero poll interval', { tableName: 'registry', metadataUri: 'http://127.0.0.1:9/v4/x', drainPollSeconds: 0 }, /drainPollSeconds/],
  ])('throws SessionAgentConfigError for %s, before any call', async (_label, options, message) => {
    const { logger } = recordingLogger();

    const starting = SessionAgent.start({ env: {}, logger, handleSignals: false, ...options });

    await expect(starting).rejects.toBeInstanceOf(SessionAgentConfigError);
    await expect(starting).rejects.toThrow(message);
  });
});
