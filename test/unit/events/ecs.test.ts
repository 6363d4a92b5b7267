import { describe, expect, it } from 'vitest';
import {
  parseContainerInstanceDraining,
  parseDeploymentEvent,
  parseFargateSpotWarning,
  parseServiceTaskRunning,
  parseTaskStopped,
} from '../../../functions/events/ecs.js';
import { clusterArnOfService } from '../../../functions/events/arns.js';
import { CLUSTER_ARN, taskArn } from '../../support/deps.js';
import {
  CONTAINER_INSTANCE_ARN,
  containerInstanceStateChange,
  deploymentEvent,
  fargateSpotWarning,
  SERVICE_ARN,
  taskStateChange,
  taskStopped,
} from '../../support/ecs-events.js';

function reasonOf(result: { ok: boolean; reason?: string }): string {
  expect(result.ok).toBe(false);
  return result.reason ?? '';
}

describe('deployment state change parser', () => {
  it('reads the deployment and derives the cluster from the long service ARN', () => {
    const result = parseDeploymentEvent(deploymentEvent());

    expect(result).toEqual({
      ok: true,
      event: {
        eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
        deploymentId: 'ecs-svc/0123456789012345678',
        serviceArn: SERVICE_ARN,
        clusterArn: CLUSTER_ARN,
        reason: 'ECS deployment ecs-svc/0123456789012345678 in progress.',
        time: new Date('2026-11-21T09:59:50Z'),
      },
    });
  });

  it('rejects a short-format service ARN, which does not name its cluster', () => {
    const reason = reasonOf(parseDeploymentEvent(deploymentEvent({}, 'arn:aws:ecs:us-east-1:111122223333:service/chat')));

    expect(reason).toContain('does not name its cluster');
  });

  it('rejects an event without a deploymentId', () => {
    const event = deploymentEvent();
    delete (event.detail as Record<string, unknown>).deploymentId;

    expect(reasonOf(parseDeploymentEvent(event))).toContain('detail.deploymentId');
  });

  it('rejects an event of another detail-type', () => {
    expect(reasonOf(parseDeploymentEvent(taskStateChange()))).toContain('detail-type');
  });

  it('maps a long service ARN in another partition to its cluster ARN', () => {
    expect(clusterArnOfService('arn:aws-cn:ecs:cn-north-1:111122223333:service/prod/web')).toBe(
      'arn:aws-cn:ecs:cn-north-1:111122223333:cluster/prod',
    );
  });
});

describe('Fargate Spot warning parser', () => {
  it.each([
    ['stopCode SpotInterruption (current docs)', {}],
    ['stopCode TerminationNotice (AWS sample)', { stopCode: 'TerminationNotice' }],
    ['no stopCode at all', { stopCode: undefined }],
    ['neither stopCode nor stoppedReason on FARGATE_SPOT', { stopCode: undefined, stoppedReason: undefined }],
    ["AWS's trimmed sample without capacityProviderName", { capacityProviderName: undefined, launchType: undefined, stopCode: 'TerminationNotice' }],
  ])('accepts a Spot warning with %s', (_name, overrides) => {
    const result = parseFargateSpotWarning(fargateSpotWarning(overrides));

    expect(result).toEqual({
      ok: true,
      event: {
        kind: 'fargate-spot',
        clusterArn: CLUSTER_ARN,
        taskArn: taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90'),
        group: 'service:chat',
        time: new Date('2026-11-21T09:59:50Z'),
      },
    });
  });

  it.each([
    ['a scale-in', { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)' }, 'ServiceSchedulerInitiated'],
    ['a user stop', { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' }, 'UserInitiated'],
    ['a TerminationNotice on on-demand Fargate', { stopCode: 'TerminationNotice', stoppedReason: 'Task retired', capacityProviderName: 'FARGATE' }, 'not FARGATE_SPOT'],
    ['a TerminationNotice without Spot evidence', { stopCode: 'TerminationNotice', stoppedReason: 'Task retired', capacityProviderName: undefined }, 'not a Spot interruption'],
    ['a bare stop on on-demand Fargate', { stopCode: undefined, stoppedReason: undefined, capacityProviderName: 'FARGATE' }, 'not FARGATE_SPOT'],
    ['a bare stop without a capacity provider', { stopCode: undefined, stoppedReason: undefined, capacityProviderName: undefined }, 'not a Spot interruption'],
    ['a stop with another reason and no code', { stopCode: undefined, stoppedReason: 'Essential container in task exited' }, 'not a Spot interruption'],
    ['a task that already stopped', { lastStatus: 'STOPPED' }, 'already stopped'],
    ['a task that is meant to run', { desiredStatus: 'RUNNING' }, 'desiredStatus is RUNNING'],
  ])('does not take %s for a Spot warning', (_name, overrides, expected) => {
    expect(reasonOf(parseFargateSpotWarning(fargateSpotWarning(overrides)))).toContain(expected);
  });
});

describe('service task running parser', () => {
  it("reads the cluster, the task and the service from the task's group, and its health when ECS reports one", () => {
    const arn = taskArn('00000000000000000000000000000e01');

    const result = parseServiceTaskRunning(taskStateChange({ taskArn: arn, healthStatus: 'HEALTHY' }));

    expect(result).toEqual({ ok: true, event: { clusterArn: CLUSTER_ARN, serviceName: 'chat', taskArn: arn, healthStatus: 'HEALTHY' } });
  });

  it('leaves the health out when ECS reports none', () => {
    expect(parseServiceTaskRunning(taskStateChange())).toEqual({
      ok: true,
      event: { clusterArn: CLUSTER_ARN, serviceName: 'chat', taskArn: taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90') },
    });
  });

  it.each([
    ['a standalone task', { group: 'family:chat' }, 'group "family:chat" is not a service\'s'],
    ['a task without a group', { group: undefined }, 'group "" is not a service\'s'],
    ['a group that names no service', { group: 'service:' }, 'group "service:" is not a service\'s'],
    ['a task still PENDING', { lastStatus: 'PENDING' }, 'the task is PENDING towards RUNNING, not RUNNING'],
    ['a running task ECS is stopping (a Spot warning, a scale-in)', { desiredStatus: 'STOPPED' }, 'the task is RUNNING towards STOPPED, not RUNNING'],
  ])('rejects %s', (_name, detail, reason) => {
    expect(reasonOf(parseServiceTaskRunning(taskStateChange(detail)))).toBe(`ECS Task State Change: ${reason}`);
  });
});

describe('task stopped parser', () => {
  it('accepts a task that reached STOPPED', () => {
    const result = parseTaskStopped(taskStopped());

    expect(result.ok && result.event.detail.version).toBe(6);
  });

  it('rejects a task that is still running', () => {
    expect(reasonOf(parseTaskStopped(fargateSpotWarning()))).toContain('lastStatus is RUNNING');
  });

  it('rejects a version that is not a number', () => {
    expect(reasonOf(parseTaskStopped(taskStopped({ version: '6' })))).toContain('detail.version');
  });

  it('rejects a task ARN that is not one', () => {
    expect(reasonOf(parseTaskStopped(taskStopped({ taskArn: 'task-1' })))).toContain('not an ECS task ARN');
  });
});

describe('container instance state change parser', () => {
  it('accepts an instance set to DRAINING', () => {
    expect(parseContainerInstanceDraining(containerInstanceStateChange())).toEqual({
      ok: true,
      event: {
        clusterArn: CLUSTER_ARN,
        containerInstanceArn: CONTAINER_INSTANCE_ARN,
        ec2InstanceId: 'i-0123456789abcdef0',
        time: new Date('2026-11-21T09:59:50Z'),
      },
    });
  });

  it('rejects an instance that is ACTIVE', () => {
    expect(reasonOf(parseContainerInstanceDraining(containerInstanceStateChange({ status: 'ACTIVE' })))).toContain('status is ACTIVE');
  });
});
