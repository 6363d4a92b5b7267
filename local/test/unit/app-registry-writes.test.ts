import { describe, expect, it } from 'vitest';
import type { RegistryWriter } from '@ecs-session-drain/agent/registry';
import { twinWithApps } from './apps-support.js';
import { CLUSTER, taskDefinition, waitFor } from './twin/support.js';

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
  const errors: string[] = [];
  return { ...twinWithApps({ writer, retryDelaysMs: [1, 2, 5], onError: (what) => errors.push(what) }), errors };
}

/** A service of one task holding one hour-long session. */
async function oneTaskWithASession(h: ReturnType<typeof harness>): Promise<string> {
  h.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1) });
  const [task] = await waitFor('the task to accept sessions', () => {
    const accepting = h.apps.acceptingTasks();
    return accepting.length === 1 && accepting;
  });
  expect(await h.apps.open(task?.taskArn ?? '', 'user-1', 3600)).toBe(true);
  return task?.taskArn ?? '';
}

describe('the simulated app\'s registry writes', () => {
  it('retries a session close until it lands, past the five retries of its other writes', async () => {
    // prepare: ten failures, more than any bounded retry of the other writes allows
    const { writer, calls } = flakyRegistry(10);
    const h = harness(writer);
    const taskArn = await oneTaskWithASession(h);

    // act
    await h.apps.endSessions(taskArn);

    // assert
    expect(calls).toEqual({ closes: 11, closed: 1 });
    expect(h.errors).toEqual([]);
  });

  it('stops retrying a close once the apps stop', async () => {
    // prepare: a registry that never takes the close
    const { writer, calls } = flakyRegistry(Number.POSITIVE_INFINITY);
    const h = harness(writer);
    const taskArn = await oneTaskWithASession(h);
    const closing = h.apps.endSessions(taskArn);
    await waitFor('a few failed closes', () => calls.closes >= 3);

    // act
    h.apps.stop();

    // assert: the close ends, given up and reported
    await closing;
    expect(calls.closed).toBe(0);
    expect(h.errors).toEqual([expect.stringMatching(/^closing user-1/)]);
  });
});
