import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskIdOf } from '../../../functions/registry/model.js';
import { deploymentState, Rehearsal, SeededRandom, sleep } from '@ecs-session-drain/local';
import { assertHealthyEnd } from '../support/invariants.js';
import { drainControl, drainsEnded, faultSeed, startService, waitProtected } from '../support/fault-scenarios.js';
import { stopsVersusLastSessions, taskDefinitionArn } from '../support/scenario.js';

/**
 * Issue 6, faults: the ECS API throttling and failing with 5xx on a fifth of its calls, and the
 * registry's conditional writes racing between a task's agent and the orchestrator (a session
 * opened at the very moment the task is marked DRAINING).
 */
const SEED = faultSeed(43);
const CLUSTER = 'rough';
const SCALE = 0.01;

describe('ECS errors and registry races', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;

  beforeAll(async () => {
    // The reconciler shares each operation's tokens; at its usual local period it would take most of them.
    rehearsal = await Rehearsal.start({ scale: SCALE, clusterNames: [CLUSTER], reconcilerPeriodMs: 6000, twinSeed: SEED });
    clusterArn = rehearsal.twin.createCluster(CLUSTER);
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('every drain completes while ECS throttles and answers 5xx to 20% of calls', async () => {
    const random = new SeededRandom(SEED);
    const tasks = await startService(rehearsal, { cluster: clusterArn, name: 'ws', count: 6 });
    const [manual = ''] = await startService(rehearsal, { cluster: clusterArn, name: 'rdp', count: 2 });
    // Sessions long enough to outlast handlers that spend seconds in retries.
    for (const [index, taskArn] of tasks.entries()) await rehearsal.openSessions(taskArn, 1 + (index % 3), (8 + 4 * random.next()) / SCALE, `ws${index}`);
    await rehearsal.openSessions(manual, 2, (8 + 4 * random.next()) / SCALE, 'rdp');
    await waitProtected(rehearsal, 'ws', tasks);
    await waitProtected(rehearsal, 'rdp', [manual]);
    const before = rehearsal.twin.snapshot();
    rehearsal.twin.setThrottling({ ratePerSecond: 2, burst: 2, errorRate: 0.2 });

    const deploymentId = rehearsal.twin.deploy(clusterArn, 'ws', taskDefinitionArn(rehearsal, 'ws', 2));
    // An operator's drain asks for a replacement: UpdateService under the same errors.
    expect(await drainControl(rehearsal, { action: 'drain', taskArn: manual, cluster: CLUSTER })).toMatchObject({ ok: true });

    await rehearsal.waitFor('the deployment to complete', () => deploymentState(rehearsal.twin, 'ws', deploymentId) === 'COMPLETED', 120_000, 250);
    expect((await drainsEnded(rehearsal, manual, 60_000)).map((drain) => drain.outcome), `seed ${SEED}`).toEqual(['DRAINED']);
    const after = rehearsal.twin.snapshot();
    rehearsal.twin.setThrottling(undefined);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: ['ws', 'rdp'] });
    for (const taskArn of tasks) expect((await drainsEnded(rehearsal, taskArn)).map((drain) => drain.reason), `seed ${SEED}`).toEqual(['DEPLOYMENT']);
    // Counted over the faulty window only.
    const total = (pick: (snapshot: typeof after) => Record<string, number>) =>
      Object.values(pick(after)).reduce((sum, count) => sum + count, 0) - Object.values(pick(before)).reduce((sum, count) => sum + count, 0);
    const throttled = total((snapshot) => snapshot.throttled);
    const serverErrors = total((snapshot) => snapshot.serverErrors);
    expect(throttled, `seed ${SEED}: nothing was throttled`).toBeGreaterThan(0);
    // A fifth of the calls that passed the token bucket failed with a 500 (seeded, so roughly).
    const admitted = total((snapshot) => snapshot.apiCalls) - throttled;
    expect(serverErrors / admitted, `seed ${SEED}: ${serverErrors} of ${admitted}`).toBeGreaterThan(0.1);
    expect(serverErrors / admitted, `seed ${SEED}: ${serverErrors} of ${admitted}`).toBeLessThan(0.3);
  });

  it('a session opened as its task is marked DRAINING is refused, or counted and waited for; never cut', async () => {
    const random = new SeededRandom(SEED + 1);
    const name = 'race';
    const tasks = await startService(rehearsal, { cluster: clusterArn, name, count: 4 });
    const victims = tasks.slice(0, 3);
    for (const taskArn of victims) await rehearsal.openSessions(taskArn, 1, (2 + random.next()) / SCALE, `${name}-first`);
    await waitProtected(rehearsal, name, victims);
    const tally = { counted: 0, refused: 0 };
    let racing = true;
    // Three users per task keep opening sessions until the registry refuses them: some writes are in flight when the drain marks the task.
    const users = victims.flatMap((taskArn) =>
      [0, 1, 2].map(async (lane) => {
        for (let attempt = 0; racing; attempt += 1) {
          const id = `${name}-${taskIdOf(taskArn).slice(0, 6)}-${lane}-${attempt}`;
          const plannedSeconds = (1 + 3 * random.next()) / SCALE;
          if (!(await rehearsal.apps.open(taskArn, id, plannedSeconds))) {
            tally.refused += 1;
            return;
          }
          rehearsal.ledger.opened({ id, taskArn, openedAt: Date.now(), plannedSeconds });
          tally.counted += 1;
          await sleep(20 * random.next());
        }
      }),
    );

    for (const taskArn of victims) expect(await drainControl(rehearsal, { action: 'drain', taskArn, cluster: CLUSTER })).toMatchObject({ ok: true });
    await rehearsal.waitFor('every victim DRAINING', async () => (await Promise.all(victims.map((taskArn) => rehearsal.taskItem(taskArn)))).every((item) => item?.status !== 'ACTIVE'));
    racing = false;
    await Promise.all(users);

    for (const taskArn of victims) expect((await drainsEnded(rehearsal, taskArn)).map((drain) => drain.outcome), `seed ${SEED}`).toEqual(['DRAINED']);
    expect(tally.counted, `seed ${SEED}`).toBeGreaterThan(0);
    expect(tally.refused, `seed ${SEED}`).toBeGreaterThan(0);
    // Every session the registry counted was waited for: each victim stopped only after its last one ended.
    for (const stop of stopsVersusLastSessions(rehearsal, name, CLUSTER).filter((candidate) => victims.includes(candidate.taskArn))) {
      expect(stop.stillOpenOrDropped, `seed ${SEED}: ${stop.taskArn}`).toBe(0);
      expect(stop.lastSessionEnded, `seed ${SEED}: ${stop.taskArn}`).toBeLessThanOrEqual(stop.stopRequested);
    }
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name] });
  });
});
