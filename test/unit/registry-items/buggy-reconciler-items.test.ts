import { DescribeServicesCommand, DescribeTasksCommand, ListServicesCommand, StopTaskCommand, UpdateServiceCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { runReconciler } from '../../../functions/handlers/reconciler.js';
import { CLUSTER_ARN, NOW, taskArn } from '../../support/deps.js';
import { benignWorld } from '../../support/fuzz/world.js';

/*
 * The reconciler reads task items through the ByCluster index. An item a buggy task wrote is left
 * out of every decision, with one log line per run, where its valid twin would be acted on.
 */

const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const TASK = taskArn('0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c');
const SERVICE_ARN = 'arn:aws:ecs:us-east-1:111122223333:service/sessions/chat';
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-1';
type Item = Record<string, unknown>;

function item(overrides: Item = {}): Item {
  return {
    pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn: CLUSTER_ARN, serviceTask: `chat#${TASK}`, serviceName: 'chat',
    sessionCount: 0, status: 'ACTIVE', heartbeatAt: NOW_SECONDS - 10, protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 86_400,
    ...overrides,
  };
}

interface Scenario {
  /** What the reconciler does to the valid item. */
  action: string;
  valid: Item;
  lastStatus: 'RUNNING' | 'STOPPED';
  service?: { runningCount: number; desiredCount: number };
}

const scenarios: Scenario[] = [
  { action: 'drains it for a scale-in', valid: item(), lastStatus: 'RUNNING', service: { runningCount: 3, desiredCount: 2 } },
  { action: 'ends its drain: heartbeat lost', valid: item({ status: 'DRAINING', sessionCount: 2, waitArmed: true, executionArn: EXECUTION, drainReason: 'MANUAL', heartbeatAt: NOW_SECONDS - 600 }), lastStatus: 'RUNNING' },
  { action: 'marks it STOPPED: ECS stopped it', valid: item({ sessionCount: 1 }), lastStatus: 'STOPPED' },
  { action: 'renews its protection', valid: item({ sessionCount: 3, protectionState: 'BLOCKED' }), lastStatus: 'RUNNING' },
  { action: 'releases its orphaned replacement', valid: item({ sessionCount: 1, replacementRequested: true }), lastStatus: 'RUNNING' },
];

const buggyFields: [string, Item | ((valid: Item) => Item)][] = [
  ['a negative session count', { sessionCount: -1 }],
  ['a session count of 1e308', { sessionCount: 1e308 }],
  ['a session count of 2^63 (the SDK reads it as a BigInt)', { sessionCount: 2n ** 63n }],
  ['a session count written as a string', { sessionCount: '3' }],
  ['an unknown status', { status: 'PAUSED' }],
  ['a heartbeat written as a string', { heartbeatAt: '0' }],
  ['a protection expiry of 1e308', { protectedUntil: 1e308 }],
  ['an armed-wait mark that is a number', { waitArmed: 7 }],
  ['no session count', (valid) => omit(valid, 'sessionCount')],
  ['no status', (valid) => omit(valid, 'status')],
  ['a taskArn that is not its key', { taskArn: taskArn('someone-else') }],
];

function omit(valid: Item, key: string): Item {
  return Object.fromEntries(Object.entries(valid).filter(([name]) => name !== key));
}

function arrange(scenario: Scenario, listed: Item) {
  const world = benignWorld();
  const { mocks } = world;
  mocks.ddb.on(QueryCommand).resolves({ Items: [listed] });
  mocks.ddb.on(GetCommand).callsFake((input: { Key: { sk: string } }) =>
    input.Key.sk === 'TASK' ? { Item: listed } : input.Key.sk === 'WAIT' ? { Item: { executionArn: EXECUTION, taskArn: TASK, taskToken: 'token-1' } } : {},
  );
  mocks.ddb.on(UpdateCommand).resolves({});
  mocks.ecs.on(DescribeTasksCommand).resolves({
    tasks: [{ taskArn: TASK, lastStatus: scenario.lastStatus, desiredStatus: scenario.lastStatus }],
    failures: [],
  });
  mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: scenario.service === undefined ? [] : [SERVICE_ARN] });
  mocks.ecs.on(DescribeServicesCommand).resolves({
    // A service scaled in, not deploying: one deployment, COMPLETED (a deployment would be paced instead).
    services:
      scenario.service === undefined
        ? []
        : [{ serviceName: 'chat', serviceArn: SERVICE_ARN, status: 'ACTIVE', deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', rolloutState: 'COMPLETED' }], ...scenario.service }],
  });
  mocks.sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' }));
  return world;
}

function actions(world: ReturnType<typeof benignWorld>): number {
  const { ecs, sfn } = world.mocks;
  return (
    sfn.commandCalls(StartExecutionCommand).length +
    sfn.commandCalls(SendTaskFailureCommand).length +
    ecs.commandCalls(UpdateTaskProtectionCommand).length +
    ecs.commandCalls(StopTaskCommand).length +
    ecs.commandCalls(UpdateServiceCommand).length +
    world.registryWrites()
  );
}

describe('reconciler: registry items a buggy task wrote', () => {
  it('still drains the valid tasks of a scaled-in service when another task of it holds a BigInt count', async () => {
    // Sorting a BigInt against a number throws a TypeError, which used to end the whole run.
    const other = taskArn('1a2b3c4d5e6f708192a3b4c5d6e7f809');
    const scenario = scenarios[0]!;
    const world = arrange(scenario, item({ sessionCount: 2n ** 63n }));
    world.mocks.ddb.on(QueryCommand).resolves({ Items: [item({ sessionCount: 2n ** 63n }), item({ pk: other, taskArn: other, serviceTask: `chat#${other}`, sessionCount: 4 })] });
    world.mocks.ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({ Item: item({ pk: input.Key.pk, taskArn: input.Key.pk, sessionCount: 4 }) }));
    world.mocks.ecs.on(DescribeTasksCommand).resolves({
      tasks: [TASK, other].map((arn) => ({ taskArn: arn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
      failures: [],
    });

    const summary = await runReconciler(world.deps);

    expect(world.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual(['drain-1a2b3c4d5e6f708192a3b4c5d6e7f809-1']);
    expect(summary.scaleInDrains).toBe(1);
    expect(world.problemLines()).toHaveLength(1);
  });

  it.each(scenarios)('$action when the item is valid (the cases below can fail)', async (scenario) => {
    const world = arrange(scenario, scenario.valid);

    await runReconciler(world.deps);

    expect(actions(world)).toBeGreaterThan(0);
    expect(world.problemLines()).toEqual([]);
  });

  describe.each(scenarios)('where it $action', (scenario) => {
    it.each(buggyFields)('leaves an item with %s alone and logs it once', async (_label, change) => {
      const buggy = typeof change === 'function' ? change(scenario.valid) : { ...scenario.valid, ...change };
      const world = arrange(scenario, buggy);

      const summary = await runReconciler(world.deps);

      expect(actions(world)).toBe(0);
      expect(summary).toMatchObject({ expired: 0, heartbeatLost: 0, restarted: 0, protectionRenewed: 0, scaleInDrains: 0, replacementsReleased: 0, failed: 0 });
      expect(world.problemLines()).toEqual([
        {
          level: 'warn',
          message: 'registry item ignored: it breaks the registry contract',
          attributes: { taskArn: TASK, clusterArn: CLUSTER_ARN, reason: expect.stringMatching(/\S/) },
        },
      ]);
    });
  });
});
