import { readFileSync } from 'node:fs';
import { ECSClient, UpdateContainerInstancesStateCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArmedFault, deploymentState, Rehearsal, runningTasks, SeededRandom } from '@ecs-session-drain/local';
import { assertHealthyEnd } from '../support/invariants.js';
import { drainControl, drainsEnded, faultSeed, mentioning, startService, waitProtected } from '../support/fault-scenarios.js';
import { taskDefinitionArn } from '../support/scenario.js';

/**
 * Issue 6, faults: a handler invocation dies right after its first successful write (its worker
 * is killed before the answer reaches it, as a crashed runtime or a timeout would end it), at each
 * Lambda step of the drain workflow and in each event handler. Lambda's async retries, the stream
 * mapping's retries, the operator's retry and the reconciler must bring every drain to its outcome,
 * with no session dropped, no second drain, and a registry that matches the world.
 */
const SEED = faultSeed(61);
const CLUSTER = 'crash';
/** At 0.02 the Spot warning leaves 2.4 s: room for the handler to act before the task is gone. */
const SCALE = 0.02;
/** Real seconds: users who stay until the scenario ends them (`apps.endSessions`). */
const HOUR = 3600;

describe('a handler invocation that fails mid-way', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;
  let serial = 0;
  /**
   * Sessions last `least` to `least` + 2 real seconds: they must outlive the crash and its recovery
   * (a retry a second later, or the reconciler's next run), or the task leaves on its own before
   * it is drained; short enough to keep the file quick. Returns scenario seconds.
   */
  const sessionSeconds = (random: SeededRandom, least: number) => (least + 2 * random.next()) / SCALE;

  beforeAll(async () => {
    // Protected tasks stay on a DRAINING instance (README, Limits), so an instance drain drops nothing.
    rehearsal = await Rehearsal.start({ scale: SCALE, clusterNames: [CLUSTER], drainingHonoursProtection: true });
    clusterArn = rehearsal.twin.createCluster(CLUSTER);
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  async function serviceWithSessions(
    count: number,
    extra: {
      launchType?: 'EC2';
      capacityProvider?: 'FARGATE_SPOT';
      stopTimeoutSeconds?: number;
      leastSeconds?: number;
      /** Per task (by index): how many sessions it opens and how long they last at least; otherwise 1 or 2 of leastSeconds. */
      sessions?: readonly { count: number; leastSeconds: number }[];
    } = {},
  ): Promise<{ name: string; tasks: string[] }> {
    serial += 1;
    const name = `svc${serial}`;
    // One generator per scenario, so that scenarios running side by side draw the same numbers every run.
    const random = new SeededRandom(SEED * 100 + serial);
    const { leastSeconds = 5, sessions, ...placement } = extra;
    const tasks = await startService(rehearsal, { cluster: clusterArn, name, count, ...placement });
    for (const [index, taskArn] of tasks.entries()) {
      const { count: opened, leastSeconds: least } = sessions?.[index] ?? { count: 1 + (index % 2), leastSeconds };
      await rehearsal.openSessions(taskArn, opened, sessionSeconds(random, least), `${name}-${index}`);
    }
    await waitProtected(rehearsal, name, tasks);
    return { name, tasks };
  }

  /** Waits for the fault's crash; a timeout says what the function did meanwhile. */
  async function fired(fault: ArmedFault): Promise<void> {
    const name = fault.plan.function;
    const runs: string[] = [];
    const unsubscribe = rehearsal.cloud.functions.onInvocation((record) => {
      if (record.logicalId === name) runs.push(`${record.execution.ok ? 'ok' : record.execution.kind} ${record.execution.durationMs} ms`);
    });
    try {
      await rehearsal.waitFor(`${name} to crash after its first write`, () => fault.fired.length > 0, 60_000);
    } catch (error) {
      const stats = rehearsal.cloud.functions.stats()[name];
      throw new Error(`${(error as Error).message}; ${name} meanwhile: ${runs.length} runs ended (${runs.slice(-10).join(', ')}), ${stats?.running ?? 0} running, ${stats?.queued ?? 0} queued`, { cause: error });
    } finally {
      unsubscribe();
    }
  }

  const WORKFLOW_STEPS = ['RecordDrainFunction', 'LaunchReplacementFunction', 'ArmDrainWaitFunction', 'StopDrainedTaskFunction', 'ReleaseReplacementFunction'];

  // Scenarios on different services and tasks are independent: they run side by side to keep the file short.
  it.concurrent.each(WORKFLOW_STEPS)('workflow step %s: the drain still ends DRAINED', async (step) => {
    const { name, tasks } = await serviceWithSessions(2);
    const victim = tasks[0] ?? '';
    const fault = rehearsal.faults.arm({ function: step, matches: mentioning(victim), after: 'first-write' });

    expect(await drainControl(rehearsal, { action: 'drain', taskArn: victim, cluster: CLUSTER })).toMatchObject({ ok: true });

    await fired(fault);
    await drainsEnded(rehearsal, victim);
    // A crash in the last step fails the execution after the outcome was recorded; the item keeps it.
    expect((await rehearsal.taskItem(victim))?.drainOutcome, `seed ${SEED}`).toBe('DRAINED');
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name], restarted: [victim] });
  });

  it.concurrent('DeploymentEventFunction: every old task is drained', async () => {
    // Sessions outlast the new tasks' start-up: an old task that empties first is replaced by ECS without a drain.
    const { name, tasks } = await serviceWithSessions(2, { leastSeconds: 20 });
    const fault = rehearsal.faults.arm({ function: 'DeploymentEventFunction', matches: mentioning(`service/${CLUSTER}/${name}`), after: 'first-write' });

    // The reconciler drains a deployment's old tasks too (its repair for a lost event), every 2 real
    // seconds at this scale: on a loaded machine it took them all up before the event's handler,
    // which then had nothing to write and never crashed. It is held until the handler has crashed.
    rehearsal.cloud.scheduler.stop();
    let deploymentId: string;
    try {
      deploymentId = rehearsal.twin.deploy(clusterArn, name, taskDefinitionArn(rehearsal, name, 2));
      await fired(fault);
    } finally {
      rehearsal.cloud.scheduler.start();
    }
    await rehearsal.waitFor('the deployment to complete', () => deploymentState(rehearsal.twin, name, deploymentId) === 'COMPLETED', 60_000);
    for (const taskArn of tasks) expect((await drainsEnded(rehearsal, taskArn)).map((drain) => drain.outcome)).toEqual(['DRAINED']);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name] });
  });

  it.concurrent('SpotInterruptionFunction: the reclaimed task is marked, drained or stopped, and nothing is left open', async () => {
    const { name, tasks } = await serviceWithSessions(2, { capacityProvider: 'FARGATE_SPOT', stopTimeoutSeconds: 120 });
    const victim = tasks[0] ?? '';
    // The warning leaves 120 scenario seconds: sessions that end within it are never cut.
    await rehearsal.openSessions(victim, 1, 40, `${name}-short`);
    // A warm handler: its cold start under a loaded machine would otherwise eat most of the warning.
    await rehearsal.cloud.invoke('SpotInterruptionFunction', JSON.parse(readFileSync(new URL('../../../events/fargate-spot-warning-spot-interruption.json', import.meta.url), 'utf8')));
    const fault = rehearsal.faults.arm({ function: 'SpotInterruptionFunction', matches: mentioning(victim), after: 'first-write' });

    rehearsal.twin.interruptFargateSpot(victim, 'SpotInterruption');

    await fired(fault);
    await rehearsal.waitFor('the Spot task to be STOPPED in the registry', async () => (await rehearsal.taskItem(victim))?.status === 'STOPPED', 30_000);
    // Its longer sessions outlive the two-minute warning: those are the reclaim's, not the orchestrator's.
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name], forcedDrops: [victim] });
  });

  it.concurrent('TaskStoppedFunction: a task that crashed mid-drain ends TASK_GONE and STOPPED', async () => {
    // The task crashes while its sessions are open, however slowly its drain reaches the wait.
    const { name, tasks } = await serviceWithSessions(2, { leastSeconds: 60 });
    const victim = tasks[0] ?? '';
    await drainControl(rehearsal, { action: 'drain', taskArn: victim, cluster: CLUSTER });
    await rehearsal.waitFor('the drain to wait', async () => (await rehearsal.taskItem(victim))?.waitArmed === true);
    const fault = rehearsal.faults.arm({ function: 'TaskStoppedFunction', matches: mentioning(victim), after: 'first-write' });

    rehearsal.twin.crashTask(victim);

    await fired(fault);
    expect((await drainsEnded(rehearsal, victim)).map((drain) => drain.outcome)).toEqual(['TASK_GONE']);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name], forcedDrops: [victim] });
  });

  it.concurrent('RegistryStreamFunction: the last session closing still completes the drain', async () => {
    // The wait must be armed before the last session closes, however loaded the machine.
    const { name, tasks } = await serviceWithSessions(2, { leastSeconds: 20 });
    const victim = tasks[0] ?? '';
    await drainControl(rehearsal, { action: 'drain', taskArn: victim, cluster: CLUSTER });
    await rehearsal.waitFor('the drain to wait', async () => (await rehearsal.taskItem(victim))?.waitArmed === true);
    // The next stream batch about the task is the one that sees its count reach zero.
    const fault = rehearsal.faults.arm({ function: 'RegistryStreamFunction', matches: mentioning(victim, '"DRAINING"'), after: 'first-write' });

    await fired(fault);
    expect((await drainsEnded(rehearsal, victim)).map((drain) => drain.outcome)).toEqual(['DRAINED']);
    expect(runningTasks(rehearsal.twin, name).some((task) => task.taskArn === victim)).toBe(false);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name] });
  });

  it.concurrent('DrainControlFunction: the operator retries and gets one drain', async () => {
    const { name, tasks } = await serviceWithSessions(2);
    const victim = tasks[0] ?? '';
    const fault = rehearsal.faults.arm({ function: 'DrainControlFunction', matches: mentioning(victim), after: 'first-write' });

    const first = await rehearsal.cloud.invoke('DrainControlFunction', { action: 'drain', taskArn: victim, cluster: CLUSTER });
    expect(first.functionError).toBe('Unhandled');
    expect(await drainControl(rehearsal, { action: 'drain', taskArn: victim, cluster: CLUSTER })).toMatchObject({ ok: true });

    expect(fault.fired).toHaveLength(1);
    expect((await drainsEnded(rehearsal, victim)).map((drain) => drain.outcome)).toEqual(['DRAINED']);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name] });
  });

  // These share the cluster's container instances or the reconciler's runs: one at a time, after the rest.
  it('RebalanceRecommendationFunction: the tasks on the instance are drained', async () => {
    const instanceId = 'i-0cafe00000000001';
    rehearsal.twin.registerContainerInstance(clusterArn, { ec2InstanceId: instanceId });
    const { name, tasks } = await serviceWithSessions(1, { launchType: 'EC2' });
    const victim = tasks[0] ?? '';
    const fault = rehearsal.faults.arm({ function: 'RebalanceRecommendationFunction', matches: mentioning(instanceId), after: 'first-write' });

    await rehearsal.cloud.publish({
      source: 'aws.ec2',
      'detail-type': 'EC2 Instance Rebalance Recommendation',
      time: new Date().toISOString(),
      resources: [`arn:aws:ec2:${rehearsal.cloud.stack.region}:${rehearsal.cloud.stack.accountId}:instance/${instanceId}`],
      detail: { 'instance-id': instanceId },
    });

    await fired(fault);
    expect((await drainsEnded(rehearsal, victim)).map((drain) => [drain.reason, drain.outcome])).toEqual([['INSTANCE', 'DRAINED']]);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name] });
  });

  it('ContainerInstanceDrainingFunction: the tasks on the draining instance are drained', async () => {
    const instanceArn = rehearsal.twin.registerContainerInstance(clusterArn, { ec2InstanceId: 'i-0cafe00000000002' });
    const { name, tasks } = await serviceWithSessions(1, { launchType: 'EC2' });
    const victim = tasks[0] ?? '';
    expect(runningTasks(rehearsal.twin, name)[0]?.containerInstanceArn).toBe(instanceArn);
    const fault = rehearsal.faults.arm({ function: 'ContainerInstanceDrainingFunction', matches: mentioning(instanceArn), after: 'first-write' });

    await new ECSClient(rehearsal.cloud.clientConfig).send(new UpdateContainerInstancesStateCommand({ cluster: CLUSTER, containerInstances: [instanceArn], status: 'DRAINING' }));

    await fired(fault);
    expect((await drainsEnded(rehearsal, victim)).map((drain) => [drain.reason, drain.outcome])).toEqual([['INSTANCE', 'DRAINED']]);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name] });
  });

  it('ReconcilerFunction: a scale-in drain it claimed is started by its next run', async () => {
    // Every user stays until the test lets them go: with the lightest task (the victim) idle, ECS
    // would scale it in by itself and no drain be claimed; had another task emptied first, ECS would
    // meet the desired count by stopping it, and the drain be cancelled. Sessions of a fixed length
    // decided that by the machine's speed (a loaded machine outlasted them before the scale-in).
    const { name, tasks } = await serviceWithSessions(3, {
      sessions: [
        { count: 1, leastSeconds: HOUR },
        { count: 3, leastSeconds: HOUR },
        { count: 2, leastSeconds: HOUR },
      ],
    });
    const victim = tasks[0] ?? '';
    const fault = rehearsal.faults.arm({ function: 'ReconcilerFunction', after: 'first-write' });

    rehearsal.twin.setDesiredCount(clusterArn, name, 2);

    await fired(fault);
    await rehearsal.waitFor('the claimed drain to wait for the victim\'s session', async () => (await rehearsal.taskItem(victim))?.waitArmed === true, 45_000);
    expect(await rehearsal.apps.endSessions(victim)).toBe(1);
    const drained = await rehearsal.waitFor('one scale-in drain to end', async () => {
      const executions = (await rehearsal.drainExecutions()).filter((execution) => tasks.includes(execution.taskArn ?? '') && execution.reason === 'SCALE_IN');
      return executions.length > 0 && executions.every((execution) => execution.status === 'SUCCEEDED') ? executions : undefined;
    }, 45_000);
    expect(drained.map((execution) => [execution.taskArn, execution.outcome])).toEqual([[tasks[0], 'DRAINED']]);
    await rehearsal.waitFor('the service at its desired count', () => runningTasks(rehearsal.twin, name).length === 2, 30_000);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name] });
  });
});
