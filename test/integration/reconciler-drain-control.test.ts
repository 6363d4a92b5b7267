import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  UpdateServiceCommand,
  UpdateTaskProtectionCommand,
} from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { armDrainWait } from '../../functions/registry/tasks/drain.js';
import { storeDrainWait } from '../../functions/registry/tasks/waits.js';
import { launchReplacement } from '../../functions/core/workflow/replacement-capacity.js';
import { runDrainControl } from '../../functions/handlers/drain-control.js';
import { runReconciler } from '../../functions/handlers/reconciler.js';
import { taskKey } from '../../functions/registry/model.js';
import { openSession, readTask, registerTask, type RegistryWriter } from '@ecs-session-drain/agent/registry';
import type { Deps } from '../../functions/shared/deps.js';
import { uniqueName } from '../support/aws.js';
import { CLUSTER_ARN, makeTestDeps, NOW, taskArn } from '../support/deps.js';
import { createRegistryTable } from '../support/registry-table.js';

/** The reconciler and drain control against real DynamoDB conditions and the ByCluster index (moto). */
describe('reconciler and drain control on moto DynamoDB', () => {
  let deps: Deps;
  let mocks: ReturnType<typeof makeTestDeps>['mocks'];
  let writer: RegistryWriter;
  let tableName: string;

  beforeEach(async () => {
    const table = await createRegistryTable('reconcile');
    tableName = table.tableName;
    const made = makeTestDeps({ config: { tableName } });
    deps = { ...made.deps, ddb: table.ddb };
    mocks = made.mocks;
    writer = { ddb: table.ddb, tableName, now: () => NOW };
    mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: [] });
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
  });

  async function registered(prefix: string, sessions: number): Promise<string> {
    const arn = taskArn(uniqueName(prefix));
    await registerTask(writer, { taskArn: arn, clusterArn: CLUSTER_ARN, serviceName: 'web' });
    for (let index = 0; index < sessions; index += 1) await openSession(writer, arn, `s${index}`);
    return arn;
  }

  function ecsRuns(running: string[], stopped: string[] = []) {
    mocks.ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        ...running.map((arn) => ({ taskArn: arn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
        ...stopped.map((arn) => ({ taskArn: arn, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })),
      ],
      failures: [],
    });
  }

  it('expires the item of a stopped task and leaves running ones alone', async () => {
    const alive = await registered('alive', 0);
    const gone = await registered('gone', 0);
    ecsRuns([alive], [gone]);

    const summary = await runReconciler(deps);

    expect(summary.expired).toBe(1);
    expect(await readTask(writer, gone)).toMatchObject({ status: 'STOPPED', expiresAt: NOW.getTime() / 1000 + 86_400 });
    expect(await readTask(writer, alive)).toMatchObject({ status: 'ACTIVE' });
    expect((await readTask(writer, alive))?.expiresAt).toBeUndefined();
  });

  it('drains the idlest task of a scaled-in service once, even over consecutive runs', async () => {
    // prepare
    const busy = await registered('busy', 3);
    const idle = await registered('idle', 1);
    ecsRuns([busy, idle]);
    mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: ['arn:aws:ecs:us-east-1:111122223333:service/sessions/web'] });
    mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: 'web', status: 'ACTIVE', runningCount: 2, desiredCount: 1, deployments: [{ status: 'PRIMARY' }] }],
    });
    mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: 'started', startDate: NOW });
    mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    // act: two runs before the workflow marks the task DRAINING
    const summaries = [await runReconciler(deps), await runReconciler(deps)];

    // assert
    const names = mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
    expect(names).toEqual([`drain-${idle.slice(idle.lastIndexOf('/') + 1)}-1`]);
    expect(await readTask(writer, idle)).toMatchObject({ drainAttempt: 1, status: 'ACTIVE' });
    expect((await readTask(writer, busy))?.drainAttempt).toBeUndefined();
    expect(summaries.map((summary) => summary.failed)).toEqual([0, 0]);
  });

  it('cancels a waiting drain, repeats the same request safely, and refuses a conflicting one', async () => {
    // prepare
    const task = await registered('cancel', 2);
    const executionArn = `arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-${task.slice(task.lastIndexOf('/') + 1)}-1`;
    await writer.ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: taskKey(task),
        UpdateExpression: 'SET #status = :draining, executionArn = :execution',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':draining': 'DRAINING', ':execution': executionArn },
      }),
    );
    // What ArmDrainWaitFunction does: the token into the execution's wait item, then the item marked armed.
    await storeDrainWait({ ddb: writer.ddb, tableName }, { executionArn, taskArn: task, taskToken: 'token-c', expiresAt: 1_900_000_000 });
    expect((await armDrainWait({ ddb: writer.ddb, tableName }, task, executionArn)).applied).toBe(true);
    mocks.sfn.on(SendTaskFailureCommand).resolves({});

    // act
    const first = await runDrainControl(deps, { action: 'cancel', taskArn: task, cluster: 'sessions' });
    const again = await runDrainControl(deps, { action: 'cancel', taskArn: task });
    const conflicting = await runDrainControl(deps, { action: 'force-stop', taskArn: task });

    // assert
    expect(first).toMatchObject({ ok: true, result: 'signalled' });
    expect(again).toMatchObject({ ok: true, result: 'signalled' });
    expect(conflicting).toMatchObject({ ok: false, error: 'force-stop refused: CANCEL was already requested for this drain; nothing changed' });
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input.error)).toEqual(['DrainCancelled', 'DrainCancelled']);
    expect(await readTask(writer, task)).toMatchObject({ status: 'DRAINING', drainControl: 'CANCEL', sessionCount: 2 });
  });

  it('refuses to cancel an active task and leaves it untouched', async () => {
    const task = await registered('active', 1);
    const before = await readTask(writer, task);

    const response = await runDrainControl(deps, { action: 'cancel', taskArn: task });

    expect(response).toMatchObject({ ok: false, error: 'cancel refused: the task is not draining (status ACTIVE); nothing changed' });
    expect(await readTask(writer, task)).toEqual(before);
  });

  it('gives back the replacement of a drain whose workflow ended before releasing it', async () => {
    // prepare: a drain launched a replacement (desired 4 -> 5), then its workflow failed for good
    const task = await registered('orphan', 1);
    ecsRuns([task]);
    let desiredCount = 4;
    mocks.ecs.on(DescribeServicesCommand).callsFake(() => ({
      services: [{ serviceName: 'web', status: 'ACTIVE', desiredCount, runningCount: desiredCount, deployments: [{ status: 'PRIMARY' }] }],
    }));
    mocks.ecs.on(UpdateServiceCommand).callsFake((input: { desiredCount: number }) => {
      desiredCount = input.desiredCount;
      return {};
    });
    await launchReplacement(deps, { cluster: CLUSTER_ARN, taskArn: task, service: 'web' });
    expect(desiredCount).toBe(5);
    const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-orphan-1';
    await deps.ddb.send(
      new UpdateCommand({ TableName: tableName, Key: taskKey(task), UpdateExpression: 'SET executionArn = :e', ExpressionAttributeValues: { ':e': executionArn } }),
    );
    mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });

    // act
    const first = await runReconciler(deps);
    const second = await runReconciler(deps);

    // assert
    expect(desiredCount).toBe(4);
    expect(first.replacementsReleased).toBe(1);
    expect(second.replacementsReleased).toBe(0);
    expect(await readTask(writer, task)).toMatchObject({ replacementRequested: false });
  });

  it('leaves the replacement of a running drain alone', async () => {
    const task = await registered('surging', 1);
    ecsRuns([task]);
    mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: 'web', status: 'ACTIVE', desiredCount: 2, runningCount: 2, deployments: [{ status: 'PRIMARY' }] }],
    });
    mocks.ecs.on(UpdateServiceCommand).resolves({});
    await launchReplacement(deps, { cluster: CLUSTER_ARN, taskArn: task, service: 'web' });
    await deps.ddb.send(
      new UpdateCommand({ TableName: tableName, Key: taskKey(task), UpdateExpression: 'SET executionArn = :e', ExpressionAttributeValues: { ':e': 'arn:running' } }),
    );
    mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const updatesBefore = mocks.ecs.commandCalls(UpdateServiceCommand).length;

    const summary = await runReconciler(deps);

    expect(summary.replacementsReleased).toBe(0);
    expect(mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(updatesBefore);
    expect(await readTask(writer, task)).toMatchObject({ replacementRequested: true });
  });
});
