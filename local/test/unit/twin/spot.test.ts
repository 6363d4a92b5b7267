import { describe, expect, it } from 'vitest';
import { parseEc2SpotWarning } from '../../../../functions/events/ec2.js';
import { parseFargateSpotWarning, parseTaskStopped } from '../../../../functions/events/ecs.js';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, taskEvents, tasksOf, waitFor } from './support.js';

describe('Fargate Spot interruption', () => {
  it.each([
    ['TerminationNotice', 'TerminationNotice'],
    ['SpotInterruption', 'SpotInterruption'],
    ['none', undefined],
  ] as const)('warns (stopCode %s), sends SIGTERM at once and stops the task 120 s later', async (variant, stopCode) => {
    const harness = startTwin();
    await startService(harness, { name: 'voice', desiredCount: 2, capacityProvider: 'FARGATE_SPOT', stopTimeoutSeconds: 120 });
    const [victim] = runningOf(harness.twin, 'voice');
    const before = Date.now();

    harness.twin.interruptFargateSpot(victim?.taskArn ?? '', variant);
    const warning = harness.events.find((event) => event.detail.taskArn === victim?.taskArn && event.detail.desiredStatus === 'STOPPED');
    const warnedTasks = runningOf(harness.twin, 'voice').length;
    await waitFor('the victim to stop', () => tasksOf(harness.twin, 'voice').find((task) => task.taskArn === victim?.taskArn)?.lastStatus === 'STOPPED', 5000);
    const stoppedAt = Date.now();

    expect(warning?.detail).toMatchObject({
      taskArn: victim?.taskArn,
      desiredStatus: 'STOPPED',
      lastStatus: 'RUNNING',
      stoppedReason: 'Your Spot Task was interrupted.',
      capacityProviderName: 'FARGATE_SPOT',
    });
    expect(warning?.detail.stopCode).toBe(stopCode);
    expect(parseFargateSpotWarning(warning)).toMatchObject({ ok: true, event: { taskArn: victim?.taskArn } });
    expect(harness.runtime.sigterms.map((sigterm) => sigterm.info.reason)).toEqual(['SpotInterruption']);
    expect(warnedTasks).toBe(1);
    expect(stoppedAt - before).toBeGreaterThanOrEqual(harness.clock.ms(120) - 2);
    const stoppedEvent = taskEvents(harness.events, victim?.taskArn).at(-1);
    expect(stoppedEvent).toMatchObject({ lastStatus: 'STOPPED' });
    expect(parseTaskStopped(harness.events.find((event) => event.detail === stoppedEvent)).ok).toBe(true);
  });

  it('starts a replacement at once, within maximumPercent, while the warned task is still running', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'voice', desiredCount: 2, capacityProvider: 'FARGATE_SPOT', stopTimeoutSeconds: 120 });
    const [victim] = runningOf(harness.twin, 'voice');

    harness.twin.interruptFargateSpot(victim?.taskArn ?? '', 'SpotInterruption');
    await waitFor('two tasks running besides the victim', () => runningOf(harness.twin, 'voice').length === 2);

    expect(tasksOf(harness.twin, 'voice').find((task) => task.taskArn === victim?.taskArn)?.lastStatus).toBe('RUNNING');
  });

  it('kills the container at its stopTimeout when that comes before the two minutes', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'voice', desiredCount: 1, capacityProvider: 'FARGATE_SPOT', stopTimeoutSeconds: 30 });
    const [victim] = runningOf(harness.twin, 'voice');
    const before = Date.now();

    harness.twin.interruptFargateSpot(victim?.taskArn ?? '');
    await waitFor('SIGKILL', () => harness.runtime.kills.length === 1);

    expect(Date.now() - before).toBeLessThan(harness.clock.ms(120));
    expect(harness.runtime.sigterms[0]?.info.killAt.getTime()).toBeLessThan(before + harness.clock.ms(40));
  });

  it('refuses to interrupt a task that does not run on FARGATE_SPOT', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1, capacityProvider: 'FARGATE' });
    const [task] = runningOf(harness.twin, 'chat');

    expect(() => harness.twin.interruptFargateSpot(task?.taskArn ?? '')).toThrow(/FARGATE_SPOT/);
  });
});

describe('EC2 Spot interruption', () => {
  it('warns through aws.ec2, then terminates the instance 120 s later and the service moves elsewhere', async () => {
    const harness = startTwin();
    harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: 'i-0a1b2c3d4e5f60001' });
    const survivorArn = harness.twin.registerContainerInstance(CLUSTER, { ec2InstanceId: 'i-0a1b2c3d4e5f60002' });
    harness.twin.createService({ cluster: CLUSTER, name: 'desk', desiredCount: 2, taskDefinition: taskDefinition(1), launchType: 'EC2' });
    await waitFor('two tasks', () => runningOf(harness.twin, 'desk').length === 2);
    const doomed = runningOf(harness.twin, 'desk').filter((task) => task.containerInstanceArn !== survivorArn);
    const before = Date.now();

    harness.twin.interruptEc2Spot('i-0a1b2c3d4e5f60001');
    const warning = harness.events.at(-1);
    await waitFor('the instance to be gone', () => harness.twin.snapshot().containerInstances.some((instance) => instance.status === 'INACTIVE'), 5000);
    await waitFor('two tasks on the survivor', () => runningOf(harness.twin, 'desk').filter((task) => task.containerInstanceArn === survivorArn).length === 2);

    expect(doomed).toHaveLength(1);
    expect(warning).toMatchObject({
      source: 'aws.ec2',
      'detail-type': 'EC2 Spot Instance Interruption Warning',
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60001'],
      detail: { 'instance-id': 'i-0a1b2c3d4e5f60001', 'instance-action': 'terminate' },
    });
    expect(parseEc2SpotWarning(warning).ok).toBe(true);
    expect(harness.runtime.kills.map((kill) => [kill.task.taskArn, kill.cause])).toEqual([[doomed[0]?.taskArn, 'INSTANCE_TERMINATED']]);
    expect((harness.runtime.kills[0]?.at ?? 0) - before).toBeGreaterThanOrEqual(harness.clock.ms(120) - 2);
    expect(tasksOf(harness.twin, 'desk').find((task) => task.taskArn === doomed[0]?.taskArn)).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    const listed = (await harness.twin.api.handle('ListContainerInstances', { cluster: CLUSTER })) as { containerInstanceArns: string[] };
    expect(listed.containerInstanceArns).toEqual([survivorArn]);
  });
});
