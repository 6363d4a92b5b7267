import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deployAndWait,
  deploySideBySide,
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
  UNMANAGED,
} from '@ecs-session-drain/local';

/*
 * Issue 4, with real processes: every task is a child process running the example WebSocket
 * server with the session agent, behind a health-checked load balancer, and every user is a real
 * WebSocket client. One scenario second lasts 50 ms, so stopTimeout (120 s) is 6 s of real time
 * and sessions of 100..500 s last 5..25 s.
 *
 * Two clusters run the same service side by side: "sessions" is in the orchestrator's scope,
 * "unmanaged" is not, which is the orchestrator disabled for that service (the agent still runs).
 *
 * Issue 13: the tasks of the "py-chat" service run the Python example instead, which takes part
 * through the session sidecar's HTTP API only: two processes per task, the sidecar being the
 * agent package's bin. It shares this file's local cloud, which is most of a file's cost.
 */
const SCALE = 0.05;
const SESSIONS_PER_TASK = 25;
const PYTHON: ProcessServiceSpec = { cluster: 'sessions', service: 'py-chat', tasks: 2 };

let rehearsal: Rehearsal;

beforeAll(async () => {
  rehearsal = await Rehearsal.start({ scale: SCALE, clusterNames: [MANAGED.cluster], processes: { app: (task) => (task.serviceName === PYTHON.service ? 'python' : 'node') } });
}, 120_000);

afterAll(async () => {
  await rehearsal?.stop();
});

describe('Tasks as real processes with the session agent', () => {
  it('drains a rolling deployment of 4 processes with ~25 WebSocket sessions each without one abnormal closure; without the orchestrator the same deployment kills sessions', async () => {
    await deploySideBySide(rehearsal, SESSIONS_PER_TASK);

    const drained = taskOutcomes(rehearsal, MANAGED, 1);
    const drainedSessions = drained.flatMap((task) => task.sessions);
    expect(drained).toHaveLength(4);
    expect(drainedSessions.length).toBeGreaterThanOrEqual(4 * SESSIONS_PER_TASK * 0.8);
    expect(endings(drainedSessions), 'how the old tasks\' sessions ended, with the orchestrator').toEqual({ client: drainedSessions.length, graceful: 0, abnormal: 0, other: 0, open: 0 });
    for (const task of drained) {
      expect(task.process?.exitedAt, `process of ${task.taskArn} exited`).toBeDefined();
      expect(task.process?.killedAt, `process of ${task.taskArn} was never killed`).toBeUndefined();
      expect(task.process?.exitCode).toBe(0);
      expect(task.process!.exitedAt!, `process of ${task.taskArn} exited after its last session ended`).toBeGreaterThanOrEqual(task.lastSessionEndedAt);
    }

    const killed = taskOutcomes(rehearsal, UNMANAGED, 1);
    const killedEndings = endings(killed.flatMap((task) => task.sessions));
    expect(killedEndings.abnormal, 'abnormal closures without the orchestrator').toBeGreaterThan(0);
    expect(killed.some((task) => task.process?.killCause === 'SIGKILL')).toBe(true);
    expect(rehearsal.errors).toEqual([]);
  }, 240_000);

  it('closes every session of a Fargate Spot task gracefully (1012, with a reconnect hint) before the SIGKILL', async () => {
    const spot: ProcessServiceSpec = { cluster: 'sessions', service: 'game', tasks: 1 };
    await startProcessService(rehearsal, spot);
    const [task] = runningTasks(rehearsal.twin, spot.service, spot.cluster);
    await openClientSessions(rehearsal, { count: SESSIONS_PER_TASK, prefix: 'spot', minSeconds: 2000, maxSeconds: 3000, filter: inService(spot) });
    const { clients, tasks } = processMode(rehearsal);

    rehearsal.twin.interruptFargateSpot(task!.taskArn, 'SpotInterruption');
    await rehearsal.waitFor('the Spot task\'s process to end', () => tasks.process(task!.taskArn)?.exitedAt, 60_000, 50);

    const sessions = clients.onTask(task!.taskArn);
    const ended = tasks.process(task!.taskArn)!;
    expect(sessions).toHaveLength(SESSIONS_PER_TASK);
    expect(endings(sessions), 'how the Spot task\'s sessions ended').toEqual({ client: 0, graceful: SESSIONS_PER_TASK, abnormal: 0, other: 0, open: 0 });
    for (const session of sessions) {
      expect(session.endedAt!).toBeLessThanOrEqual(ended.killedAt ?? ended.exitedAt!);
      expect(JSON.parse(session.reason ?? '{}')).toMatchObject({ reconnect: true });
    }
    expect(rehearsal.errors).toEqual([]);
  }, 120_000);

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
