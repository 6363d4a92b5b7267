import { DescribeTasksCommand, ListServicesCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { openSession, registerTask, type RegistryWriter } from '@ecs-session-drain/agent/registry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../functions/handlers/reconciler.js';
import { registryTable } from '../../functions/registry/conditional-write.js';
import { drainExecutionName, epochSeconds, taskKey } from '../../functions/registry/model.js';
import { setProtectionState } from '../../functions/registry/tasks/lifecycle.js';
import type { Deps } from '../../functions/shared/deps.js';
import { metrics } from '../../functions/shared/powertools.js';
import { uniqueName } from '../support/aws.js';
import { CLUSTER_ARN, makeTestDeps, NOW, STATE_MACHINE_ARN, taskArn } from '../support/deps.js';
import { createRegistryTable } from '../support/registry-table.js';

/*
 * The reconciler's gauges as its Lambda handler publishes them: tasks registered and drained on a
 * real registry (moto DynamoDB, the ByCluster index), the run through the handler's middlewares,
 * and the EMF document read from stdout, where Lambda would hand it to CloudWatch. The namespace
 * and service are the functions' own (shared/powertools.ts), the ones the dashboard and alarms name.
 */

const NOW_SECONDS = epochSeconds(NOW);

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** The EMF documents written to stdout while `run` runs. */
async function emfWrittenBy(run: () => Promise<unknown>): Promise<EmfDocument[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  return lines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as EmfDocument);
}

describe('reconciler gauges on moto DynamoDB', () => {
  afterEach(() => metrics.clearMetrics());

  it('publishes drains in progress, their sessions, overdue drains and blocked protection under the functions’ namespace', async () => {
    // prepare: three busy tasks on a real registry; two draining (one 20 minutes past its deadline), one whose protection ECS blocks
    const table = await createRegistryTable('gauges');
    const made = makeTestDeps({ config: { tableName: table.tableName } });
    const deps: Deps = { ...made.deps, ddb: table.ddb, metrics };
    const writer: RegistryWriter = { ddb: table.ddb, tableName: table.tableName, now: () => NOW };
    const busy = async (prefix: string, sessions: number) => {
      const arn = taskArn(uniqueName(prefix));
      await registerTask(writer, { taskArn: arn, clusterArn: CLUSTER_ARN, serviceName: 'web' });
      for (let index = 0; index < sessions; index += 1) await openSession(writer, arn, `s${index}`);
      return arn;
    };
    const drain = async (arn: string, deadlineSeconds: number) => {
      const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${drainExecutionName(arn, 1)}`;
      await table.ddb.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: taskKey(arn),
          UpdateExpression: 'SET #status = :draining, drainReason = :reason, drainAttempt = :one, executionArn = :execution, drainDeadline = :deadline',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':draining': 'DRAINING', ':reason': 'DEPLOYMENT', ':one': 1, ':execution': executionArn, ':deadline': new Date(deadlineSeconds * 1000).toISOString() },
        }),
      );
    };
    const onTime = await busy('ontime', 3);
    const overdue = await busy('overdue', 2);
    const blocked = await busy('blocked', 4);
    await drain(onTime, NOW_SECONDS + 600);
    await drain(overdue, NOW_SECONDS - 1200);
    await setProtectionState(registryTable(deps), blocked, { state: 'BLOCKED' });
    made.mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => ({ taskArn: arn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
      failures: [],
    }));
    made.mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
      protectedTasks: input.tasks.filter((arn) => arn !== blocked).map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: new Date(NOW.getTime() + 4 * 3600_000) })),
      failures: input.tasks.filter((arn) => arn === blocked).map((arn) => ({ arn, reason: 'DEPLOYMENT_BLOCKED' })),
    }));
    made.mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: [] });
    made.mocks.sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({ executionArn: input.executionArn, status: 'RUNNING' }));
    const handler = createHandler(() => deps);

    // act
    const documents = await emfWrittenBy(() => handler({}));

    // assert
    expect(documents).toHaveLength(1);
    const [document] = documents as [EmfDocument];
    expect(document._aws.CloudWatchMetrics).toEqual([
      expect.objectContaining({ Namespace: 'EcsSessionDrain', Dimensions: [['service']] }),
    ]);
    expect(document.service).toBe('ecs-session-drain');
    const values = Object.fromEntries((document._aws.CloudWatchMetrics[0]?.Metrics ?? []).map(({ Name, Unit }) => [Name, { value: document[Name], Unit }]));
    expect(values).toEqual({
      ProtectionBlocked: { value: 1, Unit: 'Count' },
      DrainsInProgress: { value: 2, Unit: 'Count' },
      SessionsOnDrainingTasks: { value: 5, Unit: 'Count' },
      DrainsPastDeadline: { value: 1, Unit: 'Count' },
      TasksProtectionBlocked: { value: 1, Unit: 'Count' },
      DeploymentHeldSeconds: { value: 0, Unit: 'Seconds' },
      ReconcileStepsFailed: { value: 0, Unit: 'Count' },
    });
  });
});
