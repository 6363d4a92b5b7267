import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { taskIdOf, type TaskItem } from '../../functions/registry/model.js';
import { readTask, type RegistryWriter } from '@ecs-session-drain/agent/registry';
import { ScaledClock } from '../cloud/clock.js';
import { type LocalCloud, localClusterArns, startLocalCloud } from '../cloud/local-cloud.js';
import type { IamMode } from '../cloud/iam/iam.js';
import { loadTemplate } from '../cloud/stack/template.js';
import { ecsJsonResponse } from '../twin/http.js';
import { answersQuery, elbQueryResponse } from '../twin/elb.js';
import { AutoScalingTwin, autoScalingQueryResponse, EcsTwin, type EcsTwinOptions, type ThrottlingOptions } from '../twin/index.js';
import { SessionLedger } from '../workload/session-ledger.js';
import { type AppTask, SimulatedApps } from '../workload/simulated-apps.js';
import { SessionWorkload, type WorkloadOptions } from '../workload/workload.js';
import { type DrainExecution, listDrainExecutions } from './executions.js';
import { scaledParameters } from './parameters.js';
import { hookInvoker } from './lifecycle-hooks.js';
import { type DeliveryStats, type DuplicateDelivery, faultyPublisher, type LostEvent } from './delivery-faults.js';
import { FaultInjector } from '../cloud/lambda/fault-injection.js';
import type { EventBridgeEnvelope } from '../twin/model.js';
import { sleep } from '../cloud/timing.js';
import { type ProcessMode, type ProcessModeOptions, startProcessMode } from '../processes/process-mode.js';
import { NamedError } from '../../functions/shared/errors.js';
import { pruneLogRuns } from './log-runs.js';
import { definedOnly } from '../../functions/shared/optional.js';

export interface RehearsalOptions {
  /** Real seconds per scenario second; 0.01 runs an hour of sessions in 36 s. */
  scale?: number;
  /** Names of the clusters the orchestrator drains (template parameter ClusterArns). Others are left alone. */
  clusterNames?: string[];
  /** More template parameters; time parameters default to the template's, scaled. */
  parameters?: Record<string, string>;
  throttling?: ThrottlingOptions;
  /** Reconciler period in real milliseconds (default: the template's rate, scaled, at least 2 s). */
  reconcilerPeriodMs?: number;
  /** false: only direct invocations run functions (LocalCloudOptions.eventSources). */
  eventSources?: boolean;
  echoLogs?: boolean | readonly string[];
  stackName?: string;
  /** Deliver every twin event several times, delayed and reordered (default: once, in order). */
  duplicateEvents?: DuplicateDelivery;
  /** Where function and moto logs go (default: a fresh folder per run under .local-cloud/logs). */
  logDir?: string;
  /** Whether the twin keeps protected tasks on a DRAINING instance (AWS does not document it; see README). */
  drainingHonoursProtection?: boolean;
  /** Whether protection keeps the tasks a BLUE_GREEN / LINEAR / CANARY deployment scales down (EcsTwinOptions.blueGreenHonoursProtection; default false). */
  blueGreenHonoursProtection?: boolean;
  /** When a BLUE_GREEN / LINEAR / CANARY rollback scales green down (EcsTwinOptions.blueGreenRollbackScalesGreenDown; default 'at-once'). */
  blueGreenRollbackScalesGreenDown?: 'at-once' | 'after-hooks';
  /** Twin events this returns true for are never delivered (lost-event scenarios); see `deliveryFaults`. */
  loseEvents?: (event: EventBridgeEnvelope) => boolean;
  /** Seeds the twin's ids and its injected API errors (default: random). */
  twinSeed?: number;
  /**
   * Run every task as a real process of the example session server with the session agent, behind
   * a health-checked load balancer, with WebSocket clients as users (default: simulated apps).
   */
  processes?: ProcessModeOptions;
  /** Real milliseconds between a simulated task's heartbeats, at least (default 500; benchmarks at a fast scale raise it). */
  minHeartbeatMs?: number;
  /** Scenario seconds between the twin scheduler's periodic passes (default 1). */
  twinTickSeconds?: number;
  /** How the twin rolls back a failed deployment (EcsTwinOptions.rollbackMode; default 'new-deployment'). */
  rollbackMode?: EcsTwinOptions['rollbackMode'];
  /** Whether the twin reports healthStatus changes as task state change events (EcsTwinOptions.healthEvents; default 'none'). */
  healthEvents?: EcsTwinOptions['healthEvents'];
  /** The local cloud's IAM enforcement (default: the local cloud's, 'enforce' unless LOCAL_CLOUD_IAM=off). */
  iam?: IamMode;
}

const LOG_ROOT = fileURLToPath(new URL('../../.local-cloud/logs', import.meta.url));
/** Log folders of earlier runs kept under LOG_ROOT (log-runs.ts). */
const KEPT_LOG_RUNS = 20;
let runCounter = 0;

export class WaitTimeoutError extends NamedError {
  override readonly name = 'WaitTimeoutError';
}

/**
 * The local cloud with an ECS twin whose tasks run simulated session servers: what a scenario,
 * the demo and the end-to-end tests drive. The twin's events go into the local EventBridge, its
 * API answers the functions through the gateway, and its tasks write the registry as real tasks do.
 */
export class Rehearsal {
  private readonly cleanups: Array<() => void> = [];

  private constructor(
    readonly cloud: LocalCloud,
    readonly ledger: SessionLedger,
    /** Task-side failures (registry writes that failed after retries), for reports. */
    readonly errors: string[],
    readonly twin: EcsTwin,
    readonly clock: ScaledClock,
    readonly apps: SimulatedApps,
    readonly writer: RegistryWriter,
    readonly sfn: SFNClient,
    /** Set in process mode: the task processes, their load balancer and the users' clients. */
    readonly processes: ProcessMode | undefined,
    /** Handler invocations that crash mid-way, armed by fault tests (local/cloud/lambda/fault-injection.ts). */
    readonly faults: FaultInjector,
    /** With duplicateEvents or loseEvents: what the faulty delivery did, and the events it lost. */
    readonly deliveryFaults: { stats: DeliveryStats; lost: Array<LostEvent<EventBridgeEnvelope>> } | undefined,
    /** Auto Scaling groups of the twin's container instances, with terminate lifecycle hooks. */
    readonly autoScaling: AutoScalingTwin,
  ) {}

  static async start(options: RehearsalOptions = {}): Promise<Rehearsal> {
    const clock = new ScaledClock(options.scale ?? 0.01);
    const clusterNames = options.clusterNames ?? ['sessions'];
    const parameters = { ...scaledParameters(loadTemplate(), clock.scale), ClusterArns: localClusterArns(clusterNames).join(','), ...options.parameters };
    let twin: EcsTwin | undefined;
    let autoScaling: AutoScalingTwin | undefined;
    const faults = new FaultInjector();
    const logDir = options.logDir ?? join(LOG_ROOT, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${(runCounter += 1)}`);
    if (options.logDir === undefined) pruneLogRuns(LOG_ROOT, { keep: KEPT_LOG_RUNS, busyMs: 10 * 60_000 });
    const cloud = await startLocalCloud({
      parameters,
      ...(options.stackName ? { stackName: options.stackName } : {}),
      ecs: (target, body) => {
        if (twin === undefined) return Promise.resolve({ status: 503, headers: {}, body: '{"__type":"ServerException","message":"twin not ready"}' });
        return ecsJsonResponse(twin, target, body);
      },
      // DescribeTargetHealth of the twin's target groups; other load balancing calls go to moto.
      elb: (body) => Promise.resolve(twin !== undefined && answersQuery(twin, body) ? elbQueryResponse(twin, body) : undefined),
      // Auto Scaling groups of the twin's container instances, with their terminate lifecycle hooks.
      autoscaling: (body) =>
        Promise.resolve(autoScaling === undefined ? { status: 503, headers: {}, body: 'twin not ready' } : autoScalingQueryResponse(autoScaling, body, clock.scale)),
      logDir,
      schedulePeriodMs: options.reconcilerPeriodMs ?? Math.max(2000, clock.ms(60)),
      ...(options.echoLogs ? { echoLogs: options.echoLogs } : {}),
      faults,
      ...(options.iam ? { iam: options.iam } : {}),
      ...(options.eventSources === false ? { eventSources: false } : {}),
    });
    let processes: ProcessMode | undefined;
    const cleanups: Array<() => void> = [];
    try {
      const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig), { marshallOptions: { removeUndefinedValues: true } });
      const writer: RegistryWriter = { ddb, tableName: cloud.stack.tableName, now: () => new Date() };
      const inScope = new Set(clusterNames);
      const errors: string[] = [];
      const ledger = new SessionLedger();
      const apps = new SimulatedApps({
        writer,
        clock,
        ledger,
        registers: (task) => inScope.has(task.clusterArn.split('/').pop() ?? ''),
        // Behind a load balancer, new sessions go only to healthy targets, as the twin reports them.
        targetHealth: (task) => twin?.targetHealthState(task.taskArn),
        onError: (what, error) => errors.push(`${what}: ${(error as Error).message}`),
        ...definedOnly({ minHeartbeatMs: options.minHeartbeatMs }),
      });
      processes = options.processes
        ? await startProcessMode({
            clock,
            cloud: {
              endpoint: cloud.endpoint,
              region: cloud.stack.region,
              tableName: cloud.stack.tableName,
              credentialsFor: (task) => (cloud.iam ? cloud.iam.assumeTaskRole(task.taskArn) : Promise.resolve(cloud.clientConfig.credentials)),
            },
            logDir,
            twin: () => {
              if (twin === undefined) throw new Error('the twin is not built yet');
              return twin;
            },
            options: options.processes,
            onError: (what, error) => errors.push(`${what}: ${(error as Error).message}`),
          })
        : undefined;
      const faultyDelivery =
        options.duplicateEvents || options.loseEvents
          ? faultyPublisher(
              async (event: EventBridgeEnvelope) => void (await cloud.publish(event)),
              { ...(options.duplicateEvents ? { duplicate: options.duplicateEvents } : {}), ...(options.loseEvents ? { lose: options.loseEvents } : {}) },
              (error) => errors.push(`event delivery: ${(error as Error).message}`),
            )
          : undefined;
      const hooks = hookInvoker(cloud.clientConfig);
      cleanups.push(() => hooks.destroy());
      twin = new EcsTwin({
        invokeHook: (functionArn, payload) => hooks.invoke(functionArn, payload),
        ...definedOnly({ blueGreenHonoursProtection: options.blueGreenHonoursProtection, blueGreenRollbackScalesGreenDown: options.blueGreenRollbackScalesGreenDown }),
        clock,
        region: cloud.stack.region,
        accountId: cloud.stack.accountId,
        emit: async (event) => (faultyDelivery ? faultyDelivery.deliver(event) : void (await cloud.publish(event))),
        runtime: processes?.tasks ?? apps,
        ...definedOnly({ drainingHonoursProtection: options.drainingHonoursProtection }),
        ...(options.throttling ? { throttling: options.throttling } : {}),
        ...definedOnly({ seed: options.twinSeed, tickSeconds: options.twinTickSeconds, rollbackMode: options.rollbackMode, healthEvents: options.healthEvents }),
      });
      const built = twin;
      apps.attach((taskArn) => built.containerExited(taskArn, 0));
      autoScaling = new AutoScalingTwin({
        clock,
        ecs: built,
        emit: async (event) => (faultyDelivery ? faultyDelivery.deliver(event) : void (await cloud.publish(event))),
        region: cloud.stack.region,
        accountId: cloud.stack.accountId,
        onError: (error, where) => errors.push(`${where}: ${(error as Error).message}`),
        ...definedOnly({ seed: options.twinSeed }),
      });
      const deliveryFaults = faultyDelivery ? { stats: faultyDelivery.stats, lost: faultyDelivery.lost } : undefined;
      const rehearsal = new Rehearsal(cloud, ledger, errors, twin, clock, apps, writer, new SFNClient(cloud.clientConfig), processes, faults, deliveryFaults, autoScaling);
      if (faultyDelivery) rehearsal.cleanups.push(faultyDelivery.cancel);
      rehearsal.cleanups.push(...cleanups);
      return rehearsal;
    } catch (error) {
      for (const cleanup of cleanups) cleanup();
      await processes?.stop();
      await cloud.stop();
      throw error;
    }
  }

  get stateMachineArn(): string {
    return this.cloud.stack.stateMachineArn;
  }

  workload(options: Omit<WorkloadOptions, 'apps' | 'ledger' | 'clock'>): SessionWorkload {
    // New sessions follow the twin's production traffic weights (blue/green, linear, canary shifts).
    const route = (task: AppTask) => this.twin.trafficTarget(task.taskArn);
    return new SessionWorkload({ route, ...options, apps: this.apps, ledger: this.ledger, clock: this.clock });
  }

  /** Opens sessions on one task directly (a scenario that needs exact counts per task). */
  async openSessions(taskArn: string, count: number, durationSeconds: number, idPrefix = 'direct'): Promise<void> {
    for (let index = 0; index < count; index += 1) {
      const id = `${idPrefix}-${taskIdOf(taskArn).slice(0, 8)}-${index}`;
      if (!(await this.apps.open(taskArn, id, durationSeconds))) throw new Error(`task ${taskArn} refused session ${id}`);
      this.ledger.opened({ id, taskArn, openedAt: Date.now(), plannedSeconds: durationSeconds });
    }
  }

  taskItem(taskArn: string): Promise<TaskItem | undefined> {
    return readTask(this.writer, taskArn);
  }

  drainExecutions(): Promise<DrainExecution[]> {
    return listDrainExecutions(this.sfn, this.stateMachineArn);
  }

  /** Polls check (real time) until it returns a value other than undefined/false. */
  async waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        const value = await check();
        if (value !== undefined && value !== false) return value;
      } catch (error) {
        lastError = error;
      }
      await sleep(everyMs);
    }
    throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
  }

  async stop(): Promise<void> {
    for (const cleanup of this.cleanups) cleanup();
    this.apps.stop();
    await this.processes?.stop();
    this.autoScaling.stop();
    this.twin.stop();
    this.clock.cancelAll();
    await this.cloud.stop();
  }
}
