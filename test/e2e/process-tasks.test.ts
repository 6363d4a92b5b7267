import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deployAndWait,
  endings,
  inService,
  MANAGED,
  openClientSessions,
  processMode,
  type ProcessServiceSpec,
  Rehearsal,
  runningTasks,
  startProcessService,
  taskOutcomes,
} from '@ecs-session-drain/local';

/*
 * Tasks as real processes: every task is a child process behind a health-checked load balancer,
 * and every user is a real WebSocket client. One scenario second lasts 50 ms, so stopTimeout
 * (120 s) is 6 s of real time.
 *
 * The Node example (examples/session-server, agent in-process) through a rolling deployment, with
 * and without the orchestrator, and a Fargate Spot warning is what `npm run demo -- --processes`
 * shows; test/e2e/commands.test.ts runs that command, whose exit code fails when a session was cut
 * with the orchestrator or a drained process did not exit 0 after its last session.
 *
 * Issue 13: here the tasks of the "py-chat" service run the Python example, which takes part
 * through the session sidecar's HTTP API only: two processes per task, the sidecar being the
 * agent package's bin.
 */
const SCALE = 0.05;
const PYTHON: ProcessServiceSpec = { cluster: 'sessions', service: 'py-chat', tasks: 2 };

let rehearsal: Rehearsal;

beforeAll(async () => {
  rehearsal = await Rehearsal.start({ scale: SCALE, clusterNames: [MANAGED.cluster], processes: { app: (task) => (task.serviceName === PYTHON.service ? 'python' : 'node') } });
}, 120_000);

afterAll(async () => {
  await rehearsal?.stop();
});

describe('Tasks as real processes with the session agent', () => {
  it('runs the Python app with its sidecar through a rolling deployment and a Spot interruption: no session cut, old processes exit 0 after their last session', async () => {
    const { clients, tasks } = processMode(rehearsal);
    await startProcessService(rehearsal, PYTHON);
    await openClientSessions(rehearsal, { count: PYTHON.tasks * 10, prefix: 'py', minSeconds: 100, maxSeconds: 400, filter: inService(PYTHON) });
    await rehearsal.waitFor('every Python task to be protected', () => runningTasks(rehearsal.twin, PYTHON.service, PYTHON.cluster).every((task) => task.protection.enabled), 60_000, 50);

    await deployAndWait(rehearsal, { ...PYTHON, revision: 2 });
    const drained = taskOutcomes(rehearsal, PYTHON, 1);
    const [victim] = runningTasks(rehearsal.twin, PYTHON.service, PYTHON.cluster);
    await openClientSessions(rehearsal, { count: 8, prefix: 'py-spot', minSeconds: 2000, maxSeconds: 3000, filter: (target) => target.taskArn === victim!.taskArn });
    rehearsal.twin.interruptFargateSpot(victim!.taskArn, 'SpotInterruption');
    await rehearsal.waitFor("the Spot task's processes to end", () => tasks.process(victim!.taskArn)?.exitedAt, 60_000, 50);
    const spotSessions = clients.onTask(victim!.taskArn);
    const spotProcess = tasks.process(victim!.taskArn)!;

    expect(drained).toHaveLength(PYTHON.tasks);
    const drainedSessions = drained.flatMap((task) => task.sessions);
    expect(drainedSessions).toHaveLength(PYTHON.tasks * 10);
    expect(endings(drainedSessions), "how the old Python tasks' sessions ended").toEqual({ client: drainedSessions.length, graceful: 0, abnormal: 0, other: 0, open: 0 });
    for (const task of drained) {
      expect(task.process?.killedAt, `processes of ${task.taskArn} were never killed`).toBeUndefined();
      expect(task.process?.exitCode, 'the Python app exits 0').toBe(0);
      expect(task.process?.sidecar?.exitCode, 'its sidecar exits 0').toBe(0);
      expect(task.process!.exitedAt!, 'after the last session ended').toBeGreaterThanOrEqual(task.lastSessionEndedAt);
      expect(task.process!.sidecar!.exitedAt!, 'the sidecar after the app (the dependency reversed)').toBeGreaterThanOrEqual(task.lastSessionEndedAt);
    }
    expect(endings(spotSessions), "how the Spot Python task's sessions ended").toMatchObject({ abnormal: 0, other: 0, open: 0 });
    expect(spotSessions.filter((session) => session.ending === 'graceful').length).toBeGreaterThanOrEqual(8);
    for (const session of spotSessions.filter((candidate) => candidate.ending === 'graceful')) {
      expect(session.endedAt!).toBeLessThanOrEqual(spotProcess.killedAt ?? spotProcess.exitedAt!);
      expect(JSON.parse(session.reason ?? '{}')).toMatchObject({ reconnect: true });
    }
    expect(spotProcess).toMatchObject({ exitCode: 0, sidecar: { exitCode: 0 } });
    expect(spotProcess.killedAt).toBeUndefined();
    expect(rehearsal.errors).toEqual([]);
  }, 120_000);
});
