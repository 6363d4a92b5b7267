import { afterEach } from 'vitest';
import { ScaledClock } from '../../../cloud/clock.js';
import { EcsApiError, EcsTwin, type EcsTwinOptions, type EventBridgeEnvelope, type StopInfo, type TaskRuntime, type TwinTask } from '../../../twin/index.js';

/*
 * A twin on a fast clock, with every event and every runtime call recorded. 0.002 real seconds
 * per scenario second: the default 60 s start-up lasts 120 ms, a 120 s Spot warning 240 ms.
 */

export const SCALE = 0.002;
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const CLUSTER = 'sessions';
export const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;

/** Revisions of family chat that every harness's twin knows as registered (RegisterTaskDefinition gives chat:4 next). */
export const PREREGISTERED_CHAT_REVISIONS = [1, 2, 3];

export function taskDefinition(revision: number, family = 'chat'): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
}

/** Records what the twin tells the tasks; optionally ends the app some real ms after SIGTERM. */
export class RecordingRuntime implements TaskRuntime {
  readonly startedTasks: { task: TwinTask; at: number }[] = [];
  readonly sigterms: { task: TwinTask; info: StopInfo; at: number }[] = [];
  readonly kills: { task: TwinTask; cause: string; at: number }[] = [];
  exitAfterSigtermMs: number | undefined;
  twin: EcsTwin | undefined;
  /** Whether the app answers its health checks; absent: it always does. */
  answering: ((task: TwinTask) => boolean) | undefined;

  answersHealthChecks(task: TwinTask): boolean {
    return this.answering?.(task) ?? true;
  }

  started(task: TwinTask): void {
    this.startedTasks.push({ task, at: Date.now() });
  }

  sigterm(task: TwinTask, info: StopInfo): void {
    this.sigterms.push({ task, info, at: Date.now() });
    const delay = this.exitAfterSigtermMs;
    if (delay !== undefined) setTimeout(() => this.twin?.containerExited(task.taskArn, 0), delay);
  }

  killed(task: TwinTask, cause: string): void {
    this.kills.push({ task, cause, at: Date.now() });
  }
}

export interface TwinHarness {
  twin: EcsTwin;
  clock: ScaledClock;
  runtime: RecordingRuntime;
  events: EventBridgeEnvelope[];
  errors: string[];
}

const running: EcsTwin[] = [];
afterEach(() => {
  for (const twin of running.splice(0)) twin.stop();
});

export function startTwin(options: Partial<EcsTwinOptions> = {}): TwinHarness {
  const clock = new ScaledClock(SCALE);
  const runtime = new RecordingRuntime();
  const events: EventBridgeEnvelope[] = [];
  const errors: string[] = [];
  const twin = new EcsTwin({
    clock,
    emit: (event) => {
      events.push(event);
    },
    runtime,
    seed: 7,
    onError: (error, where) => errors.push(`${where}: ${String(error)}`),
    ...options,
  });
  runtime.twin = twin;
  twin.createCluster(CLUSTER);
  // The account's history: the revisions of chat the tests deploy through the API, registered as on AWS before UpdateService names them.
  for (const revision of PREREGISTERED_CHAT_REVISIONS) twin.registerTaskDefinition(taskDefinition(revision));
  running.push(twin);
  return { twin, clock, runtime, events, errors };
}

/** Polls until the probe returns something other than false/undefined, or fails after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => T | false | undefined, timeoutMs = 3000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function tasksOf(twin: EcsTwin, serviceName: string): TwinTask[] {
  return twin.snapshot().tasks.filter((task) => task.serviceName === serviceName);
}

export function runningOf(twin: EcsTwin, serviceName: string): TwinTask[] {
  return tasksOf(twin, serviceName).filter((task) => task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING');
}

export function taskEvents(events: EventBridgeEnvelope[], taskArn?: string): Record<string, unknown>[] {
  return events
    .filter((event) => event['detail-type'] === 'ECS Task State Change' && (taskArn === undefined || event.detail.taskArn === taskArn))
    .map((event) => event.detail);
}

/** Starts a Fargate service and waits for its steady state: its tasks run and pass their health checks (the first deployment COMPLETED). */
export async function startService(
  harness: TwinHarness,
  spec: Partial<Parameters<EcsTwin['createService']>[0]> & { name: string; desiredCount: number },
): Promise<string> {
  const serviceArn = harness.twin.createService({ cluster: CLUSTER, taskDefinition: taskDefinition(1), ...spec });
  await waitFor(`${spec.desiredCount} running tasks of ${spec.name}`, () => runningOf(harness.twin, spec.name).length === spec.desiredCount);
  await waitFor(`${spec.name} in a steady state`, () => serviceSnapshot(harness.twin, spec.name).deployments.every((deployment) => deployment.rolloutState === 'COMPLETED'));
  return serviceArn;
}

export function serviceSnapshot(twin: EcsTwin, name: string): ReturnType<EcsTwin['snapshot']>['services'][number] {
  const service = twin.snapshot().services.find((candidate) => candidate.serviceName === name);
  if (service === undefined) throw new Error(`no service ${name}`);
  return service;
}

/** The EcsApiError a call fails with. */
export async function apiError(call: Promise<unknown>): Promise<EcsApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof EcsApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
