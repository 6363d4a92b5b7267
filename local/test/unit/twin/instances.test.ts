import { describe, expect, it } from 'vitest';
import { parseContainerInstanceDraining } from '../../../../functions/events/ecs.js';
import type { EcsTwinOptions, TwinTask } from '../../../twin/index.js';
import { apiError, CLUSTER, runningOf, serviceSnapshot, startTwin, taskDefinition, tasksOf, waitFor } from './support.js';

const FIRST = 'i-0a1b2c3d4e5f60001';
const SECOND = 'i-0a1b2c3d4e5f60002';

/** Two instances and an EC2 service spread over them, one task on each. */
async function fleet(options: Partial<EcsTwinOptions> = {}) {
  const harness = startTwin(options);
  const drainingArn = harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: FIRST });
  const otherArn = harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: SECOND });
  harness.twin.createService({ cluster: CLUSTER, name: 'desk', desiredCount: 2, taskDefinition: taskDefinition(1), launchType: 'EC2' });
  await waitFor('two tasks', () => runningOf(harness.twin, 'desk').length === 2);
  // A steady service: tasks that have not passed their health checks yet would go at once.
  await waitFor('a steady state', () => serviceSnapshot(harness.twin, 'desk').deployments[0]?.rolloutState === 'COMPLETED');
  const onDraining = runningOf(harness.twin, 'desk').find((task) => task.containerInstanceArn === drainingArn) as TwinTask;
  return { harness, drainingArn, otherArn, onDraining };
}

describe('container instance draining', () => {
  it('emits the DRAINING event, starts replacements elsewhere first, then stops the tasks on the instance', async () => {
    const { harness, drainingArn, otherArn, onDraining } = await fleet();
    const order: string[] = [];
    harness.twin.onChange((change) => {
      if (change.kind !== 'task') return;
      if (change.task.taskArn === onDraining.taskArn && change.task.desiredStatus === 'STOPPED' && change.previous?.desiredStatus === 'RUNNING') order.push('stop');
      if (change.task.taskArn !== onDraining.taskArn && change.task.lastStatus === 'RUNNING' && change.previous?.lastStatus === 'PENDING') order.push('replacement running');
    });

    const response = (await harness.twin.api.handle('UpdateContainerInstancesState', { cluster: CLUSTER, containerInstances: [drainingArn], status: 'DRAINING' })) as {
      containerInstances: { status: string; version: number }[];
    };
    await waitFor('the drained task to stop', () => tasksOf(harness.twin, 'desk').find((task) => task.taskArn === onDraining.taskArn)?.lastStatus === 'STOPPED');

    expect(response.containerInstances[0]).toMatchObject({ status: 'DRAINING', version: 2 });
    const event = harness.events.find((candidate) => candidate['detail-type'] === 'ECS Container Instance State Change' && candidate.detail.status === 'DRAINING');
    expect(event?.detail).toMatchObject({ containerInstanceArn: drainingArn, ec2InstanceId: FIRST, status: 'DRAINING', version: 2, agentConnected: true });
    expect(parseContainerInstanceDraining(event)).toMatchObject({ ok: true, event: { containerInstanceArn: drainingArn } });
    expect(order).toEqual(['replacement running', 'stop']);
    expect(harness.runtime.sigterms.map((sigterm) => [sigterm.task.taskArn, sigterm.info.reason])).toEqual([[onDraining.taskArn, 'InstanceDraining']]);
    expect(runningOf(harness.twin, 'desk').every((task) => task.containerInstanceArn === otherArn)).toBe(true);
  });

  it('by default stops a protected task on a draining instance too, as AWS documents no exception', async () => {
    const { harness, drainingArn, onDraining } = await fleet();
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [onDraining.taskArn], protectionEnabled: true });

    await harness.twin.api.handle('UpdateContainerInstancesState', { cluster: CLUSTER, containerInstances: [drainingArn], status: 'DRAINING' });
    await waitFor('the protected task to be stopped', () => tasksOf(harness.twin, 'desk').find((task) => task.taskArn === onDraining.taskArn)?.desiredStatus === 'STOPPED');
  });

  it('with drainingHonoursProtection keeps a protected task until its protection is released', async () => {
    const { harness, drainingArn, onDraining } = await fleet({ drainingHonoursProtection: true });
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [onDraining.taskArn], protectionEnabled: true });

    await harness.twin.api.handle('UpdateContainerInstancesState', { cluster: CLUSTER, containerInstances: [drainingArn], status: 'DRAINING' });
    await waitFor('the replacement to run', () => runningOf(harness.twin, 'desk').length === 3);
    await new Promise((resolve) => setTimeout(resolve, harness.clock.ms(10)));
    const held = tasksOf(harness.twin, 'desk').find((task) => task.taskArn === onDraining.taskArn);
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [onDraining.taskArn], protectionEnabled: false });
    await waitFor('the released task to stop', () => tasksOf(harness.twin, 'desk').find((task) => task.taskArn === onDraining.taskArn)?.lastStatus === 'STOPPED');

    expect(held?.desiredStatus).toBe('RUNNING');
  });

  it('places no new task on a DRAINING instance, and places again once it is ACTIVE', async () => {
    const { harness, drainingArn, otherArn } = await fleet();
    await harness.twin.api.handle('UpdateContainerInstancesState', { cluster: CLUSTER, containerInstances: [drainingArn], status: 'DRAINING' });
    // The drained task goes once its replacement on the other instance passed its health checks.
    await waitFor(
      'both tasks on the other instance',
      () => runningOf(harness.twin, 'desk').filter((task) => task.containerInstanceArn === otherArn).length === 2 && runningOf(harness.twin, 'desk').length === 2,
    );

    await harness.twin.api.handle('UpdateContainerInstancesState', { cluster: CLUSTER, containerInstances: [drainingArn], status: 'ACTIVE' });
    harness.twin.setDesiredCount(CLUSTER, 'desk', 3);
    await waitFor('a third task', () => runningOf(harness.twin, 'desk').length === 3);

    expect(runningOf(harness.twin, 'desk').filter((task) => task.containerInstanceArn === drainingArn)).toHaveLength(1);
  });
});

describe('container instance API', () => {
  it('finds an instance by the ec2InstanceId filter the orchestrator sends, and describes it', async () => {
    const { harness, drainingArn } = await fleet();

    const listed = (await harness.twin.api.handle('ListContainerInstances', { cluster: CLUSTER, filter: `ec2InstanceId == ${FIRST}` })) as { containerInstanceArns: string[] };
    const none = (await harness.twin.api.handle('ListContainerInstances', { cluster: CLUSTER, filter: 'ec2InstanceId == i-00000000000000000' })) as { containerInstanceArns: string[] };
    const described = (await harness.twin.api.handle('DescribeContainerInstances', { cluster: CLUSTER, containerInstances: [drainingArn, 'deadbeef'] })) as {
      containerInstances: Record<string, unknown>[];
      failures: unknown[];
    };

    expect(listed.containerInstanceArns).toEqual([drainingArn]);
    expect(none.containerInstanceArns).toEqual([]);
    expect(described.containerInstances[0]).toMatchObject({
      containerInstanceArn: drainingArn,
      ec2InstanceId: FIRST,
      status: 'ACTIVE',
      agentConnected: true,
      runningTasksCount: 1,
      pendingTasksCount: 0,
      version: 1,
    });
    expect(described.failures).toEqual([{ arn: 'deadbeef', reason: 'MISSING' }]);
  });

  it('refuses a status other than ACTIVE or DRAINING, and a filter it does not understand', async () => {
    const { harness, drainingArn } = await fleet();

    const status = await apiError(harness.twin.api.handle('UpdateContainerInstancesState', { cluster: CLUSTER, containerInstances: [drainingArn], status: 'INACTIVE' }));
    const filter = await apiError(harness.twin.api.handle('ListContainerInstances', { cluster: CLUSTER, filter: 'attribute:ecs.os-type == linux' }));

    expect(status.name).toBe('InvalidParameterException');
    expect(filter.name).toBe('InvalidParameterException');
  });
});
