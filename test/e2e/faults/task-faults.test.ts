import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionHistory, Rehearsal, runningTasks, SeededRandom } from '@ecs-session-drain/local';
import { WaitError } from '../../../functions/registry/model.js';
import { assertHealthyEnd } from '../support/invariants.js';
import { drainControl, drainsEnded, faultSeed, startService, waitProtected } from '../support/fault-scenarios.js';
import { ReconcilerRuns } from '../support/reconciler-runs.js';

/**
 * Issue 6, faults: tasks and workflows that misbehave mid-drain. A task that crashes while its
 * drain waits; a task whose agent never heartbeats (its count cannot be trusted); a drain whose
 * workflow an operator stopped by hand in the console. Each still reaches its outcome, and the
 * only sessions lost are those on the task that crashed or went silent.
 */
const SEED = faultSeed(7);
const CLUSTER = 'faulty';
const SCALE = 0.01;

describe('tasks and workflows that fail mid-drain', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;
  let runs: ReconcilerRuns;
  let serial = 0;

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: SCALE, clusterNames: [CLUSTER] });
    clusterArn = rehearsal.twin.createCluster(CLUSTER);
    runs = new ReconcilerRuns(rehearsal);
  }, 120_000);

  afterAll(async () => {
    runs?.close();
    await rehearsal?.stop();
  });

  /**
   * A service of two tasks; the first (the victim) holds sessions of `seconds` real seconds and waits
   * in its drain. `armedBy` is when the wait was seen armed (the end of the read that saw it).
   */
  async function drainingVictim(seconds: number, beforeDrain: (victim: string) => void = () => undefined): Promise<{ name: string; victim: string; armedBy: number }> {
    serial += 1;
    const name = `app${serial}`;
    const random = new SeededRandom(SEED * 10 + serial);
    const [victim = ''] = await startService(rehearsal, { cluster: clusterArn, name, count: 2 });
    beforeDrain(victim);
    await rehearsal.openSessions(victim, 2, (seconds + random.next()) / SCALE, name);
    await waitProtected(rehearsal, name, [victim]);
    expect(await drainControl(rehearsal, { action: 'drain', taskArn: victim, cluster: CLUSTER })).toMatchObject({ ok: true });
    const armedBy = await rehearsal.waitFor('the drain to wait for sessions', async () => (await rehearsal.taskItem(victim))?.waitArmed === true && Date.now());
    return { name, victim, armedBy };
  }

  it.concurrent('a task that crashes mid-drain: TASK_GONE, STOPPED, and its replacement given back', async () => {
    const { name, victim } = await drainingVictim(3600);

    rehearsal.twin.crashTask(victim);

    expect((await drainsEnded(rehearsal, victim)).map((drain) => drain.outcome), `seed ${SEED}`).toEqual(['TASK_GONE']);
    await rehearsal.waitFor('the service back at 2 tasks', () => runningTasks(rehearsal.twin, name).length === 2, 30_000);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name], forcedDrops: [victim] });
  });

  it.concurrent('a task that never heartbeats: its drain ends HEARTBEAT_LOST once the heartbeat timeout passed', async () => {
    const timeoutSeconds = Number(rehearsal.cloud.stack.functions.ReconcilerFunction?.environment.HEARTBEAT_TIMEOUT_SECONDS);
    // The agent goes silent before its sessions open: their writes are the task's last sign of life.
    const { name, victim, armedBy } = await drainingVictim(3600, (taskArn) => expect(rehearsal.apps.muteHeartbeats(taskArn)).toBe(true));
    const lastSign = ((await rehearsal.taskItem(victim))?.heartbeatAt ?? 0) * 1000;

    const drains = await drainsEnded(rehearsal, victim, 60_000);

    expect(drains.map((drain) => drain.outcome), `seed ${SEED}`).toEqual(['HEARTBEAT_LOST']);
    // The reconciler's decision is the moment the wait state fails with HeartbeatLost; the steps after it
    // (stop, release) take their own time on a loaded machine and are not what this bounds.
    const history = await executionHistory(rehearsal.sfn, drains[0]?.executionArn ?? '');
    const endedAt = history.find((event) => event.taskFailedEventDetails?.error === WaitError.HeartbeatLost)?.timestamp?.getTime() ?? Number.POSITIVE_INFINITY;
    // Not before the timeout (counted in whole seconds), and by the reconciler's first or second run
    // after it: a bound in runs, which a loaded machine slows but does not add to. Only an armed
    // wait can be failed: on a loaded machine the drain's first steps can outlast the timeout, and
    // then the runs are counted from the moment the wait was armed.
    expect(endedAt - lastSign, `seed ${SEED}`).toBeGreaterThanOrEqual((timeoutSeconds - 1) * 1000);
    const timedOutAt = lastSign + (timeoutSeconds + 1) * 1000;
    runs.expectWithinTwoRuns(Math.max(timedOutAt, armedBy), { notSeenAt: endedAt, seenAt: endedAt }, `seed ${SEED}: the HeartbeatLost decision`);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name], forcedDrops: [victim] });
  });

  it.concurrent('a drain whose workflow was stopped by hand: the reconciler starts it again and it ends DRAINED', async () => {
    // Sessions outlast the drain's first steps (a few seconds on a loaded machine), so it waits for them.
    const { name, victim } = await drainingVictim(20);
    const stopped = (await rehearsal.taskItem(victim))?.executionArn ?? '';

    await rehearsal.sfn.send(new StopExecutionCommand({ executionArn: stopped, error: 'Operator', cause: 'stopped by hand in the console' }));

    const drains = await drainsEnded(rehearsal, victim);
    expect(drains.map((drain) => [drain.status, drain.outcome ?? null]), `seed ${SEED}`).toEqual([
      ['ABORTED', null],
      ['SUCCEEDED', 'DRAINED'],
    ]);
    expect(drains[1]?.reason).toBe('MANUAL');
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name], restarted: [victim] });
  });
});
