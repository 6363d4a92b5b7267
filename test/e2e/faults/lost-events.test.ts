import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentState, type EventBridgeEnvelope, Rehearsal, runningTasks, SeededRandom } from '@ecs-session-drain/local';
import { assertHealthyEnd } from '../support/invariants.js';
import { drainControl, drainsEnded, faultSeed, startService, waitProtected } from '../support/fault-scenarios.js';
import { ReconcilerRuns, settledWindow } from '../support/reconciler-runs.js';
import { taskDefinitionArn } from '../support/scenario.js';

/**
 * Issue 6, faults: events that never arrive. EventBridge delivers at least once, but a rule
 * target can fail for good (an event older than its maximum age, a dead-letter queue nobody
 * reads), so the reconciler must bring the system to the right state on its own, within two of
 * its periods from the moment the event would have arrived: by its first or second run after it
 * (support/reconciler-runs.ts counts the runs, which a loaded machine slows but does not add to).
 */
const SEED = faultSeed(17);
const CLUSTER = 'lossy';
const PERIOD_MS = 3000;

describe('events that never arrive', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;
  let lose: (event: EventBridgeEnvelope) => boolean = () => false;
  let runs: ReconcilerRuns;
  const random = new SeededRandom(SEED);

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: [CLUSTER], reconcilerPeriodMs: PERIOD_MS, loseEvents: (event) => lose(event) });
    clusterArn = rehearsal.twin.createCluster(CLUSTER);
    runs = new ReconcilerRuns(rehearsal);
  }, 120_000);

  afterAll(async () => {
    runs?.close();
    await rehearsal?.stop();
  });

  /** When the lost event would have arrived (real epoch ms), waiting for the twin to emit it. */
  async function lostAt(what: string, matches: (event: EventBridgeEnvelope) => boolean): Promise<number> {
    const lost = await rehearsal.waitFor(what, () => rehearsal.deliveryFaults?.lost.find((entry) => matches(entry.event)), 30_000, 20);
    return lost.at;
  }

  it('a lost deployment event: the reconciler drains the old revision within two periods', async () => {
    const name = 'rooms';
    const tasks = await startService(rehearsal, { cluster: clusterArn, name, count: 3 });
    for (const [index, taskArn] of tasks.entries()) await rehearsal.openSessions(taskArn, 1 + index, 800 + random.next() * 200, `dep${index}`);
    await waitProtected(rehearsal, name, tasks);
    const isTheDeployment = (event: EventBridgeEnvelope) =>
      event['detail-type'] === 'ECS Deployment State Change' && String(event.resources[0] ?? '').endsWith(`/${name}`) && event.detail.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS';
    lose = isTheDeployment;

    const deploymentId = rehearsal.twin.deploy(clusterArn, name, taskDefinitionArn(rehearsal, name, 2));

    const missedAt = await lostAt('the deployment event to be lost', isTheDeployment);
    const drained = await settledWindow(rehearsal, 'a DEPLOYMENT drain of every old task', missedAt, async () => {
      const items = await Promise.all(tasks.map((taskArn) => rehearsal.taskItem(taskArn)));
      return items.every((item) => item?.executionArn !== undefined && item.drainReason === 'DEPLOYMENT');
    });
    runs.expectWithinTwoRuns(missedAt, drained, `seed ${SEED}`);
    await rehearsal.waitFor('the deployment to complete', () => deploymentState(rehearsal.twin, name, deploymentId) === 'COMPLETED', 60_000);
    for (const taskArn of tasks) expect((await drainsEnded(rehearsal, taskArn)).map((drain) => [drain.reason, drain.outcome])).toEqual([['DEPLOYMENT', 'DRAINED']]);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name] });
  });

  it("a lost STOPPED event: the task's item is closed and its drain ends within two periods", async () => {
    const name = 'desks';
    const tasks = await startService(rehearsal, { cluster: clusterArn, name, count: 3 });
    const [crashing = '', draining = ''] = tasks;
    await rehearsal.openSessions(crashing, 2, 3600, 'crash');
    await rehearsal.openSessions(draining, 1, 200 + random.next() * 100, 'drain');
    await waitProtected(rehearsal, name, [crashing, draining]);
    const stoppedEventOf = (taskArn: string) => (event: EventBridgeEnvelope) =>
      event['detail-type'] === 'ECS Task State Change' && event.detail.taskArn === taskArn && event.detail.lastStatus === 'STOPPED';
    lose = (event) => stoppedEventOf(crashing)(event) || stoppedEventOf(draining)(event);
    for (const taskArn of [crashing, draining]) await drainControl(rehearsal, { action: 'drain', taskArn, cluster: CLUSTER });
    await rehearsal.waitFor('the crashing task to wait for its sessions', async () => (await rehearsal.taskItem(crashing))?.waitArmed === true);

    rehearsal.twin.crashTask(crashing);

    const crashMissedAt = await lostAt('the crashed task\'s STOPPED event to be lost', stoppedEventOf(crashing));
    const crashSettled = await settledWindow(rehearsal, 'the crashed task STOPPED and its drain TASK_GONE', crashMissedAt, async () => {
      const item = await rehearsal.taskItem(crashing);
      return item?.status === 'STOPPED' && item.drainOutcome === 'TASK_GONE';
    });
    runs.expectWithinTwoRuns(crashMissedAt, crashSettled, `seed ${SEED}`);
    const drainMissedAt = await lostAt('the drained task\'s STOPPED event to be lost', stoppedEventOf(draining));
    const drainSettled = await settledWindow(rehearsal, 'the drained task STOPPED', drainMissedAt, async () => (await rehearsal.taskItem(draining))?.status === 'STOPPED');
    runs.expectWithinTwoRuns(drainMissedAt, drainSettled, `seed ${SEED}`);
    expect((await drainsEnded(rehearsal, draining)).map((drain) => drain.outcome)).toEqual(['DRAINED']);
    await rehearsal.waitFor('the service back at 3 tasks', () => runningTasks(rehearsal.twin, name).length === 3, 30_000);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name], forcedDrops: [crashing] });
  });
});
