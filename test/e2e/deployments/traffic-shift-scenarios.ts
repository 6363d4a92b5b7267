/** The BLUE_GREEN, LINEAR and CANARY scenarios (README "Deployment kinds": a pause hook at POST_PRODUCTION_TRAFFIC_SHIFT on the guarded side, the same strategy without it under ECS alone), declared once for traffic-shift*.test.ts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rehearsal } from '@ecs-session-drain/local';
import { type BeyondReach, drainsSettled, functionLog, GUARDED, itKeepsUsersWhole, onBothSides, report, revision, type Side, type SideRun, startPair, startRehearsal, UNGUARDED, within } from './support.js';

export type TrafficShiftKind = 'bluegreen' | 'bgrollback' | 'linear' | 'canary';

/** The pause hook the README tells users to add: ECS waits for the orchestrator's ContinueServiceDeployment; 600 min is above MaxDrainSeconds / 60 (480 min, scaled like the twin). */
export const PAUSE_HOOK = { targetType: 'PAUSE', lifecycleStages: ['POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutConfiguration: { timeoutInMinutes: 600, action: 'CONTINUE' } };

/**
 * The Lambda hook the README tells users to add at PRODUCTION_TRAFFIC_SHIFT (pause hooks are not
 * allowed there): forward it answers SUCCEEDED at once; in a rollback it holds ECS until green is
 * empty. Its timeout is above MaxDrainSeconds / 60, as for the pause hook.
 */
export function rollbackHook(rehearsal: Rehearsal): Record<string, unknown> {
  const hookTargetArn = rehearsal.cloud.stack.functions.RollbackHookFunction?.arn ?? '';
  const account = hookTargetArn.split(':')[4] ?? '';
  return {
    targetType: 'AWS_LAMBDA',
    hookTargetArn,
    // ECS assumes the stack's RollbackHookInvokeRole; the local cloud invokes with its own credentials (local/rehearsal/lifecycle-hooks.ts).
    roleArn: `arn:aws:iam::${account}:role/RollbackHookInvokeRole`,
    lifecycleStages: ['PRODUCTION_TRAFFIC_SHIFT'],
    timeoutConfiguration: { timeoutInMinutes: 600, action: 'CONTINUE' },
  };
}

const STRATEGIES: Record<TrafficShiftKind, Record<string, unknown>> = {
  bluegreen: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10 },
  bgrollback: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10 },
  // LINEAR and CANARY bake 0 minutes unless told; 2 keeps a BAKE_TIME stage to observe, and blue's
  // latest users (it takes a share of them until the last step) still on it when ECS alone cleans up.
  linear: { strategy: 'LINEAR', bakeTimeInMinutes: 2, linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 2 } },
  canary: { strategy: 'CANARY', bakeTimeInMinutes: 2, canaryConfiguration: { canaryPercent: 20, canaryBakeTimeInMinutes: 4 } },
};

const DESCRIPTIONS: Record<TrafficShiftKind, string> = {
  bluegreen: 'BLUE_GREEN: green takes all production traffic, blue drains at the pause hook, the deployment continues and completes',
  bgrollback: 'BLUE_GREEN rolled back during bake time (StopServiceDeployment ROLLBACK): production traffic goes back to blue, which serves on',
  linear: 'LINEAR (25 % steps): blue drains at the pause hook after the last step, the deployment continues and completes',
  canary: 'CANARY (20 % canary): blue drains at the pause hook after the full shift, the deployment continues and completes',
};

/** Scenario seconds into bake time at which bgrollback rolls back (the bake lasts 10 minutes). */
const ROLLBACK_AFTER_SECONDS = 2 * 60;

/** When the twin's rollbacks scale green down (EcsTwinOptions.blueGreenRollbackScalesGreenDown): AWS does not say. */
export type GreenScaleDown = 'at-once' | 'after-hooks';

export function describeTrafficShifts(kinds: readonly TrafficShiftKind[], greenScaleDown: GreenScaleDown = 'at-once'): void {
  describe(`deployments that shift traffic (BLUE_GREEN, LINEAR, CANARY; a rollback scales green down ${greenScaleDown})`, () => {
    let rehearsal: Rehearsal;
    const runs = {} as Record<TrafficShiftKind, Record<Side, SideRun>>;
    const blueIds = new Map<SideRun, string>();
    const rolledBackAt = new Map<SideRun, number>();

    // The rollback hook only where the scenario rolls back: going forward it answers SUCCEEDED without a
    // call (unit-tested), and each extra Lambda invocation of the local cloud stalls its one Node
    // process for a moment, in which a user can be turned away (seen twice at the production shift).
    const guardedHooks = (kind: TrafficShiftKind) => (kind === 'bgrollback' ? [PAUSE_HOOK, rollbackHook(rehearsal)] : [PAUSE_HOOK]);

    async function scenario(kind: TrafficShiftKind): Promise<void> {
      const pair = await startPair(
        rehearsal,
        { name: kind, desiredCount: 4, taskDefinition: revision(rehearsal, kind, 1) },
        { specFor: (side) => ({ name: kind, desiredCount: 4, taskDefinition: revision(rehearsal, kind, 1), deploymentConfiguration: { ...STRATEGIES[kind], ...(side === GUARDED ? { lifecycleHooks: guardedHooks(kind) } : {}) } }) },
      );
      runs[kind] = pair;
      await onBothSides(pair, async (run) => {
        blueIds.set(run, run.primary()?.id ?? '');
        run.deploying(rehearsal.twin.deploy(run.clusterArn, kind, revision(rehearsal, kind, 2)));
        run.watchStages();
        if (kind === 'bgrollback') {
          await within(rehearsal, `${run.label} to bake`, 150 * 60, () => run.stages.includes('BAKE_TIME'), run);
          await rehearsal.clock.sleep(ROLLBACK_AFTER_SECONDS);
          rolledBackAt.set(run, Date.now());
          rehearsal.twin.rollBackServiceDeployment(run.clusterArn, kind);
          const blue = blueIds.get(run);
          await within(rehearsal, `${run.label} to roll back`, 150 * 60, () => run.deployments().length === 1 && run.primary()?.id === blue && run.primary()?.rolloutState === 'COMPLETED', run);
        } else {
          await within(rehearsal, `${run.label} to complete`, 150 * 60, () => run.deployments().length === 1 && run.primary()?.id === run.deploymentId && run.primary()?.rolloutState === 'COMPLETED', run);
        }
        if (run.side !== UNGUARDED) await drainsSettled(run);
        // Users go on arriving for a while: a rolled-back blue must take them again.
        await rehearsal.clock.sleep(3 * 60);
        await run.finish();
      });
      report(kind, pair, { stages: { guarded: pair.guarded.stages, unguarded: pair.unguarded.stages } });
    }

    beforeAll(async () => {
      rehearsal = await startRehearsal({ blueGreenRollbackScalesGreenDown: greenScaleDown });
      await Promise.all(kinds.map((kind) => scenario(kind)));
    }, 180_000);

    afterAll(async () => {
      await rehearsal?.stop();
    });

    describe.each(kinds)('%s', (kind) => {
      const rollback = kind === 'bgrollback';

      it(`ends as expected: ${DESCRIPTIONS[kind]}`, async () => {
        for (const run of Object.values(runs[kind])) {
          const [final] = run.deployments();
          expect(run.deployments(), run.label).toHaveLength(1);
          expect(final?.rolloutState, run.label).toBe('COMPLETED');
          expect(final?.id, run.label).toBe(rollback ? blueIds.get(run) : run.deploymentId);
          expect(await run.serviceDeploymentStatus(), run.label).toBe(rollback ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL');
          if (rollback) expect(run.deploymentHistory().get(run.deploymentId ?? ''), run.label).toContain('FAILED');
        }
        // Guarded, the deployment waited at the pause hook, then went on (long before the hook's 600 minutes ran out).
        const guarded = runs[kind].guarded;
        const after = guarded.stages.slice(guarded.stages.indexOf('POST_PRODUCTION_TRAFFIC_SHIFT'));
        expect(after.slice(0, 2)).toEqual(['POST_PRODUCTION_TRAFFIC_SHIFT', 'BAKE_TIME']);
        expect(guarded.felt().deploymentSeconds).toBeLessThan(600 * 60);
      });

      it('drains every blue task at the hook, and lets the deployment go on once they are empty', async () => {
        const guarded = runs[kind].guarded;
        const blue = new Set(guarded.tasks().filter((task) => task.startedBy === blueIds.get(guarded)).map((task) => task.taskArn));
        const drains = (await guarded.drains()).filter((execution) => blue.has(execution.taskArn ?? ''));
        expect(drains.map((execution) => [execution.reason, execution.status])).toEqual([...blue].map(() => ['DEPLOYMENT', 'SUCCEEDED']));
        // Blue emptied before its drain deadline (DefaultDrainSeconds, 100 scenario minutes): each drain ended DRAINED.
        expect(drains.map((execution) => execution.outcome)).toEqual([...blue].map(() => 'DRAINED'));
        const continued = ['DeploymentHookFunction', 'StopDrainedTaskFunction']
          .flatMap((logicalId) => functionLog(rehearsal, logicalId))
          .filter((line) => line.message === 'blue tasks drained: deployment continued' && String(line.serviceDeploymentArn ?? '') === guarded.serviceDeploymentArn);
        expect(continued.length).toBeGreaterThan(0);
      });

      if (rollback) {
        it('gives blue back to its users after the rollback: its tasks serve on, none DRAINING, and take new sessions', () => {
          const guarded = runs[kind].guarded;
          const blue = new Set(guarded.running().map((task) => task.taskArn));
          const since = rolledBackAt.get(guarded) ?? Number.POSITIVE_INFINITY;
          const onBlueSince = guarded.records().filter((record) => record.openedAt > since && blue.has(record.taskArn ?? ''));
          expect([...blue].every((taskArn) => guarded.tasks().find((task) => task.taskArn === taskArn)?.startedBy === blueIds.get(guarded))).toBe(true);
          expect(onBlueSince.length).toBeGreaterThan(0);
        });
      }

      if (rollback && greenScaleDown === 'after-hooks') {
        it('holds the rollback at PRODUCTION_TRAFFIC_SHIFT until green is empty: every green task drained, then removed by ECS', async () => {
          const guarded = runs[kind].guarded;
          const green = new Set(guarded.tasks().filter((task) => task.startedBy === guarded.deploymentId).map((task) => task.taskArn));
          const drains = (await guarded.drains()).filter((execution) => green.has(execution.taskArn ?? ''));
          expect(drains.map((execution) => [execution.reason, execution.outcome])).toEqual([...green].map(() => ['DEPLOYMENT', 'DRAINED']));
          const answers = functionLog(rehearsal, 'RollbackHookFunction')
            .filter((line) => line.message === 'lifecycle hook answered' && line.serviceDeploymentArn === guarded.serviceDeploymentArn)
            .map((line) => (line.answer as { hookStatus?: string } | undefined)?.hookStatus);
          // Forward it answered at once; rolling back it held ECS at least once, and let it go last.
          expect(answers[0]).toBe('SUCCEEDED');
          expect(answers).toContain('IN_PROGRESS');
          expect(answers.at(-1)).toBe('SUCCEEDED');
        });
      }

      // Where the rollback removes green before its hooks run (the twin's default, as AWS does not
      // say), nothing holds green: its users are cut on both sides. The counts do not compare: the
      // guarded side bakes only once blue has drained, so its green has had users for longer.
      const beyondReach: BeyondReach | undefined =
        rollback && greenScaleDown === 'at-once'
          ? { what: 'of green, which the rollback removed before its hooks ran', tasks: (run) => new Set(run.tasks().filter((task) => task.startedBy === run.deploymentId).map((task) => task.taskArn)), comparable: false }
          : undefined;
      itKeepsUsersWhole(() => runs[kind], { ecsAloneDrops: true, ...(beyondReach === undefined ? {} : { beyondReach }) });
    });
  });
}
