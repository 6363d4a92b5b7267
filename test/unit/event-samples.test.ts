import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { armDrainWaitInputSchema } from '../../functions/core/workflow/arm-drain-wait.js';
import { capacityInputSchema } from '../../functions/core/workflow/replacement-capacity.js';
import { parseDrainControlRequest } from '../../functions/core/drain/control.js';
import { recordDrainInputSchema } from '../../functions/core/workflow/record-drain.js';
import { stopDrainedTaskInputSchema } from '../../functions/core/workflow/stop-drained-task.js';
import { parseStreamRecord } from '../../functions/core/registry-stream/transitions.js';
import { parseTerminateLifecycleAction } from '../../functions/events/autoscaling.js';
import { parseRebalanceRecommendation } from '../../functions/events/ec2.js';
import { parseScheduledMaintenance } from '../../functions/events/health.js';
import { parseContainerInstanceDraining, parseDeploymentEvent, parseServiceTaskRunning, parseTaskStopped } from '../../functions/events/ecs.js';
import { parseSpotWarning } from '../../functions/events/spot.js';
import { loadConfig } from '../../functions/shared/config.js';

/*
 * The samples in events/ are what `sam local invoke -e` feeds the functions, and what the
 * event-pattern tests send through EventBridge; here each one is read by the parser of the
 * function it is meant for, so that a sample the code would reject cannot sit in events/.
 */

const EVENTS_DIR = fileURLToPath(new URL('../../events', import.meta.url));

function sample(file: string): unknown {
  return JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8'));
}

describe('events/ samples', () => {
  it.each([
    'fargate-spot-warning-termination-notice.json',
    'fargate-spot-warning-spot-interruption.json',
    'fargate-spot-warning-no-stop-code.json',
    'ec2-spot-interruption-warning.json',
  ])('%s is a Spot warning to SpotInterruptionFunction', (file) => {
    const result = parseSpotWarning(sample(file));

    expect(result).toMatchObject({ ok: true });
  });

  it.each(['negative/fargate-scale-in-stop.json', 'negative/fargate-spot-scale-in-stop.json', 'task-running.json', 'negative/standalone-task-running.json'])(
    '%s is refused as a Spot warning even if a rule delivered it',
    (file) => {
      const result = parseSpotWarning(sample(file));

      expect(result).toMatchObject({ ok: false });
    },
  );

  it('task-stopped.json is a stop to TaskStoppedFunction', () => {
    expect(parseTaskStopped(sample('task-stopped.json'))).toMatchObject({ ok: true, event: { detail: { lastStatus: 'STOPPED' } } });
  });

  it('task-running.json is a RUNNING service task to DeploymentPacerFunction', () => {
    expect(parseServiceTaskRunning(sample('task-running.json'))).toEqual({
      ok: true,
      event: {
        clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions',
        serviceName: 'chat-gateway',
        taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c',
      },
    });
  });

  it('negative/standalone-task-running.json is a RUNNING task of no service, which the pacer refuses', () => {
    expect(parseServiceTaskRunning(sample('negative/standalone-task-running.json'))).toEqual({
      ok: false,
      reason: 'ECS Task State Change: group "family:chat-gateway" is not a service\'s',
    });
  });

  it('negative/other-cluster-task-running.json is a RUNNING service task of the batch cluster (refused by scope, not by shape)', () => {
    expect(parseServiceTaskRunning(sample('negative/other-cluster-task-running.json'))).toMatchObject({
      ok: true,
      event: { clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/batch', serviceName: 'chat-gateway' },
    });
  });

  it('deployment-completed.json is a completed deployment of the sessions cluster', () => {
    expect(parseDeploymentEvent(sample('deployment-completed.json'))).toMatchObject({
      ok: true,
      event: { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions' },
    });
  });

  it('deployment-in-progress.json is an in-progress deployment of the sessions cluster', () => {
    const result = parseDeploymentEvent(sample('deployment-in-progress.json'));

    expect(result).toMatchObject({
      ok: true,
      event: { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions' },
    });
  });

  it('container-instance-draining.json is a draining container instance', () => {
    expect(parseContainerInstanceDraining(sample('container-instance-draining.json'))).toMatchObject({ ok: true });
    expect(parseContainerInstanceDraining(sample('negative/container-instance-active.json'))).toMatchObject({ ok: false });
  });

  it('autoscaling-terminate-lifecycle-action.json is a terminate lifecycle action to LifecycleTerminateFunction', () => {
    expect(parseTerminateLifecycleAction(sample('autoscaling-terminate-lifecycle-action.json'))).toEqual({
      ok: true,
      event: {
        token: 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        groupName: 'sessions-asg',
        hookName: 'ecs-session-drain',
        instanceId: 'i-0a1b2c3d4e5f67890',
        origin: 'AutoScalingGroup',
        destination: 'EC2',
        time: new Date('2026-03-02T10:10:00Z'),
      },
    });
  });

  it('negative/ecs-managed-draining-lifecycle-action.json parses, and is ECS managed draining\'s own hook (the rule leaves it out)', () => {
    expect(parseTerminateLifecycleAction(sample('negative/ecs-managed-draining-lifecycle-action.json'))).toMatchObject({ ok: true, event: { hookName: 'ecs-managed-draining-termination-hook' } });
  });

  it('ec2-scheduled-instance-retirement.json is a scheduled retirement to ScheduledMaintenanceFunction, its HTTP-date start read', () => {
    expect(parseScheduledMaintenance(sample('ec2-scheduled-instance-retirement.json'))).toEqual({
      ok: true,
      event: {
        eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
        eventArn: 'arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_0a1b2c3d',
        startTime: new Date('2026-03-16T10:00:00Z'),
        instanceIds: ['i-0a1b2c3d4e5f67890'],
        time: new Date('2026-03-02T10:15:00Z'),
      },
    });
  });

  it('negative/ec2-scheduled-network-maintenance.json is refused: a network maintenance of the host leaves the instance running', () => {
    expect(parseScheduledMaintenance(sample('negative/ec2-scheduled-network-maintenance.json'))).toEqual({
      ok: false,
      reason: 'AWS Health Event: AWS_EC2_DEDICATED_HOST_NETWORK_MAINTENANCE_SCHEDULED does not take an instance away',
    });
  });

  it('ec2-rebalance-recommendation.json is a rebalance recommendation', () => {
    expect(parseRebalanceRecommendation(sample('ec2-rebalance-recommendation.json'))).toMatchObject({ ok: true });
  });

  it('registry-stream-sessions-drained.json carries a task record whose session count fell to zero', () => {
    const records = (sample('registry-stream-sessions-drained.json') as { Records: unknown[] }).Records;
    const parsed = records.map((record) => parseStreamRecord(record));

    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ kind: 'task' });
    const record = (parsed[0] as { kind: 'task'; record: { oldImage?: { sessionCount: number }; newImage?: { sessionCount: number } } }).record;
    expect(record.oldImage?.sessionCount).toBe(1);
    expect(record.newImage?.sessionCount).toBe(0);
  });

  it.each(['drain-control-drain.json', 'drain-control-cancel.json', 'drain-control-force-stop.json'])(
    '%s is a request DrainControlFunction accepts',
    (file) => {
      const config = loadConfig({ TABLE_NAME: 'registry', CLUSTER_ARNS: 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions' });

      const result = parseDrainControlRequest(sample(file), { config, now: () => new Date() });

      expect(result).not.toHaveProperty('error');
    },
  );

  it.each([
    ['record-drain.json', recordDrainInputSchema],
    ['launch-replacement.json', capacityInputSchema],
    ['arm-drain-wait.json', armDrainWaitInputSchema],
    ['stop-task.json', stopDrainedTaskInputSchema],
    ['release-replacement.json', capacityInputSchema],
  ] as const)('%s is a valid input of its workflow step', (file, schema) => {
    const result = schema.safeParse(sample(file));

    expect(result.error).toBeUndefined();
  });

  it('checks every sample that is not an EventBridge event here (test/integration/event-patterns reads the rest)', () => {
    const files = readdirSync(EVENTS_DIR, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.json'));
    const direct = files.filter((file) => !Object.hasOwn(sample(file) as object, 'detail-type'));

    expect(direct.sort()).toEqual(
      [
        'registry-stream-sessions-drained.json',
        'drain-control-drain.json',
        'drain-control-cancel.json',
        'drain-control-force-stop.json',
        'record-drain.json',
        'launch-replacement.json',
        'arm-drain-wait.json',
        'stop-task.json',
        'release-replacement.json',
      ].sort(),
    );
  });
});
