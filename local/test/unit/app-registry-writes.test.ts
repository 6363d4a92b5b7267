import { describe, expect, it } from 'vitest';
import type { RegistryWriter } from '@ecs-session-drain/agent/registry';
import { SessionLedger } from '../../workload/session-ledger.js';
import { SimulatedApps } from '../../workload/simulated-apps.js';
import { CLUSTER, startTwin, taskDefinition, waitFor } from './twin/support.js';

/*
 * The simulated app writes its sessions to the registry as the agent does. A close is retried
 * until it lands, as the agent's session book retries it: a close given up leaves the registry
 * counting a session that is gone, and the task's drain waits for it until the deadline.
 */

/** A registry that answers every write but fails the first `failures` session closes, as an overloaded moto did. */
function flakyRegistry(failures: number) {
  const calls = { closes: 0, closed: 0 };
  const writer = {
    tableName: 'registry',
    now: () => new Date(),
    ddb: {
      send: async (command: { input?: { TransactItems?: Array<{ Delete?: unknown }> } }) => {
        if (command.input?.TransactItems?.[0]?.Delete === undefined) return {};
        calls.closes += 1;
        if (calls.closes <= failures) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        calls.closed += 1;
        return {};
      },
    },
  } as unknown as RegistryWriter;
  return { writer, calls };
}

function harness(writer: RegistryWriter) {
  const ledger = new SessionLedger();
  const errors: string[] = [];
  let apps: SimulatedApps | undefined;
  const twinHarness = startTwin({
    runtime: {
      started: (task) => apps?.started(task),
      sigterm: (task, info) => apps?.sigterm(task, info),
      killed: (task, cause) => apps?.killed(task, cause),
    },
  });
  apps = new SimulatedApps({ writer, clock: twinHarness.clock, ledger, retryDelaysMs: [1, 2, 5], onError: (what) => errors.push(what) });
  const built = apps;
  apps.attach((taskArn) => twinHarness.twin.containerExited(taskArn, 0));
  return { ...twinHarness, apps: built, errors };
}

describe('the simulated app\'s registry writes', () => {
  it('retries a session close until it lands, past the five retries of its other writes', async () => {
    // prepare: ten failures, more than any bounded retry of the other writes allows
    const { writer, calls } = flakyRegistry(10);
    const h = harness(writer);
    h.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1) });
    const [task] = await waitFor('the task to accept sessions', () => {
      const accepting = h.apps.acceptingTasks();
      return accepting.length === 1 && accepting;
    });
    expect(await h.apps.open(task?.taskArn ?? '', 'user-1', 3600)).toBe(true);

    // act
    await h.apps.endSessions(task?.taskArn ?? '');

    // assert
    expect(calls).toEqual({ closes: 11, closed: 1 });
    expect(h.errors).toEqual([]);
  });

  it('stops retrying a close once the apps stop', async () => {
    // prepare: a registry that never takes the close
    const { writer, calls } = flakyRegistry(Number.POSITIVE_INFINITY);
    const h = harness(writer);
    h.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1) });
    const [task] = await waitFor('the task to accept sessions', () => {
      const accepting = h.apps.acceptingTasks();
      return accepting.length === 1 && accepting;
    });
    expect(await h.apps.open(task?.taskArn ?? '', 'user-1', 3600)).toBe(true);
    const closing = h.apps.endSessions(task?.taskArn ?? '');
    await waitFor('a few failed closes', () => calls.closes >= 3);

    // act
    h.apps.stop();

    // assert: the close ends, given up and reported
    await closing;
    expect(calls.closed).toBe(0);
    expect(h.errors).toEqual([expect.stringMatching(/^closing user-1/)]);
  });
});
