import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rehearsal, runningTasks, service, serviceTasks } from '@ecs-session-drain/local';
import { subscribeToDrainNotices, taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 3, scenario 3: a Fargate Spot warning, in each of the shapes AWS sends it. The twin kills
 * the task 120 scenario seconds after the warning (6 s here); before that, the orchestrator must
 * have marked it DRAINING, asked ECS for a replacement and told the application.
 */
describe('a Fargate Spot interruption warning', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;
  let readNotices: () => Promise<Array<Record<string, unknown>>>;

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.05, clusterNames: ['spot'] });
    readNotices = await subscribeToDrainNotices(rehearsal);
    clusterArn = rehearsal.twin.createCluster('spot');
    rehearsal.twin.createService({
      cluster: clusterArn,
      name: 'voice',
      desiredCount: 3,
      taskDefinition: taskDefinitionArn(rehearsal, 'voice', 1),
      capacityProvider: 'FARGATE_SPOT',
      stopTimeoutSeconds: 120,
    });
    await rehearsal.waitFor('3 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 3);
    // A warm handler, as a function that handles warnings all day is: a cold start costs a few hundred
    // milliseconds on AWS against the warning's 120 s, but seconds on a loaded machine here, where the
    // warning lasts 6 real seconds. AWS's own sample names a cluster out of scope: nothing changes.
    const sample = JSON.parse(readFileSync(new URL('../../events/fargate-spot-warning-termination-notice.json', import.meta.url), 'utf8'));
    expect((await rehearsal.cloud.invoke('SpotInterruptionFunction', sample)).functionError).toBeUndefined();
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it.each(['TerminationNotice', 'SpotInterruption', 'none'] as const)(
    'drains the warned task and requests its replacement before ECS stops it (stopCode %s)',
    async (variant) => {
      const victim = runningTasks(rehearsal.twin, 'voice')[0]?.taskArn ?? '';
      await rehearsal.openSessions(victim, 3, 30 * 60, variant);
      // The previous case's replacement must be given back first, or the surge below is not this one's.
      const desiredBefore = await rehearsal.waitFor('the service back at its base size', () => service(rehearsal.twin, 'voice')?.desiredCount === 3 && 3, 30_000);

      rehearsal.twin.interruptFargateSpot(victim, variant);
      const preparedAt = await rehearsal.waitFor('DRAINING and a replacement requested', async () => {
        const item = await rehearsal.taskItem(victim);
        const desired = service(rehearsal.twin, 'voice')?.desiredCount ?? 0;
        return item?.status === 'DRAINING' && desired > desiredBefore && Date.now();
      }, 20_000, 50);
      const stoppedAt = await rehearsal.waitFor('the twin to stop the task', () => {
        const task = serviceTasks(rehearsal.twin, 'voice').find((candidate) => candidate.taskArn === victim);
        return task?.lastStatus === 'STOPPED' && new Date(task.stoppedAt ?? 0).getTime();
      }, 30_000);
      const notices = await readNotices();

      expect(preparedAt).toBeLessThan(stoppedAt);
      expect(notices.filter((notice) => (notice.detail as Record<string, unknown>).taskArn === victim)).toEqual([
        expect.objectContaining({ 'detail-type': 'Session Drain Notice', detail: expect.objectContaining({ reason: 'SPOT', taskArn: victim }) }),
      ]);
      await rehearsal.waitFor('the service to be whole again', () => runningTasks(rehearsal.twin, 'voice').length >= 3, 30_000);
    },
    60_000,
  );
});
