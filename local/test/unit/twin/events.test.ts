import { describe, expect, it } from 'vitest';
import { parseEc2SpotWarning } from '../../../../functions/events/ec2.js';
import { parseContainerInstanceDraining, parseDeploymentEvent, parseFargateSpotWarning, parseTaskStateChange, parseTaskStopped } from '../../../../functions/events/ecs.js';
import { parseSpotWarning } from '../../../../functions/events/spot.js';
import type { EventBridgeEnvelope } from '../../../twin/index.js';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, waitFor } from './support.js';

/**
 * Every kind of event the twin emits, fed through the orchestrator's own parsers: what the
 * handlers accept from AWS they must accept from the twin, and what they reject (a scale-in
 * taken for a Spot warning) they must reject too.
 */
describe('events emitted by the twin', () => {
  async function scenario(): Promise<EventBridgeEnvelope[]> {
    const harness = startTwin();
    harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: 'i-0a1b2c3d4e5f60001' });
    const instanceArn = harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: 'i-0a1b2c3d4e5f60002' });
    harness.twin.createService({ cluster: CLUSTER, name: 'desk', desiredCount: 1, taskDefinition: taskDefinition(1), launchType: 'EC2' });
    await startService(harness, { name: 'voice', desiredCount: 3, capacityProvider: 'FARGATE_SPOT', stopTimeoutSeconds: 10 });
    const [spot, userStopped] = runningOf(harness.twin, 'voice');
    harness.twin.interruptFargateSpot(spot?.taskArn ?? '', 'SpotInterruption');
    await harness.twin.api.handle('StopTask', { cluster: CLUSTER, task: userStopped?.taskArn, reason: 'by hand' });
    harness.twin.setDesiredCount(CLUSTER, 'voice', 1);
    harness.twin.deploy(CLUSTER, 'voice', taskDefinition(2));
    await harness.twin.api.handle('UpdateContainerInstancesState', { cluster: CLUSTER, containerInstances: [instanceArn], status: 'DRAINING' });
    harness.twin.interruptEc2Spot('i-0a1b2c3d4e5f60001');
    await waitFor('the deployment to complete', () => harness.events.some((event) => event.detail.eventName === 'SERVICE_DEPLOYMENT_COMPLETED' && runningOf(harness.twin, 'voice').length === 1));
    await waitFor('the EC2 Spot instance to terminate', () => harness.twin.snapshot().containerInstances.some((instance) => instance.status === 'INACTIVE'));
    await waitFor('the spot task to stop', () => harness.events.some((event) => event.detail.taskArn === spot?.taskArn && event.detail.lastStatus === 'STOPPED'));
    await harness.twin.whenIdle();
    expect(harness.errors).toEqual([]);
    return harness.events;
  }

  it('parse with the handlers parsers, each kind with its own', async () => {
    const events = await scenario();
    const kinds = new Set(events.map((event) => event['detail-type']));

    expect([...kinds].sort()).toEqual([
      'EC2 Spot Instance Interruption Warning',
      'ECS Container Instance State Change',
      'ECS Deployment State Change',
      'ECS Task State Change',
    ]);
    for (const event of events) {
      const kind = event['detail-type'];
      const result =
        kind === 'ECS Task State Change'
          ? parseTaskStateChange(event)
          : kind === 'ECS Deployment State Change'
            ? parseDeploymentEvent(event)
            : kind === 'EC2 Spot Instance Interruption Warning'
              ? parseEc2SpotWarning(event)
              : event.detail.status === 'DRAINING'
                ? parseContainerInstanceDraining(event)
                : { ok: true };
      expect(result, `${kind} ${JSON.stringify(event.detail).slice(0, 200)}`).toMatchObject({ ok: true });
      expect(event).toMatchObject({ version: '0', account: '123456789012', region: 'us-east-1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    }
    expect(events.filter((event) => parseTaskStopped(event).ok).length).toBeGreaterThan(0);
    expect(events.filter((event) => event.source === 'aws.ec2').every((event) => parseSpotWarning(event).ok)).toBe(true);
  });

  it('only the Spot warning passes as a Fargate Spot warning: user stops, scale-in and deployments do not', async () => {
    const events = await scenario();
    const stopping = events.filter((event) => event['detail-type'] === 'ECS Task State Change' && event.detail.desiredStatus === 'STOPPED' && event.detail.lastStatus === 'RUNNING');

    const accepted = stopping.filter((event) => parseFargateSpotWarning(event).ok).map((event) => event.detail.stopCode);

    expect(stopping.map((event) => event.detail.stopCode)).toEqual(expect.arrayContaining(['SpotInterruption', 'UserInitiated', 'ServiceSchedulerInitiated']));
    expect(accepted).toEqual(['SpotInterruption']);
  });

  it('carry a detail.version that rises by exactly one on every change of a task', async () => {
    const events = await scenario();
    const versions = new Map<string, number[]>();
    for (const event of events.filter((candidate) => candidate['detail-type'] === 'ECS Task State Change')) {
      const taskArn = String(event.detail.taskArn);
      versions.set(taskArn, [...(versions.get(taskArn) ?? []), Number(event.detail.version)]);
    }

    expect(versions.size).toBeGreaterThan(5);
    for (const [taskArn, seen] of versions) expect(seen, taskArn).toEqual(seen.map((_, index) => index + 1));
  });

  it('name the service in a deployment event and the instance in a container instance event', async () => {
    const events = await scenario();
    const deployment = events.find((event) => event['detail-type'] === 'ECS Deployment State Change');
    const instance = events.find((event) => event['detail-type'] === 'ECS Container Instance State Change');

    expect(deployment).toMatchObject({
      source: 'aws.ecs',
      resources: [expect.stringMatching(/^arn:aws:ecs:us-east-1:123456789012:service\/sessions\/(desk|voice)$/)],
      detail: { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: expect.stringMatching(/^ecs-svc\/\d{19}$/), reason: expect.stringContaining('in progress') },
    });
    expect(instance?.resources).toEqual([instance?.detail.containerInstanceArn]);
  });
});
