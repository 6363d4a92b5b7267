import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentState, type Rehearsal } from '@ecs-session-drain/local';
import { GUARDED, itKeepsUsersWhole, onBothSides, report, revision, type Side, SIDES, type SideRun, startPair, startRehearsal, within } from './support.js';

/*
 * ROLLING deployments that keep the task definition (README "Deployment kinds"): UpdateService
 * forceNewDeployment, and a configuration-only change (networkConfiguration). ECS replaces every
 * task the earlier deployment started although they run the same revision. Each runs side by side
 * with the same users in the stack's scope and outside it (ECS alone: SIGTERM, SIGKILL after 120 s).
 * The third kind is a forced deployment of an EC2 service in bridge mode behind a load balancer:
 * ECS registers each task as its instance and a dynamic host port, and users reach a task only
 * once that target is healthy. It runs the whole stack in that mode; it does not single out the
 * pacer's matching of instance targets (with that matching disabled it passed too, also with
 * health checks of 600 scenario seconds): test/unit/core/deployments/target-health.test.ts does.
 * The new-revision deployment is test/e2e/rolling-deployment.test.ts.
 */

const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0aaaaaaa'], assignPublicIp: 'DISABLED' } };
const NEW_NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0bbbbbbb'], assignPublicIp: 'DISABLED' } };
const TARGET_GROUP = (side: Side) => `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/desk-${side}/73e2d6bc24d8a067`;

const KINDS = {
  forced: { change: { forceNewDeployment: true }, service: () => ({ networkConfiguration: NETWORK }) },
  network: { change: { networkConfiguration: NEW_NETWORK }, service: () => ({ networkConfiguration: NETWORK }) },
  bridge: {
    change: { forceNewDeployment: true },
    // No networkMode registered: EC2 tasks run in bridge mode, ECS's default.
    service: (side: Side) => ({ launchType: 'EC2' as const, loadBalancers: [{ targetGroupArn: TARGET_GROUP(side), containerName: 'app', containerPort: 8080 }] }),
  },
} as const;
type Kind = keyof typeof KINDS;

describe('ROLLING deployments that keep the task definition', () => {
  let rehearsal: Rehearsal;
  const runs = {} as Record<Kind, Record<Side, SideRun>>;

  async function deploy(kind: Kind): Promise<void> {
    const base = { name: kind, desiredCount: 4, taskDefinition: revision(rehearsal, kind, 1) };
    const pair = await startPair(rehearsal, { ...base, ...KINDS[kind].service(GUARDED) }, { specFor: (side) => ({ ...base, ...KINDS[kind].service(side) }) });
    runs[kind] = pair;
    await onBothSides(pair, async (run) => {
      const before = run.primary()?.id;
      run.deploying(rehearsal.twin.updateServiceConfiguration(run.clusterArn, kind, KINDS[kind].change));
      const id = run.deploymentId;
      if (id === undefined || id === before) throw new Error(`${kind}: the change started no deployment`);
      await within(rehearsal, `the ${kind} deployment to complete in ${run.side}`, 150 * 60, () => deploymentState(rehearsal.twin, kind, id, run.side) === 'COMPLETED', run);
      await run.finish();
    });
    report(`ROLLING ${kind}`, pair);
  }

  beforeAll(async () => {
    rehearsal = await startRehearsal();
    // Two container instances per side for the bridge kind's tasks (the twin places them by spread).
    for (const side of SIDES) for (const index of [1, 2]) rehearsal.twin.registerContainerInstance(rehearsal.twin.createCluster(side), { ec2InstanceId: `i-0${side === GUARDED ? 'a' : 'b'}1b2c3d4e5f6000${index}` });
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

  it('bridge: each task of the final deployment is a healthy instance target on its own dynamic host port, on both sides', () => {
    for (const side of SIDES) {
      const run = runs.bridge[side];
      const targets = rehearsal.twin.targetHealth(TARGET_GROUP(side));
      const bound = run.running().map((task) => task.networkBindings?.[0]?.hostPort);
      expect(bound.every((port) => port !== undefined && port >= 32768 && port < 61000), run.label).toBe(true);
      const healthy = targets.filter((target) => target.TargetHealth.State === 'healthy').map((target) => target.Target);
      expect(healthy.map((target) => target.Port).sort(), run.label).toEqual([...bound].sort());
      expect(healthy.every((target) => target.Id.startsWith('i-')), run.label).toBe(true);
    }
  });
});
