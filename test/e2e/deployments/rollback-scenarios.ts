/** The rollback scenarios (circuit breaker, manual rollback, superseded deployment), declared once and run in each of the twin's rollback modes by rollbacks*.test.ts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rehearsal, type RollbackMode } from '@ecs-session-drain/local';
import { type BeyondReach, drainsSettled, functionLog, itKeepsUsersWhole, keptTaskDrains, onBothSides, report, revision, type Side, type SideRun, startPair, startRehearsal, UNGUARDED, until, within } from './support.js';

export type RollbackKind = 'breaker' | 'manual' | 'superseded';

/** Deployment ids each side went through: the one the service started with, the one the scenario started, and the one it ends with. */
interface Ids {
  first: string;
  deployed: string;
  /** The newer deployment (superseded) or the rollback's (manual); undefined when the twin reactivates the first. */
  next?: string;
}

const DESCRIPTIONS: Record<RollbackKind, string> = {
  breaker: 'a crash-looping revision (tasks fail to start) rolled back by the deployment circuit breaker',
  manual: 'a deployment rolled back by hand (StopServiceDeployment ROLLBACK) while IN_PROGRESS',
  superseded: 'a deployment superseded by another (revision 3 deployed before revision 2 completed)',
};

/**
 * An operator's rollback as ECS takes it: ListServiceDeployments names the side's deployment in
 * progress, StopServiceDeployment ROLLBACK stops it (the twin's ECS API, as the gateway answers
 * it). Returns the deployment the service is PRIMARY on afterwards: the rollback's.
 */
async function stopThroughApi(rehearsal: Rehearsal, run: SideRun): Promise<string | undefined> {
  const listed = (await rehearsal.twin.api.handle('ListServiceDeployments', { cluster: run.clusterArn, service: run.serviceName, status: ['IN_PROGRESS'] })) as {
    serviceDeployments: Array<{ serviceDeploymentArn: string }>;
  };
  const [inProgress] = listed.serviceDeployments;
  if (inProgress === undefined) throw new Error(`${run.label}: ListServiceDeployments names no service deployment IN_PROGRESS`);
  await rehearsal.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: inProgress.serviceDeploymentArn, stopType: 'ROLLBACK' });
  return run.primary()?.id;
}

/**
 * Declares one describe block: one local cloud whose twin rolls back in `mode`, the given kinds
 * side by side in parallel, each a service of 4 tasks holding sessions, and what users felt.
 */
export function describeRollbacks(mode: RollbackMode, kinds: readonly RollbackKind[]): void {
  describe(`rollbacks and superseded deployments (twin rollbackMode '${mode}')`, () => {
    let rehearsal: Rehearsal;
    const runs = {} as Record<RollbackKind, Record<Side, SideRun>>;
    const ids = new Map<SideRun, Ids>();

    const rev = (kind: RollbackKind, number: number) => revision(rehearsal, kind, number);
    const done = (run: SideRun, kind: RollbackKind, id: string | undefined, taskDefinitionArn: string) => {
      const deployments = run.deployments();
      return id !== undefined && deployments.length === 1 && deployments[0]?.id === id && deployments[0].rolloutState === 'COMPLETED' && deployments[0].taskDefinitionArn === taskDefinitionArn;
    };
    // With 'reactivate' the service goes back to its first deployment; with 'new-deployment' to a new one.
    const rollbackId = (run: SideRun, entry: Ids) => (mode === 'reactivate' ? entry.first : run.primary()?.id !== entry.deployed && run.primary()?.id !== entry.first ? run.primary()?.id : undefined);

    async function scenario(kind: RollbackKind): Promise<void> {
      const spec = { name: kind, desiredCount: 4, taskDefinition: revision(rehearsal, kind, 1), ...(kind === 'breaker' ? { deploymentCircuitBreaker: { enable: true, rollback: true } } : {}) };
      if (kind === 'breaker') rehearsal.twin.setTaskDefinitionBehaviour(rev(kind, 2), { failsToStart: true });
      const pair = await startPair(rehearsal, spec);
      runs[kind] = pair;
      await onBothSides(pair, async (run) => {
        const entry: Ids = { first: run.primary()?.id ?? '', deployed: rehearsal.twin.deploy(run.clusterArn, kind, rev(kind, 2)) };
        ids.set(run, entry);
        run.deploying(entry.deployed);
        if (kind === 'breaker') {
          await within(rehearsal, `the circuit breaker to roll ${run.label} back`, 150 * 60, () => done(run, kind, rollbackId(run, entry), rev(kind, 1)), run);
          entry.next = run.primary()?.id;
        } else {
          const inProgress = () => run.primary()?.id === entry.deployed && run.primary()?.rolloutState === 'IN_PROGRESS';
          const tookOut = await until(rehearsal, `${run.label}'s deployment to take a task out`, () => run.tookOut(entry.first), () => !inProgress(), run, 500);
          if (!tookOut || !inProgress()) throw new Error(`${run.label}: the deployment is no longer in progress${tookOut ? '' : ', and took no task out'}`);
          if (kind === 'manual') {
            const id = await stopThroughApi(rehearsal, run);
            if (mode === 'new-deployment') entry.next = id;
            await within(rehearsal, `${run.label} to roll back`, 150 * 60, () => done(run, kind, id, rev(kind, 1)), run);
          } else {
            entry.next = rehearsal.twin.deploy(run.clusterArn, kind, rev(kind, 3));
            await within(rehearsal, `${run.label}'s newer deployment to complete`, 150 * 60, () => done(run, kind, entry.next, rev(kind, 3)), run);
          }
        }
        if (run.side !== UNGUARDED) await drainsSettled(run);
        await run.finish();
      });
      report(`${kind} (rollbackMode ${mode})`, pair, { guarded: ids.get(pair.guarded), unguarded: ids.get(pair.unguarded) });
    }

    beforeAll(async () => {
      rehearsal = await startRehearsal({ rollbackMode: mode });
      await Promise.all(kinds.map((kind) => scenario(kind)));
    }, 300_000);

    afterAll(async () => {
      await rehearsal?.stop();
    });

    describe.each(kinds)('%s', (kind) => {
      it(`ends as expected: ${DESCRIPTIONS[kind]}`, () => {
        for (const run of Object.values(runs[kind])) {
          const entry = ids.get(run) as Ids;
          const history = run.deploymentHistory();
          const final = run.deployments();
          expect(final, run.label).toHaveLength(1);
          expect(final[0]?.rolloutState, run.label).toBe('COMPLETED');
          if (kind === 'superseded') {
            expect(final[0]?.id, run.label).toBe(entry.next);
            expect(final[0]?.taskDefinitionArn, run.label).toBe(rev(kind, 3));
          } else {
            expect(final[0]?.taskDefinitionArn, run.label).toBe(rev(kind, 1));
            expect(final[0]?.id, run.label).toBe(mode === 'reactivate' ? entry.first : entry.next);
            if (mode === 'new-deployment') expect([entry.first, entry.deployed], run.label).not.toContain(entry.next);
          }
          // The deployment the scenario started never completed; the breaker's FAILED.
          expect(history.get(entry.deployed) ?? [], run.label).not.toContain('COMPLETED');
          if (kind === 'breaker') expect(history.get(entry.deployed), run.label).toContain('FAILED');
          expect(run.running().filter((task) => task.startedBy !== final[0]?.id).map((task) => task.startedBy), run.label).toEqual([]);
          if (kind === 'breaker') {
            // The circuit breaker's threshold for 4 tasks is 3 failed tasks; none of the broken revision ever ran.
            const broken = run.tasks().filter((task) => task.taskDefinitionArn === rev(kind, 2));
            expect(broken.filter((task) => task.stopCode === 'TaskFailedToStart').length, run.label).toBeGreaterThanOrEqual(3);
            expect(broken.filter((task) => task.startedAt !== undefined).map((task) => task.taskArn), run.label).toEqual([]);
          }
        }
      });

      it('ends every drain of a task the final deployment keeps CANCELLED, or never starts one', async () => {
        const kept = await keptTaskDrains(runs[kind].guarded);
        expect(kept.filter((drain) => drain.outcome !== 'CANCELLED')).toEqual([]);
        // Going back to the first deployment's tasks mid-drain: the drains under way are called off.
        if (mode === 'reactivate' && kind === 'manual') expect(kept.length).toBeGreaterThan(0);
      });

      // ECS alone cuts users off wherever a deployment replaces tasks that hold sessions: every case but a
      // reactivated deployment whose broken revision never ran a task (ECS stops nothing then).
      // A rollback or a newer deployment that interrupts a deployment replaces the tasks of both: ECS
      // protects no more tasks than the desired count, and the interrupted deployment's old tasks
      // still draining hold part of that, so some busy tasks could not be protected (README "Limits").
      const beyondReach = kind === 'breaker' ? undefined : refusedProtection(() => rehearsal);
      itKeepsUsersWhole(() => runs[kind], { ecsAloneDrops: !(kind === 'breaker' && mode === 'reactivate'), ...(beyondReach === undefined ? {} : { beyondReach }) });
    });
  });
}

/**
 * Tasks ECS refused to protect (DEPLOYMENT_BLOCKED), or was already stopping when asked to (the
 * window between a task's first session and its protection, README "Limits"), as the protecting
 * functions logged it, and that were not protected when they stopped: what no orchestrator can
 * keep from a deployment that interrupts another.
 */
function refusedProtection(rehearsal: () => Rehearsal): BeyondReach {
  return {
    what: 'ECS refused to protect (DEPLOYMENT_BLOCKED: more busy tasks than the desired count) or was already stopping when asked',
    comparable: true,
    tasks: (run) => {
      const lines = ['RegistryStreamFunction', 'ReconcilerFunction'].flatMap((logicalId) => functionLog(rehearsal(), logicalId)).filter((line) => line.enabled === true);
      const blocked = lines.filter((line) => line.message === 'ECS did not change protection of every task').flatMap((line) => (Array.isArray(line.blocked) ? (line.blocked as string[]) : []));
      const stopping = lines
        .filter((line) => line.message === 'protection updated' && typeof line.outcomes === 'object' && line.outcomes !== null)
        .flatMap((line) => Object.entries(line.outcomes as Record<string, unknown>).filter(([, outcome]) => outcome === 'not-applicable').map(([taskArn]) => taskArn));
      const refused = new Set([...blocked, ...stopping]);
      return new Set(run.tasks().filter((task) => refused.has(task.taskArn) && !task.protection.enabled).map((task) => task.taskArn));
    },
  };
}
