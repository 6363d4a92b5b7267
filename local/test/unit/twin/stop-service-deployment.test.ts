import { describe, expect, it } from 'vitest';
import { apiError, CLUSTER, CLUSTER_ARN, runningOf, startService, startTwin, taskDefinition, type TwinHarness } from './support.js';
import { deploymentEvents, midDeployment, primaryOf, steadyOn } from './rolling-support.js';

/*
 * StopServiceDeployment for a rolling (ECS controller, ROLLING strategy) service, through the API:
 * ListServiceDeployments names the service deployment, ROLLBACK (also the default: the only
 * valid stopType) rolls it back to the last completed revision whether or not the circuit
 * breaker is configured (stop-service-deployment.html), DescribeServiceDeployments shows it
 * ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL once the service is steady on the earlier
 * revision, and the ECS deployment events are SERVICE_DEPLOYMENT_IN_PROGRESS and _COMPLETED of the
 * rollback deployment (ecs_service_deployment_events.html: IN_PROGRESS "is sent for both initial
 * deployments and rollback deployments", told apart by the reason).
 */

const SERVICE_ARN = CLUSTER_ARN.replace(':cluster/', ':service/') + '/chat';

interface ServiceDeployment {
  serviceDeploymentArn: string;
  status: string;
  statusReason?: string;
  targetServiceRevisionArn?: string;
  targetServiceRevision?: { arn: string };
  sourceServiceRevisions?: Array<{ arn: string }>;
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string };
  finishedAt?: number;
}

async function listed(harness: TwinHarness): Promise<ServiceDeployment[]> {
  return ((await harness.twin.api.handle('ListServiceDeployments', { cluster: CLUSTER, service: 'chat' })) as { serviceDeployments: ServiceDeployment[] }).serviceDeployments;
}

async function described(harness: TwinHarness, arn: string): Promise<ServiceDeployment | undefined> {
  return ((await harness.twin.api.handle('DescribeServiceDeployments', { serviceDeploymentArns: [arn] })) as { serviceDeployments: ServiceDeployment[] }).serviceDeployments[0];
}

function revisionArn(deploymentId: string): string {
  return `${CLUSTER_ARN.replace(':cluster/', ':service-revision/')}/chat/${deploymentId.replace('ecs-svc/', '')}`;
}

describe('StopServiceDeployment of a ROLLING deployment, through the API', () => {
  it('rolls the deployment in progress back to the last completed revision: ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL, with the rollback deployment\'s events', async () => {
    // prepare
    const { harness, first, second } = await midDeployment();
    const [inProgress, completed] = await listed(harness);

    // act
    const answer = await harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: inProgress?.serviceDeploymentArn });
    const rollback = primaryOf(harness, 'chat').id;
    const during = await described(harness, inProgress?.serviceDeploymentArn ?? '');
    await steadyOn(harness, 'chat', rollback);
    const after = await described(harness, inProgress?.serviceDeploymentArn ?? '');

    // assert
    expect(inProgress).toMatchObject({ serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, status: 'IN_PROGRESS', targetServiceRevisionArn: revisionArn(second) });
    expect(inProgress?.serviceDeploymentArn).toMatch(new RegExp(`^${CLUSTER_ARN.replace(':cluster/', ':service-deployment/')}/chat/[A-Za-z0-9]{21}$`));
    expect(completed).toMatchObject({ status: 'SUCCESSFUL', targetServiceRevisionArn: revisionArn(first) });
    expect(answer).toEqual({ serviceDeploymentArn: inProgress?.serviceDeploymentArn });
    expect(rollback).not.toBe(second);
    const reason = `ECS deployment ${second} stopped: rolling back to deploymentId ${first}.`;
    expect(during).toMatchObject({
      status: 'ROLLBACK_IN_PROGRESS',
      targetServiceRevision: { arn: revisionArn(second) },
      sourceServiceRevisions: [{ arn: revisionArn(first) }],
      deploymentConfiguration: { strategy: 'ROLLING', minimumHealthyPercent: 100, maximumPercent: 200 },
      rollback: { reason, startedAt: expect.any(Number), serviceRevisionArn: revisionArn(rollback) },
    });
    expect(during?.finishedAt).toBeUndefined();
    expect(after).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', finishedAt: expect.any(Number) });
    expect(deploymentEvents(harness).filter((event) => event.deploymentId !== first)).toEqual([
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: second, reason: `ECS deployment ${second} in progress.` },
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: rollback, reason },
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: rollback, reason: `ECS deployment ${rollback} completed.` },
    ]);
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskDefinitionArn)).toEqual([taskDefinition(1), taskDefinition(1)]);
    expect((await listed(harness)).map((deployment) => deployment.status)).toEqual(['ROLLBACK_SUCCESSFUL', 'SUCCESSFUL']);
  });

  it("in rollbackMode 'reactivate' rolls back to the earlier deployment itself, whose own service deployment stays SUCCESSFUL", async () => {
    // prepare
    const { harness, first } = await midDeployment({ rollbackMode: 'reactivate' });
    const [inProgress] = await listed(harness);

    // act
    await harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: inProgress?.serviceDeploymentArn });
    await steadyOn(harness, 'chat', first);
    const after = await listed(harness);

    // assert
    expect(after.map((deployment) => [deployment.status, deployment.targetServiceRevisionArn])).toEqual([
      ['ROLLBACK_SUCCESSFUL', inProgress?.targetServiceRevisionArn],
      ['SUCCESSFUL', revisionArn(first)],
    ]);
    expect((await described(harness, inProgress?.serviceDeploymentArn ?? ''))?.rollback?.serviceRevisionArn).toBe(revisionArn(first));
  });

  it('continues a rollback already in progress when asked again, starting no second one', async () => {
    // prepare
    const { harness } = await midDeployment();
    const [inProgress] = await listed(harness);
    await harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: inProgress?.serviceDeploymentArn, stopType: 'ROLLBACK' });
    const rollback = primaryOf(harness, 'chat').id;

    // act
    const again = await harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: inProgress?.serviceDeploymentArn, stopType: 'ROLLBACK' });

    // assert
    expect(again).toEqual({ serviceDeploymentArn: inProgress?.serviceDeploymentArn });
    expect(primaryOf(harness, 'chat').id).toBe(rollback);
    expect(deploymentEvents(harness).filter((event) => event.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS')).toHaveLength(3);
  });

  it('refuses ABORT, an ARN ECS does not know, and a service deployment that already finished, changing nothing', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [completed] = await listed(harness);
    const before = primaryOf(harness, 'chat').id;

    // act
    const abort = await apiError(harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: completed?.serviceDeploymentArn, stopType: 'ABORT' }));
    const unknown = await apiError(harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: `${completed?.serviceDeploymentArn ?? ''}x` }));
    const finished = await apiError(harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: completed?.serviceDeploymentArn }));

    // assert
    expect(abort.name).toBe('InvalidParameterException');
    expect(unknown.name).toBe('ServiceDeploymentNotFoundException');
    expect(finished.name).toBe('ConflictException');
    expect(primaryOf(harness, 'chat').id).toBe(before);
    expect(completed?.status).toBe('SUCCESSFUL');
  });

  it('reports a deployment superseded by a newer one as STOPPED, and the circuit breaker\'s rollback as its failed deployment\'s rollback', async () => {
    // prepare
    const { harness } = await midDeployment();
    harness.twin.setTaskDefinitionBehaviour(taskDefinition(3), { failsToStart: true });
    await harness.twin.api.handle('UpdateService', {
      cluster: CLUSTER,
      service: 'chat',
      taskDefinition: 'chat:3',
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });

    // act
    await steadyOn(harness, 'chat', undefined, 8000);
    const [broken, superseded, first] = await listed(harness);

    // assert
    expect(superseded?.status).toBe('STOPPED');
    expect(first?.status).toBe('SUCCESSFUL');
    expect(broken).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', statusReason: expect.stringContaining('circuit breaker') });
    expect(runningOf(harness.twin, 'chat').every((task) => task.taskDefinitionArn === taskDefinition(1))).toBe(true);
  });
});
