import { describe, expect, it } from 'vitest';
import type { TwinTask } from '../../../twin/index.js';
import { CLUSTER, runningOf, startTwin, taskEvents, type TwinHarness, waitFor } from './support.js';

/*
 * How ECS registers an EC2 service task with its load balancer, per the task definition's
 * networkMode (alb.html, nlb.html, networking-networkmode-bridge.html): bridge (the default) as an
 * `instance` target on a dynamic host port, host as an `instance` target on the container port,
 * awsvpc as an `ip` target. The host port is the one DescribeTasks and the task's state change
 * event report in the container's networkBindings once RUNNING (API_NetworkBinding).
 */

const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/desk/73e2d6bc24d8a067';
const LOAD_BALANCERS = [{ targetGroupArn: TARGET_GROUP, containerName: 'app', containerPort: 8080 }];
const INSTANCE = 'i-0a1b2c3d4e5f60001';

/** An EC2 service of a task definition registered with `networkMode` (none: ECS's default), behind a load balancer. */
async function ec2Service(networkMode: string | undefined, desiredCount = 1): Promise<{ harness: TwinHarness; tasks: TwinTask[] }> {
  const harness = startTwin();
  harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: INSTANCE });
  const registered = (await harness.twin.api.handle('RegisterTaskDefinition', {
    family: 'desk',
    containerDefinitions: [{ name: 'app', image: 'desk:1', memory: 512, portMappings: [{ containerPort: 8080, hostPort: networkMode === 'host' ? 8080 : 0 }] }],
    ...(networkMode === undefined ? {} : { networkMode }),
  })) as { taskDefinition: { taskDefinitionArn: string } };
  harness.twin.createService({ cluster: CLUSTER, name: 'desk', desiredCount, taskDefinition: registered.taskDefinition.taskDefinitionArn, launchType: 'EC2', loadBalancers: LOAD_BALANCERS });
  const tasks = await waitFor('the tasks RUNNING', () => runningOf(harness.twin, 'desk').length === desiredCount && runningOf(harness.twin, 'desk'));
  return { harness, tasks };
}

async function containerOf(harness: TwinHarness, taskArn: string): Promise<Record<string, unknown> | undefined> {
  const described = (await harness.twin.api.handle('DescribeTasks', { cluster: CLUSTER, tasks: [taskArn] })) as { tasks: Array<{ containers: Record<string, unknown>[] }> };
  return described.tasks[0]?.containers[0];
}

describe('EC2 tasks behind a load balancer, per network mode', () => {
  it('registers bridge mode tasks (the default) as their instance and the dynamic host port their network binding names, a different port per task', async () => {
    // prepare
    const { harness, tasks } = await ec2Service(undefined, 2);

    // act
    const containers = await Promise.all(tasks.map((task) => containerOf(harness, task.taskArn)));
    const targets = harness.twin.targetHealth(TARGET_GROUP).map((description) => description.Target);

    // assert
    const bindings = containers.map((container) => (container?.networkBindings as Array<{ hostPort: number }>)[0]);
    for (const binding of bindings) expect(binding).toEqual({ bindIP: '0.0.0.0', containerPort: 8080, hostPort: expect.any(Number), protocol: 'tcp' });
    const ports = bindings.map((binding) => binding?.hostPort ?? 0);
    expect(new Set(ports).size).toBe(2);
    for (const port of ports) expect(port >= 32768 && port < 61000).toBe(true);
    expect(targets.sort((a, b) => a.Port - b.Port)).toEqual([...ports].sort((a, b) => a - b).map((port) => ({ Id: INSTANCE, Port: port })));
    expect(containers.every((container) => container?.networkInterfaces === undefined)).toBe(true);
  });

  it('registers host mode tasks as their instance on the container port, and reports the binding in the RUNNING event', async () => {
    // prepare
    const { harness, tasks } = await ec2Service('host');
    const [task] = tasks as [TwinTask];

    // act
    const container = await containerOf(harness, task.taskArn);
    const runningEvent = taskEvents(harness.events, task.taskArn).find((event) => event.lastStatus === 'RUNNING') as { containers: Record<string, unknown>[] } | undefined;

    // assert
    expect(container?.networkBindings).toEqual([{ bindIP: '0.0.0.0', containerPort: 8080, hostPort: 8080, protocol: 'tcp' }]);
    expect(runningEvent?.containers[0]?.networkBindings).toEqual([{ bindIP: '0.0.0.0', containerPort: 8080, hostPort: 8080, protocol: 'tcp' }]);
    expect(harness.twin.targetHealth(TARGET_GROUP).map((description) => description.Target)).toEqual([{ Id: INSTANCE, Port: 8080 }]);
  });

  it('gives awsvpc mode EC2 tasks a network interface and registers them by address, with no port bound on the instance', async () => {
    // prepare
    const { harness, tasks } = await ec2Service('awsvpc');
    const [task] = tasks as [TwinTask];

    // act
    const container = await containerOf(harness, task.taskArn);

    // assert
    const address = task.networkInterface?.privateIPv4Address;
    expect(address).toMatch(/^10\.0\.\d+\.\d+$/);
    expect(container?.networkBindings).toBeUndefined();
    expect(harness.twin.targetHealth(TARGET_GROUP).map((description) => description.Target)).toEqual([{ Id: address, Port: 8080 }]);
  });

  it('binds no port before RUNNING', async () => {
    // prepare
    const harness = startTwin();
    harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: INSTANCE });
    harness.twin.createService({ cluster: CLUSTER, name: 'desk', desiredCount: 1, taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/desk:1', launchType: 'EC2', loadBalancers: LOAD_BALANCERS });

    // act
    const pending = await waitFor('a PENDING task', () => harness.twin.snapshot().tasks.find((task) => task.lastStatus === 'PENDING'));

    // assert
    expect((await containerOf(harness, pending.taskArn))?.networkBindings).toBeUndefined();
  });
});
