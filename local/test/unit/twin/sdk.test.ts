import { DescribeServicesCommand, ECSClient, ListContainerInstancesCommand, StopTaskCommand, UpdateServiceCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { EcsTwin } from '../../../twin/index.js';
import { twinEndpoint } from './http-endpoint.js';
import { CLUSTER, CLUSTER_ARN, runningOf, startService, startTwin } from './support.js';

/**
 * The real AWS SDK ECSClient against the twin, through the JSON 1.1 adapter the gateway uses:
 * proof that requests and responses (and errors) have the shapes the SDK sends and expects.
 */

async function clientFor(twin: EcsTwin): Promise<ECSClient> {
  return new ECSClient({
    endpoint: await twinEndpoint(twin),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

describe('the twin through the AWS SDK', () => {
  it('round-trips DescribeServices, UpdateTaskProtection and StopTask', async () => {
    const harness = startTwin();
    const serviceArn = await startService(harness, { name: 'chat', desiredCount: 2 });
    const [task] = runningOf(harness.twin, 'chat');
    const ecs = await clientFor(harness.twin);

    const described = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER_ARN, services: [serviceArn, 'ghost'] }));
    const protectedTasks = await ecs.send(
      new UpdateTaskProtectionCommand({ cluster: CLUSTER_ARN, tasks: [task?.taskArn ?? ''], protectionEnabled: true, expiresInMinutes: 60 }),
    );
    const stopped = await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: task?.taskArn, reason: 'ecs-session-drain: DRAINED' }));

    const service = described.services?.[0];
    expect(service).toMatchObject({ serviceArn, serviceName: 'chat', status: 'ACTIVE', desiredCount: 2, runningCount: 2, launchType: 'FARGATE' });
    expect(service?.deployments?.[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 2 });
    expect(service?.deployments?.[0]?.createdAt).toBeInstanceOf(Date);
    expect(described.failures).toEqual([{ arn: `arn:aws:ecs:us-east-1:123456789012:service/${CLUSTER}/ghost`, reason: 'MISSING' }]);
    expect(protectedTasks.protectedTasks?.[0]).toMatchObject({ taskArn: task?.taskArn, protectionEnabled: true });
    expect(protectedTasks.protectedTasks?.[0]?.expirationDate).toBeInstanceOf(Date);
    expect(stopped.task).toMatchObject({ taskArn: task?.taskArn, desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'ecs-session-drain: DRAINED' });
    expect(stopped.task?.stoppingAt).toBeInstanceOf(Date);
  });

  it('surfaces ECS errors by name: ThrottlingException, ServiceNotFoundException, ClusterNotFoundException', async () => {
    const harness = startTwin({ throttling: { ratePerSecond: 0.001, burst: 1 } });
    const ecs = await clientFor(harness.twin);
    const failure = (call: Promise<unknown>) => call.then(() => undefined, (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } });

    await ecs.send(new ListContainerInstancesCommand({ cluster: CLUSTER, filter: 'ec2InstanceId == i-0123456789abcdef0' }));
    const throttled = await failure(ecs.send(new ListContainerInstancesCommand({ cluster: CLUSTER })));
    const noService = await failure(ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'ghost', desiredCount: 1 })));
    const noCluster = await failure(ecs.send(new DescribeServicesCommand({ cluster: 'nowhere', services: ['chat'] })));

    expect(throttled).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect(throttled?.$metadata?.httpStatusCode).toBe(400);
    expect(noService?.name).toBe('ServiceNotFoundException');
    expect(noCluster?.name).toBe('ClusterNotFoundException');
  });
});
