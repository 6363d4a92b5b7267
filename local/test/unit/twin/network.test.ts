import { describe, expect, it } from 'vitest';
import type { TwinTask } from '../../../twin/index.js';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, taskEvents, tasksOf, waitFor } from './support.js';

/*
 * awsvpc networking: every Fargate task has an elastic network interface with a private IPv4
 * address, which DescribeTasks reports as an "ElasticNetworkInterface" attachment and task state
 * change events as an "eni" attachment (API_Attachment.html, ecs_task_events.html samples).
 */

type Described = { tasks: Array<{ attachments: Array<{ type: string; status: string; details: Array<{ name: string; value: string }> }>; containers: Array<{ networkInterfaces?: unknown[] }> }> };

async function describe1(harness: ReturnType<typeof startTwin>, taskArn: string) {
  const described = (await harness.twin.api.handle('DescribeTasks', { cluster: CLUSTER, tasks: [taskArn] })) as Described;
  return described.tasks[0];
}

function detail(details: Array<{ name: string; value: string }> | undefined, name: string): string | undefined {
  return details?.find((entry) => entry.name === name)?.value;
}

describe('task network interfaces (awsvpc)', () => {
  it('reports a Fargate task PRECREATED with its subnet while PROVISIONING, then ATTACHED with its private IPv4 address, in DescribeTasks and in its events', async () => {
    // prepare
    const harness = startTwin();
    harness.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1) });
    const provisioning = await waitFor('a task', () => tasksOf(harness.twin, 'chat')[0]);

    // act
    const early = await describe1(harness, provisioning.taskArn);
    const running = await waitFor('RUNNING', () => runningOf(harness.twin, 'chat')[0]);
    const late = await describe1(harness, running.taskArn);
    const runningEvent = taskEvents(harness.events, running.taskArn).find((event) => event.lastStatus === 'RUNNING');

    // assert
    expect(early?.attachments).toEqual([{ id: expect.any(String), type: 'ElasticNetworkInterface', status: 'PRECREATED', details: [{ name: 'subnetId', value: expect.stringMatching(/^subnet-[0-9a-f]{17}$/) }] }]);
    expect(early?.containers[0]?.networkInterfaces).toEqual([]);
    const attachment = late?.attachments[0];
    expect(attachment).toMatchObject({ type: 'ElasticNetworkInterface', status: 'ATTACHED' });
    expect(attachment?.details.map((entry) => entry.name)).toEqual(['subnetId', 'networkInterfaceId', 'macAddress', 'privateDnsName', 'privateIPv4Address']);
    const address = detail(attachment?.details, 'privateIPv4Address') ?? '';
    expect(address).toMatch(/^10\.0\.\d{1,3}\.\d{1,3}$/);
    expect(detail(attachment?.details, 'networkInterfaceId')).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(detail(attachment?.details, 'macAddress')).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(detail(attachment?.details, 'privateDnsName')).toBe(`ip-${address.replaceAll('.', '-')}.ec2.internal`);
    expect(late?.containers[0]?.networkInterfaces).toEqual([{ attachmentId: expect.any(String), privateIpv4Address: address }]);
    expect(runningEvent?.attachments).toEqual([{ ...attachment, type: 'eni' }]);
    expect(runningEvent?.containers).toMatchObject([{ networkInterfaces: [{ privateIpv4Address: address }] }]);
  });

  it('reports the attachment DELETED, with its address still, once the task is STOPPED', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat') as [TwinTask];

    // act
    await harness.twin.api.handle('StopTask', { cluster: CLUSTER, task: task.taskArn, reason: 'by hand' });
    harness.runtime.twin?.containerExited(task.taskArn, 0);
    await waitFor('STOPPED', () => tasksOf(harness.twin, 'chat').find((candidate) => candidate.taskArn === task.taskArn && candidate.lastStatus === 'STOPPED'));
    const stoppedEvent = taskEvents(harness.events, task.taskArn).find((event) => event.lastStatus === 'STOPPED');

    // assert
    expect(stoppedEvent?.attachments).toMatchObject([{ type: 'eni', status: 'DELETED', details: expect.arrayContaining([{ name: 'privateIPv4Address', value: task.networkInterface?.privateIPv4Address }]) }]);
  });

  it('gives the same addresses to the same seeded scenario, never one address to two live tasks, and none to EC2 (bridge) tasks', async () => {
    // prepare
    const run = async () => {
      const harness = startTwin();
      harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: 'i-0a1b2c3d4e5f60001' });
      harness.twin.createService({ cluster: CLUSTER, name: 'desk', desiredCount: 1, taskDefinition: taskDefinition(1, 'desk'), launchType: 'EC2' });
      await startService(harness, { name: 'chat', desiredCount: 12 });
      await waitFor('the EC2 task', () => runningOf(harness.twin, 'desk')[0]);
      return harness;
    };

    // act
    const first = await run();
    const second = await run();

    // assert
    const addresses = (harness: typeof first) => runningOf(harness.twin, 'chat').map((task) => task.networkInterface?.privateIPv4Address);
    expect(new Set(addresses(first)).size).toBe(12);
    expect(addresses(second)).toEqual(addresses(first));
    const [ec2Task] = runningOf(first.twin, 'desk') as [TwinTask];
    expect(ec2Task.networkInterface).toBeUndefined();
    expect((await describe1(first, ec2Task.taskArn))?.attachments).toEqual([]);
  });
});
