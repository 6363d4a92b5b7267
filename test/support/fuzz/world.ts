import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTasksCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  UpdateTaskProtectionCommand,
} from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';
import type { Deps } from '../../../functions/shared/deps.js';
import { CLUSTER_ARN, makeTestDeps, NOW, STATE_MACHINE_ARN, taskArn } from '../deps.js';

/*
 * A mocked AWS in which every call succeeds with a plausible answer: the task is registered and
 * ACTIVE with sessions, ECS lists one running task and one draining instance, Step Functions
 * starts whatever it is asked to. In such a world a handler that let a bad event through would
 * write, start or stop something, which is what the fuzz properties look for.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'critical';
export interface LogLine {
  level: LogLevel;
  message: string;
  attributes: Record<string, unknown>;
}

const WORLD_TASK = 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
const WORLD_INSTANCE = 'arn:aws:ecs:us-east-1:111122223333:container-instance/sessions/6d7a2f1e9c8b4a3d2e1f0a9b8c7d6e5f';
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

function registeredTask(taskArn: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pk: taskArn, sk: 'TASK', taskArn, clusterArn: CLUSTER_ARN, serviceTask: `chat#${taskArn}`, serviceName: 'chat',
    sessionCount: 2, status: 'ACTIVE', heartbeatAt: NOW_SECONDS - 10, ...overrides,
  };
}

/**
 * The wait item ArmDrainWaitFunction stored for a drain execution (`WAIT#<execution ARN>`): its
 * task is the one the execution's name (drain-<task id>-<attempt>) drains, in the world's cluster.
 */
function armedWait(pk: string): Record<string, unknown> {
  const executionArn = pk.slice('WAIT#'.length);
  const name = executionArn.slice(executionArn.lastIndexOf(':') + 1);
  const taskId = name.replace(/^drain-/, '').replace(/-\d+$/, '');
  return { pk, sk: 'WAIT', executionArn, taskArn: taskArn(taskId), taskToken: `token-of-${name}`, expiresAt: NOW_SECONDS + 86_400 };
}

/** A Metrics stand-in: the real one would flush EMF to stdout after 100 metrics. */
function quietMetrics(names: string[]): Metrics {
  const single = { addDimension: () => undefined, addMetric: (name: string) => void names.push(name) };
  return {
    addMetric: (name: string) => void names.push(name),
    addDimension: () => undefined,
    publishStoredMetrics: () => undefined,
    singleMetric: () => single,
  } as unknown as Metrics;
}

const DDB_WRITES = [PutCommand, UpdateCommand, DeleteCommand, TransactWriteCommand, BatchWriteCommand];
const ECS_MUTATIONS = [UpdateTaskProtectionCommand, StopTaskCommand, UpdateServiceCommand];
const SFN_MUTATIONS = [StartExecutionCommand, SendTaskSuccessCommand, SendTaskFailureCommand];

export function benignWorld() {
  const { deps, mocks } = makeTestDeps();
  const lines: LogLine[] = [];
  const metrics: string[] = [];
  for (const level of ['debug', 'info', 'warn', 'error', 'critical'] as const) {
    vi.spyOn(deps.logger, level).mockImplementation(((message: unknown, ...extra: unknown[]) => {
      const attributes = Object.assign({}, ...extra.filter((item) => item !== null && typeof item === 'object')) as Record<string, unknown>;
      lines.push({ level, message: String(message), attributes });
    }) as never);
  }
  const world: Deps = { ...deps, metrics: quietMetrics(metrics) };

  mocks.ddb.onAnyCommand().resolves({});
  mocks.ecs.onAnyCommand().resolves({});
  mocks.sfn.onAnyCommand().resolves({});
  mocks.eventBridge.onAnyCommand().resolves({});
  mocks.ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) =>
    input.Key.sk === 'TASK' ? { Item: registeredTask(input.Key.pk) } : input.Key.sk === 'WAIT' ? { Item: armedWait(input.Key.pk) } : {},
  );
  mocks.ddb.on(UpdateCommand).callsFake((input: { Key: { pk: string; sk: string }; ReturnValues?: string }) =>
    input.ReturnValues === 'ALL_NEW' && input.Key.sk === 'TASK' ? { Attributes: registeredTask(input.Key.pk, { status: 'DRAINING' }) } : {},
  );
  mocks.ddb.on(QueryCommand).resolves({ Items: [] });
  mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [WORLD_TASK] });
  mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.map((taskArn) => ({ taskArn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:1' })),
    failures: [],
  }));
  // The deployment of events/deployment-in-progress.json is the service's PRIMARY one.
  mocks.ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: input.services.map((serviceArn) => ({
      serviceArn,
      serviceName: serviceArn.slice(serviceArn.lastIndexOf('/') + 1),
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 2,
      deployments: [{ id: 'ecs-svc/7309481726354819201', status: 'PRIMARY', taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:2' }],
    })),
  }));
  mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: [] });
  mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [WORLD_INSTANCE] });
  mocks.ecs.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
    containerInstances: input.containerInstances.map((containerInstanceArn) => ({ containerInstanceArn, status: 'DRAINING' })),
  }));
  mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[]; protectionEnabled: boolean }) => ({
    protectedTasks: input.tasks.map((taskArn) => ({ taskArn, protectionEnabled: input.protectionEnabled })),
    failures: [],
  }));
  mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
  mocks.sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: NOW,
  }));
  mocks.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });

  const callsOf = (mock: (typeof mocks)[keyof typeof mocks], kinds: readonly (new (...args: never[]) => unknown)[]) =>
    mock.calls().filter((call) => kinds.some((kind) => call.args[0] instanceof kind)).length;

  return {
    deps: world,
    getDeps: (): Deps => world,
    mocks,
    lines,
    metrics,
    /** Forget the previous run: calls, log lines, metrics. Answers stay as set up. */
    reset(): void {
      for (const mock of Object.values(mocks)) mock.resetHistory();
      lines.length = 0;
      metrics.length = 0;
    },
    sdkCalls: () => Object.values(mocks).reduce((sum, mock) => sum + mock.calls().length, 0),
    registryWrites: () => callsOf(mocks.ddb, DDB_WRITES),
    ecsMutations: () => callsOf(mocks.ecs, ECS_MUTATIONS),
    workflowSignals: () => callsOf(mocks.sfn, SFN_MUTATIONS),
    /** Lines a person would read as "something was refused or went wrong". */
    problemLines: () => lines.filter((line) => line.level === 'warn' || line.level === 'error' || line.level === 'critical'),
  };
}

export type BenignWorld = ReturnType<typeof benignWorld>;
export { registeredTask, WORLD_TASK };
