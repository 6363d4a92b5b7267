import { DescribeContainerInstancesCommand, type Service, type Task } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { targetsHealthy } from '../../../../functions/core/deployments/target-health.js';
import { CLUSTER_ARN, makeTestDeps, taskArn } from '../../../support/deps.js';

/*
 * Matching a service's tasks to their load balancer targets, in the three network modes ECS
 * registers differently (alb.html, nlb.html): awsvpc as an `ip` target (the task's private
 * address, the container port); bridge as an `instance` target on a dynamic host port; host as an
 * `instance` target on the container port. Bridge and host ports come from the container's
 * networkBindings, the instance id from DescribeContainerInstances.
 */

const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/chat/73e2d6bc24d8a067';
const SERVICE: Service = {
  serviceName: 'chat',
  clusterArn: CLUSTER_ARN,
  loadBalancers: [{ targetGroupArn: TARGET_GROUP, containerName: 'app', containerPort: 8080 }],
};
const INSTANCE_A = 'arn:aws:ecs:us-east-1:111122223333:container-instance/sessions/0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const INSTANCE_B = 'arn:aws:ecs:us-east-1:111122223333:container-instance/sessions/1a1b2c3d4e5f60718293a4b5c6d7e8f9';

function awsvpcTask(id: string, ip: string): Task {
  return {
    taskArn: taskArn(id),
    lastStatus: 'RUNNING',
    attachments: [{ type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: ip }] }],
    containers: [{ name: 'app', networkInterfaces: [{ privateIpv4Address: ip }] }],
  };
}

/** A bridge or host mode task: no network interface, the container bound to a port of its instance. */
function instanceTask(id: string, containerInstanceArn: string, hostPort: number | undefined): Task {
  return {
    taskArn: taskArn(id),
    lastStatus: 'RUNNING',
    containerInstanceArn,
    attachments: [],
    containers: [
      { name: 'sidecar', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 9000, hostPort: 9000, protocol: 'tcp' }] },
      { name: 'app', networkBindings: hostPort === undefined ? [] : [{ bindIP: '0.0.0.0', containerPort: 8080, hostPort, protocol: 'tcp' }] },
    ],
  };
}

function healthy(id: string, port: number, state = 'healthy') {
  return { Target: { Id: id, Port: port }, HealthCheckPort: String(port), TargetHealth: { State: state as 'healthy' } };
}

describe('targetsHealthy', () => {
  it('matches awsvpc tasks by private address and container port, without asking for container instances', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [healthy('10.0.1.5', 8080), healthy('10.0.1.6', 8080, 'initial'), healthy('10.0.1.7', 9999)] });

    // act
    const verdicts = await targetsHealthy(deps, SERVICE, [awsvpcTask('a', '10.0.1.5'), awsvpcTask('b', '10.0.1.6'), awsvpcTask('c', '10.0.1.7')]);

    // assert
    expect(mocks.elb.commandCalls(DescribeTargetHealthCommand).map((call) => call.args[0].input)).toEqual([{ TargetGroupArn: TARGET_GROUP }]);
    expect(mocks.ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(0);
    expect(Object.fromEntries(verdicts ?? [])).toEqual({ [taskArn('a')]: true, [taskArn('b')]: false, [taskArn('c')]: false });
  });

  it("matches bridge mode tasks by their container instance's EC2 instance id and the app container's dynamic host port", async () => {
    // prepare: two tasks on one instance (different host ports), one on another instance with the same port.
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [
        { containerInstanceArn: INSTANCE_A, ec2InstanceId: 'i-0aaaaaaaaaaaaaaaa' },
        { containerInstanceArn: INSTANCE_B, ec2InstanceId: 'i-0bbbbbbbbbbbbbbbb' },
      ],
      failures: [],
    });
    mocks.elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [healthy('i-0aaaaaaaaaaaaaaaa', 32768), healthy('i-0aaaaaaaaaaaaaaaa', 32769, 'initial'), healthy('i-0bbbbbbbbbbbbbbbb', 32769)],
    });
    const tasks = [instanceTask('a', INSTANCE_A, 32768), instanceTask('b', INSTANCE_A, 32769), instanceTask('c', INSTANCE_B, 32769)];

    // act
    const verdicts = await targetsHealthy(deps, SERVICE, tasks);

    // assert
    expect(mocks.ecs.commandCalls(DescribeContainerInstancesCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, containerInstances: [INSTANCE_A, INSTANCE_B] }]);
    expect(mocks.elb.commandCalls(DescribeTargetHealthCommand).map((call) => call.args[0].input)).toEqual([{ TargetGroupArn: TARGET_GROUP }]);
    expect(Object.fromEntries(verdicts ?? [])).toEqual({ [taskArn('a')]: true, [taskArn('b')]: false, [taskArn('c')]: true });
  });

  it("matches host mode tasks by their instance id and the container port they bind on the host, not the sidecar's", async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: INSTANCE_A, ec2InstanceId: 'i-0aaaaaaaaaaaaaaaa' }], failures: [] });
    mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [healthy('i-0aaaaaaaaaaaaaaaa', 9000)] });

    // act
    const before = await targetsHealthy(deps, SERVICE, [instanceTask('a', INSTANCE_A, 8080)]);
    mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [healthy('i-0aaaaaaaaaaaaaaaa', 8080)] });
    const after = await targetsHealthy(deps, SERVICE, [instanceTask('a', INSTANCE_A, 8080)]);

    // assert
    expect(before).toEqual(new Map([[taskArn('a'), false]]));
    expect(after).toEqual(new Map([[taskArn('a'), true]]));
  });

  it('leaves a task whose target cannot be told yet (no network binding) to ECS\'s own view, and asks for each container instance once in a mixed service', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: INSTANCE_A, ec2InstanceId: 'i-0aaaaaaaaaaaaaaaa' }], failures: [] });
    mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [healthy('10.0.1.5', 8080), healthy('i-0aaaaaaaaaaaaaaaa', 32768)] });

    // act
    const verdicts = await targetsHealthy(deps, SERVICE, [awsvpcTask('a', '10.0.1.5'), instanceTask('b', INSTANCE_A, 32768), instanceTask('c', INSTANCE_A, undefined)]);

    // assert
    expect(mocks.ecs.commandCalls(DescribeContainerInstancesCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, containerInstances: [INSTANCE_A] }]);
    expect(Object.fromEntries(verdicts ?? [])).toEqual({ [taskArn('a')]: true, [taskArn('b')]: true });
  });

  it('needs a healthy target in every target group of the service', async () => {
    // prepare
    const second = `${TARGET_GROUP.slice(0, -1)}9`;
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: INSTANCE_A, ec2InstanceId: 'i-0aaaaaaaaaaaaaaaa' }], failures: [] });
    mocks.elb.on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP }).resolves({ TargetHealthDescriptions: [healthy('i-0aaaaaaaaaaaaaaaa', 32768)] });
    mocks.elb.on(DescribeTargetHealthCommand, { TargetGroupArn: second }).resolves({ TargetHealthDescriptions: [healthy('i-0aaaaaaaaaaaaaaaa', 32768, 'initial')] });
    const service: Service = { ...SERVICE, loadBalancers: [...(SERVICE.loadBalancers ?? []), { targetGroupArn: second, containerName: 'app', containerPort: 8080 }] };

    // act
    const verdicts = await targetsHealthy(deps, service, [instanceTask('a', INSTANCE_A, 32768)]);

    // assert
    expect(mocks.elb.commandCalls(DescribeTargetHealthCommand).map((call) => call.args[0].input)).toEqual([{ TargetGroupArn: TARGET_GROUP }, { TargetGroupArn: second }]);
    expect(verdicts).toEqual(new Map([[taskArn('a'), false]]));
  });

  it('asks nothing for a service without a target group', async () => {
    const { deps, mocks } = makeTestDeps();

    const verdicts = await targetsHealthy(deps, { ...SERVICE, loadBalancers: [] }, [instanceTask('a', INSTANCE_A, 32768)]);

    expect(verdicts).toBeUndefined();
    expect(mocks.elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(0);
    expect(mocks.ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(0);
  });
});
