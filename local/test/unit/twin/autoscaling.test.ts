import { AutoScalingClient, CompleteLifecycleActionCommand, DescribeLifecycleHooksCommand, RecordLifecycleActionHeartbeatCommand } from '@aws-sdk/client-auto-scaling';
import { afterEach, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../cloud/clock.js';
import { Gateway } from '../../../cloud/gateway.js';
import { IamAuthorizer } from '../../../cloud/iam/authorizer.js';
import type { PolicyStatement } from '../../../cloud/iam/policy.js';
import { AutoScalingTwin, autoScalingQueryResponse, type EventBridgeEnvelope, type LifecycleHookSpec } from '../../../twin/index.js';
import { ACCOUNT, CLUSTER_ARN, REGION, SCALE, startTwin, type TwinHarness, waitFor } from './support.js';

/*
 * The twin's Auto Scaling groups (twin/autoscaling/): a terminate lifecycle hook holds a leaving
 * instance in Terminating:Wait and sends the lifecycle action event; the action ends with
 * CompleteLifecycleAction, or with DefaultResult when the heartbeat timeout (reset by
 * RecordLifecycleActionHeartbeat) or the global timeout runs out; either way the instance and its
 * tasks go. Driven through the gateway with the real SDK client (Query protocol).
 */

const closers: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function groupWithHook(hook: LifecycleHookSpec, options: { authorizer?: IamAuthorizer; accessKeyId?: string } = {}) {
  const harness: TwinHarness = startTwin();
  const events: EventBridgeEnvelope[] = [];
  const autoScaling = new AutoScalingTwin({ clock: harness.clock, ecs: harness.twin, emit: (event) => void events.push(event), region: REGION, accountId: ACCOUNT, seed: 3 });
  closers.push(() => autoScaling.stop());
  const instances = autoScaling.createGroup('fleet-asg', { cluster: CLUSTER_ARN, size: 1, lifecycleHooks: [hook] });
  const gateway = await Gateway.start({
    motoEndpoint: 'http://127.0.0.1:9',
    functions: { invoke: () => Promise.reject(new Error('no functions here')) },
    autoscaling: (body) => Promise.resolve(autoScalingQueryResponse(autoScaling, body, SCALE)),
    ...(options.authorizer ? { authorizer: options.authorizer } : {}),
  });
  closers.push(() => gateway.close());
  const client = new AutoScalingClient({ endpoint: gateway.url, region: REGION, credentials: { accessKeyId: options.accessKeyId ?? 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  closers.push(() => client.destroy());
  return { harness, autoScaling, events, instances, client, gateway };
}

function actionOf(events: EventBridgeEnvelope[]): { token: string; instanceId: string } {
  const event = events.find((candidate) => candidate['detail-type'] === 'EC2 Instance-terminate Lifecycle Action');
  if (event === undefined) throw new Error('no lifecycle action event');
  return { token: String(event.detail.LifecycleActionToken), instanceId: String(event.detail.EC2InstanceId) };
}

function containerInstanceStatus(harness: TwinHarness, instanceId: string): string | undefined {
  return harness.twin.snapshot().containerInstances.find((instance) => instance.ec2InstanceId === instanceId)?.status;
}

describe('an Auto Scaling group with a terminate lifecycle hook (twin)', () => {
  it('holds a leaving instance until CompleteLifecycleAction CONTINUE, having sent the event AWS documents', async () => {
    const { harness, autoScaling, events, instances, client } = await groupWithHook({ name: 'drain', heartbeatTimeoutSeconds: 3600 });
    const [old] = instances;

    const terminated = autoScaling.terminateInstance('fleet-asg', old ?? '');
    const event = await waitFor('the lifecycle action event', () => events.find((candidate) => candidate.source === 'aws.autoscaling'));
    await harness.clock.sleep(100);
    const waiting = containerInstanceStatus(harness, old ?? '');
    await client.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'fleet-asg', LifecycleHookName: 'drain', LifecycleActionToken: actionOf(events).token, LifecycleActionResult: 'CONTINUE' }));
    await terminated;

    expect(event).toMatchObject({
      source: 'aws.autoscaling',
      'detail-type': 'EC2 Instance-terminate Lifecycle Action',
      account: ACCOUNT,
      region: REGION,
      resources: [expect.stringMatching(/^arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/fleet-asg$/)],
      detail: { AutoScalingGroupName: 'fleet-asg', LifecycleHookName: 'drain', EC2InstanceId: old, LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', Origin: 'AutoScalingGroup', Destination: 'EC2' },
    });
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(waiting).toBe('ACTIVE');
    expect(containerInstanceStatus(harness, old ?? '')).toBe('INACTIVE');
    expect(autoScaling.actions).toMatchObject([{ instanceId: old, result: 'CONTINUE', endedBy: 'CompleteLifecycleAction', heartbeats: 0 }]);
  });

  it('applies DefaultResult when no heartbeat comes within the heartbeat timeout, and a heartbeat restarts it', async () => {
    const { autoScaling, events, instances, client } = await groupWithHook({ name: 'drain', heartbeatTimeoutSeconds: 300, defaultResult: 'ABANDON' });
    const started = Date.now();

    const terminated = autoScaling.terminateInstance('fleet-asg', instances[0] ?? '');
    await waitFor('the lifecycle action event', () => events.length > 0 || undefined);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await client.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'fleet-asg', LifecycleHookName: 'drain', InstanceId: actionOf(events).instanceId }));
    await terminated;

    // 300 scenario seconds are 600 real ms here; the heartbeat at ~400 ms pushed the end past 1 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(autoScaling.actions).toMatchObject([{ result: 'ABANDON', endedBy: 'heartbeat-timeout', heartbeats: 1 }]);
  });

  it('ends the action at the global timeout, 100 x the heartbeat timeout, however many heartbeats came', async () => {
    // A faster clock for the group alone: 60 scenario seconds of heartbeat timeout are 30 real ms, the global timeout 3 s.
    const harness = startTwin();
    const events: EventBridgeEnvelope[] = [];
    const autoScaling = new AutoScalingTwin({ clock: new ScaledClock(0.0005), ecs: harness.twin, emit: (event) => void events.push(event), region: REGION, accountId: ACCOUNT });
    closers.push(() => autoScaling.stop());
    const [old] = autoScaling.createGroup('fleet-asg', { cluster: CLUSTER_ARN, size: 1, lifecycleHooks: [{ name: 'drain', heartbeatTimeoutSeconds: 60, defaultResult: 'CONTINUE' }] });
    const started = Date.now();

    const terminated = autoScaling.terminateInstance('fleet-asg', old ?? '');
    const beat = setInterval(() => {
      if (events.length > 0) autoScaling.recordLifecycleActionHeartbeat({ groupName: 'fleet-asg', hookName: 'drain', instanceId: old ?? '' });
    }, 5);
    await terminated;
    clearInterval(beat);

    expect(autoScaling.actions).toMatchObject([{ result: 'CONTINUE', endedBy: 'global-timeout' }]);
    expect(autoScaling.actions[0]?.heartbeats).toBeGreaterThan(100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  }, 10_000);

  it('answers a token with no action in wait with ValidationError "No active Lifecycle Action found"', async () => {
    const { client } = await groupWithHook({ name: 'drain' });

    const refused = await client
      .send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'fleet-asg', LifecycleHookName: 'drain', LifecycleActionToken: '00000000-0000-0000-0000-000000000000', LifecycleActionResult: 'CONTINUE' }))
      .then(() => undefined, (error: unknown) => error as Error);

    expect(refused).toMatchObject({ name: 'ValidationError', message: 'No active Lifecycle Action found with token 00000000-0000-0000-0000-000000000000' });
  });

  it('reports the hook with its timeouts in real seconds (scenario seconds x scale, rounded up)', async () => {
    const { client } = await groupWithHook({ name: 'drain', heartbeatTimeoutSeconds: 900, defaultResult: 'CONTINUE' });

    const described = await client.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'fleet-asg', LifecycleHookNames: ['drain'] }));

    expect(described.LifecycleHooks).toEqual([
      { LifecycleHookName: 'drain', AutoScalingGroupName: 'fleet-asg', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 2, GlobalTimeout: 180, DefaultResult: 'CONTINUE' },
    ]);
  });

  it('replaces every instance in an instance refresh, the new ones registered with ECS before the old ones wait at the hook', async () => {
    const { harness, autoScaling, events, instances } = await groupWithHook({ name: 'drain', heartbeatTimeoutSeconds: 3600 });
    const completeEach = setInterval(() => {
      for (const event of events.splice(0)) {
        autoScaling.completeLifecycleAction({ groupName: 'fleet-asg', hookName: 'drain', token: String(event.detail.LifecycleActionToken), result: 'CONTINUE' });
      }
    }, 5);

    await autoScaling.startInstanceRefresh('fleet-asg');
    clearInterval(completeEach);

    const now = autoScaling.instancesOf('fleet-asg');
    expect(now).toHaveLength(1);
    expect(now).not.toContain(instances[0]);
    expect(containerInstanceStatus(harness, now[0] ?? '')).toBe('ACTIVE');
    expect(containerInstanceStatus(harness, instances[0] ?? '')).toBe('INACTIVE');
    expect(harness.twin.snapshot().containerInstances.filter((instance) => instance.clusterArn === CLUSTER_ARN)).toHaveLength(2);
  });

  it('under IAM enforcement, authorises CompleteLifecycleAction on the group by name: refused (AccessDenied) for another group', async () => {
    const authorizer = new IamAuthorizer({ partition: 'aws', region: REGION, accountId: ACCOUNT });
    const statements: PolicyStatement[] = [
      { Effect: 'Allow', Action: 'autoscaling:CompleteLifecycleAction', Resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/other-asg` },
    ];
    authorizer.register('ASIAHOOK', {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/HookRole/worker`,
      userId: 'AROAHOOK:worker',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/HookRole`,
      accountId: ACCOUNT,
      statements: () => statements,
    });
    const { client } = await groupWithHook({ name: 'drain' }, { authorizer, accessKeyId: 'ASIAHOOK' });

    const refused = await client
      .send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'fleet-asg', LifecycleHookName: 'drain', InstanceId: 'i-0123456789abcdef0', LifecycleActionResult: 'CONTINUE' }))
      .then(() => undefined, (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } });

    expect(refused?.name).toBe('AccessDenied');
    expect(refused?.$metadata?.httpStatusCode).toBe(403);
    expect(authorizer.denials()).toMatchObject([{ action: 'autoscaling:CompleteLifecycleAction', route: 'autoscaling' }]);
  });
});

