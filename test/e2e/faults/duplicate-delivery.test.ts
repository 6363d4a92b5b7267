import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentState, Rehearsal, SeededRandom } from '@ecs-session-drain/local';
import { assertHealthyEnd } from '../support/invariants.js';
import { drainsOf, faultSeed, startService, waitProtected } from '../support/fault-scenarios.js';
import { taskDefinitionArn } from '../support/scenario.js';

/**
 * Issue 6, faults: EventBridge delivers at least once and in no particular order. Through a
 * deployment of 20 tasks, every ECS event (task, deployment) arrives one to three times, each
 * copy delayed by a seeded 0..2 s, so that copies of later events overtake earlier ones (a
 * task's RUNNING after its STOPPED, a deployment's IN_PROGRESS after COMPLETED). Each old task
 * must still get exactly one drain, and the registry must end as the world is.
 */
const SEED = faultSeed(29);
const CLUSTER = 'echoes';
const TASKS = 20;

describe('a deployment of 20 tasks with every event duplicated, delayed and reordered', () => {
  let rehearsal: Rehearsal;

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: [CLUSTER], duplicateEvents: { copies: 3, minCopies: 1, maxDelayMs: 2000, seed: SEED } });
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('drains each old task once, drops no session, and ends with a consistent registry', async () => {
    const random = new SeededRandom(SEED);
    const clusterArn = rehearsal.twin.createCluster(CLUSTER);
    const name = 'lobby';
    const tasks = await startService(rehearsal, { cluster: clusterArn, name, count: TASKS });
    // Most tasks hold sessions of 15 to 25 real seconds (long enough for all 16 to be protected on a
    // loaded machine before the first ends); every fifth is idle (ECS replaces it without a drain).
    const busy = tasks.filter((_, index) => index % 5 !== 0);
    for (const [index, taskArn] of busy.entries()) await rehearsal.openSessions(taskArn, 1 + Math.floor(random.next() * 3), 1500 + random.next() * 1000, `dup${index}`);
    await waitProtected(rehearsal, name, busy);

    const deploymentId = rehearsal.twin.deploy(clusterArn, name, taskDefinitionArn(rehearsal, name, 2));

    await rehearsal.waitFor('the deployment to complete', () => deploymentState(rehearsal.twin, name, deploymentId) === 'COMPLETED', 120_000, 250);
    await assertHealthyEnd(rehearsal, { seed: SEED, services: [name], timeoutMs: 60_000 });
    const stats = rehearsal.deliveryFaults?.stats;
    expect(stats?.delivered, `seed ${SEED}: events were not duplicated`).toBeGreaterThan(stats?.emitted ?? Number.POSITIVE_INFINITY);
    expect(stats?.overtaken, `seed ${SEED}: no event overtook another`).toBeGreaterThan(0);
    // The handler works through the 20 tasks one by one while ECS replaces every task that empties
    // (it is unprotected then): such a task needs no drain. A task that kept sessions did get one,
    // or its sessions would have been cut, which assertHealthyEnd rules out.
    let drained = 0;
    for (const taskArn of tasks) {
      const drains = await drainsOf(rehearsal, taskArn);
      drained += drains.length;
      expect(drains.map((drain) => drain.reason), `seed ${SEED}: drains of ${taskArn}`).toEqual(drains.length === 0 ? [] : ['DEPLOYMENT']);
      // A copy of the deployment event can reach a task that already left on its own: TASK_GONE is right there.
      for (const drain of drains) expect(['DRAINED', 'TASK_GONE'], `seed ${SEED}: ${drain.name}`).toContain(drain.outcome);
    }
    expect(drained, `seed ${SEED}`).toBeGreaterThan(0);
    expect(rehearsal.ledger.dropped(), `seed ${SEED}`).toEqual([]);
  });
});
