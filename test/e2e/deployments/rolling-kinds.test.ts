import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentState, type Rehearsal } from '@ecs-session-drain/local';
import { itKeepsUsersWhole, onBothSides, report, revision, type Side, type SideRun, startPair, startRehearsal, within } from './support.js';

/*
 * ROLLING deployments that keep the task definition (README "Deployment kinds"): UpdateService
 * forceNewDeployment, and a configuration-only change (networkConfiguration). ECS replaces every
 * task the earlier deployment started although they run the same revision. Each runs side by side
 * with the same users in the stack's scope and outside it (ECS alone: SIGTERM, SIGKILL after 120 s).
 * The new-revision deployment is test/e2e/rolling-deployment.test.ts.
 */

const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0aaaaaaa'], assignPublicIp: 'DISABLED' } };
const NEW_NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0bbbbbbb'], assignPublicIp: 'DISABLED' } };

const KINDS = {
  forced: { forceNewDeployment: true },
  network: { networkConfiguration: NEW_NETWORK },
} as const;
type Kind = keyof typeof KINDS;

describe('ROLLING deployments that keep the task definition', () => {
  let rehearsal: Rehearsal;
  const runs = {} as Record<Kind, Record<Side, SideRun>>;

  async function deploy(kind: Kind): Promise<void> {
    const pair = await startPair(rehearsal, { name: kind, desiredCount: 4, taskDefinition: revision(rehearsal, kind, 1), networkConfiguration: NETWORK });
    runs[kind] = pair;
    await onBothSides(pair, async (run) => {
      const before = run.primary()?.id;
      run.deploying(rehearsal.twin.updateServiceConfiguration(run.clusterArn, kind, KINDS[kind]));
      const id = run.deploymentId;
      if (id === undefined || id === before) throw new Error(`${kind}: the change started no deployment`);
      await within(rehearsal, `the ${kind} deployment to complete in ${run.side}`, 150 * 60, () => deploymentState(rehearsal.twin, kind, id, run.side) === 'COMPLETED', run);
      await run.finish();
    });
    report(`ROLLING ${kind}`, pair);
  }

  beforeAll(async () => {
    rehearsal = await startRehearsal();
    await Promise.all((Object.keys(KINDS) as Kind[]).map((kind) => deploy(kind)));
  }, 180_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  describe.each(Object.keys(KINDS) as Kind[])('%s', (kind) => {
    it('completes: the new deployment alone runs the service, on the same task definition, on both sides', () => {
      for (const run of Object.values(runs[kind])) {
        expect(run.deployments().map((deployment) => [deployment.id, deployment.rolloutState]), run.label).toEqual([[run.deploymentId, 'COMPLETED']]);
        expect(run.running().map((task) => [task.startedBy, task.taskDefinitionArn]), run.label).toEqual(Array.from({ length: 4 }, () => [run.deploymentId, revision(rehearsal, kind, 1)]));
      }
      expect(runs[kind].guarded.stoppedWithSessions()).toBeGreaterThan(0);
    });

    itKeepsUsersWhole(() => runs[kind], { ecsAloneDrops: true });
  });
});
