import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ScaledClock } from '../cloud/clock.js';
import { track, untrack } from '../cloud/process-cleanup.js';
import type { KillCause, StopInfo, TaskRuntime, TwinTask } from '../twin/index.js';
import type { SessionServerBuild } from './session-server-build.js';
import { type PythonAppBuild, SidecarPair } from './sidecar-pair.js';
import type { TaskEnvironment } from './task-endpoints.js';

/** Where a task's process can reach AWS: the local cloud's gateway, as AWS_ENDPOINT_URL. */
export interface ProcessCloud {
  endpoint: string;
  region: string;
  tableName: string;
  /**
   * The credentials of a task: a session of its task role where the local cloud enforces IAM (as
   * ECS hands each task its role's credentials), else the local cloud's own.
   */
  credentialsFor(task: TwinTask): Promise<TaskCredentials>;
}

export interface TaskCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ProcessTasksOptions {
  clock: ScaledClock;
  cloud: ProcessCloud;
  build: SessionServerBuild;
  /** Set: the tasks for which `runs` says 'python' run the Python example with the session sidecar (two processes), the others the Node example. */
  python?: { build: PythonAppBuild; runs: (task: TwinTask) => 'node' | 'python' };
  endpoints: { environmentFor(task: TwinTask): TaskEnvironment };
  logDir: string;
  /** Scenario seconds between the agent's heartbeats (its default is 30). */
  heartbeatSeconds?: number;
  /** Scenario seconds between the agent's reads of its own item (its default is 5). */
  drainPollSeconds?: number;
  /** Scenario seconds before a hard deadline at which the server closes its sessions with 1012. */
  closeLeadSeconds?: number;
  /** The agent's timers never fire faster than this, in real milliseconds, whatever the scale. */
  minIntervalMs?: number;
  onError?: (what: string, error: unknown) => void;
}

/** One task's process, as the tests read it afterwards. */
export interface TaskProcess {
  taskArn: string;
  serviceName?: string;
  pid?: number;
  startedAt: number;
  /** The server accepts connections from here on (it printed its port). */
  listeningAt?: number;
  port?: number;
  sigtermAt?: number;
  /** Set when the process was killed by the twin (stopTimeout passed, crash, instance gone). */
  killedAt?: number;
  killCause?: KillCause;
  exitedAt?: number;
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
  /** The Python app's tasks: the sidecar process next to the app. */
  sidecar?: { pid?: number; exitCode?: number | null; signal?: NodeJS.Signals | null; exitedAt?: number };
}

/** A task's process: a child process, or the app and its sidecar as one (SidecarPair). */
type TaskChild = ChildProcess | SidecarPair;

function onEnd(child: TaskChild, onExit: (code: number | null, signal: NodeJS.Signals | null) => void, onError: (error: Error) => void): void {
  if (child instanceof SidecarPair) {
    child.once('exit', onExit);
    child.once('error', onError);
  } else {
    child.once('exit', onExit);
    child.once('error', onError);
  }
}

export interface ListeningTask {
  taskArn: string;
  serviceName?: string;
  port: number;
}

interface Running {
  record: TaskProcess;
  /** Absent while the task's credentials are being fetched. */
  child?: TaskChild;
  /** A signal that came before the process existed, sent as soon as it does. */
  pendingSignal?: 'SIGTERM' | 'SIGKILL';
  log: WriteStream;
  exited: Promise<void>;
}

/**
 * The ECS twin's tasks as real processes (issue 4): each task runs the example session server
 * with the session agent, and sees what a container in ECS sees: ECS_CONTAINER_METADATA_URI_V4,
 * ECS_AGENT_URI, and AWS through AWS_ENDPOINT_URL. StopTask and the scheduler's stops send a real
 * SIGTERM; the twin's SIGKILL after stopTimeout is a real SIGKILL. A process that exits by itself
 * ends its task, as an essential container that exits does.
 */
export class ProcessTasks implements TaskRuntime {
  private readonly running = new Map<string, Running>();
  private readonly history: TaskProcess[] = [];
  private readonly listeners = new Set<(task: ListeningTask) => void>();
  private exitContainer: (taskArn: string, exitCode: number) => void = () => undefined;
  private stopped = false;
  private readonly cleanable = { stop: () => this.stop(), killNow: () => this.killNow() };

  constructor(private readonly options: ProcessTasksOptions) {
    mkdirSync(options.logDir, { recursive: true });
    track(this.cleanable);
  }

  /** The twin is built with this runtime, and this runtime ends containers through the twin. */
  attach(exitContainer: (taskArn: string, exitCode: number) => void): void {
    this.exitContainer = exitContainer;
  }

  /** Called once per task process that starts listening, as a load balancer registers a target. */
  onListening(listener: (task: ListeningTask) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  started(task: TwinTask): void {
    if (this.stopped) return;
    const record: TaskProcess = { taskArn: task.taskArn, startedAt: Date.now(), ...(task.serviceName ? { serviceName: task.serviceName } : {}) };
    let markExited: () => void = () => undefined;
    const running: Running = {
      record,
      log: createWriteStream(join(this.options.logDir, `${task.taskId}.log`), { flags: 'a' }),
      exited: new Promise<void>((resolve) => (markExited = resolve)),
    };
    this.running.set(task.taskArn, running);
    this.history.push(record);
    void this.options.cloud.credentialsFor(task).then(
      (credentials) => this.spawnProcess(task, running, credentials, markExited),
      (error: unknown) => {
        this.options.onError?.(`credentials of ${task.taskArn}`, error);
        this.exited(running, 1, null);
        markExited();
      },
    );
  }

  sigterm(task: TwinTask, _info: StopInfo): void {
    const running = this.running.get(task.taskArn);
    if (running === undefined) return this.exitContainer(task.taskArn, 0);
    running.record.sigtermAt ??= Date.now();
    this.signal(running, 'SIGTERM');
  }

  killed(task: TwinTask, cause: KillCause): void {
    const running = this.running.get(task.taskArn);
    if (running === undefined) return;
    running.record.killedAt = Date.now();
    running.record.killCause = cause;
    this.signal(running, 'SIGKILL');
  }

  /** Every task process started so far, in start order (copies). */
  processes(): TaskProcess[] {
    return this.history.map((record) => ({ ...record }));
  }

  process(taskArn: string): TaskProcess | undefined {
    const record = this.history.find((candidate) => candidate.taskArn === taskArn);
    return record === undefined ? undefined : { ...record };
  }

  isRunning(taskArn: string): boolean {
    return this.running.has(taskArn);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.running.values()];
    for (const running of all) this.signal(running, 'SIGKILL');
    await Promise.all(all.map((running) => running.exited));
    untrack(this.cleanable);
  }

  private killNow(): void {
    for (const running of this.running.values()) running.child?.kill('SIGKILL');
  }

  private signal(running: Running, signal: 'SIGTERM' | 'SIGKILL'): void {
    if (running.child) running.child.kill(signal);
    else if (running.pendingSignal !== 'SIGKILL') running.pendingSignal = signal;
  }

  private spawnProcess(task: TwinTask, running: Running, credentials: TaskCredentials, markExited: () => void): void {
    if (running.pendingSignal === 'SIGKILL' || this.stopped) {
      this.exited(running, null, 'SIGKILL');
      return markExited();
    }
    const child = this.launch(task, credentials);
    running.child = child;
    if (child.pid !== undefined) running.record.pid = child.pid;
    if (child instanceof SidecarPair) {
      running.record.sidecar = { ...(child.sidecarPid === undefined ? {} : { pid: child.sidecarPid }) };
      child.once('app', (pid) => {
        if (pid !== undefined) running.record.pid = pid;
      });
    }
    child.stderr?.pipe(running.log, { end: false });
    this.readStdout(running, task);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (child instanceof SidecarPair && child.sidecarExit !== undefined) {
        const { code: exitCode, signal: sidecarSignal, at } = child.sidecarExit;
        running.record.sidecar = { ...running.record.sidecar, exitCode, signal: sidecarSignal, exitedAt: at };
      }
      if (child.pid !== undefined) running.record.pid = child.pid;
      this.exited(running, code, signal);
      markExited();
    };
    onEnd(child, onExit, (error) => this.options.onError?.(`task process of ${task.taskArn}`, error));
    if (running.pendingSignal) child.kill(running.pendingSignal);
  }

  /** The Node example with the agent library in one process, or the Python example with its sidecar in two. */
  private launch(task: TwinTask, credentials: TaskCredentials): TaskChild {
    const env = this.environment(task, credentials);
    const { python } = this.options;
    if (python === undefined || python.runs(task) !== 'python') {
      return spawn(process.execPath, ['--enable-source-maps', '--import', this.options.build.parentWatch, this.options.build.server], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    }
    // Twice the Node app's lead: after its close frames the app has one HTTP DELETE per session to
    // make, the sidecar its registry writes, and the app and then the sidecar must exit, all before
    // the SIGKILL (at 50 ms per scenario second, 10 scenario seconds are only half a real second).
    const leadSeconds = this.options.clock.ms(2 * (this.options.closeLeadSeconds ?? 10)) / 1000;
    const pair = new SidecarPair({
      build: python.build,
      nodeParentWatch: this.options.build.parentWatch,
      sidecarEnv: { ...env, SESSION_SIDECAR_DEADLINE_LEAD_SECONDS: String(leadSeconds) },
      appEnv: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', SESSION_SERVER_RETRY_AFTER_MS: '1000' },
    });
    return pair;
  }

  private environment(task: TwinTask, credentials: TaskCredentials): NodeJS.ProcessEnv {
    const { clock, cloud } = this.options;
    const seconds = (scenarioSeconds: number) => String(Math.max(clock.ms(scenarioSeconds), this.options.minIntervalMs ?? 200) / 1000);
    return {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: '0',
      ...this.options.endpoints.environmentFor(task),
      AWS_ENDPOINT_URL: cloud.endpoint,
      AWS_REGION: cloud.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SESSION_REGISTRY_TABLE: cloud.tableName,
      // DynamoDB answers in milliseconds; moto on a busy 2-core machine can take seconds, and a
      // session whose open outlives the agent's budget runs uncounted until its retry lands.
      SESSION_AGENT_REGISTRY_TIMEOUT_MS: '10000',
      // Fargate's metadata has no ServiceName; a task definition passes it as a variable.
      ...(task.serviceName ? { SESSION_AGENT_SERVICE_NAME: task.serviceName } : {}),
      SESSION_AGENT_HEARTBEAT_SECONDS: seconds(this.options.heartbeatSeconds ?? 30),
      SESSION_AGENT_DRAIN_POLL_SECONDS: seconds(this.options.drainPollSeconds ?? 5),
      SESSION_SERVER_CLOSE_LEAD_MS: String(clock.ms(this.options.closeLeadSeconds ?? 10)),
    };
  }

  private readStdout(running: Running, task: TwinTask): void {
    const stdout = running.child?.stdout;
    if (stdout === undefined || stdout === null) return;
    const lines = createInterface({ input: stdout });
    lines.on('line', (line) => {
      running.log.write(`${line}\n`);
      if (running.record.port !== undefined) return;
      const port = listeningPort(line);
      if (port === undefined) return;
      running.record.port = port;
      running.record.listeningAt = Date.now();
      const listening: ListeningTask = { taskArn: task.taskArn, port, ...(task.serviceName ? { serviceName: task.serviceName } : {}) };
      for (const listener of this.listeners) listener(listening);
    });
  }

  private exited(running: Running, code: number | null, signal: NodeJS.Signals | null): void {
    running.record.exitedAt = Date.now();
    running.record.exitCode = code;
    running.record.signal = signal;
    this.running.delete(running.record.taskArn);
    running.log.end();
    // A process the twin killed is already stopped there; one that ended by itself ends its task.
    if (running.record.killedAt === undefined && !this.stopped) this.exitContainer(running.record.taskArn, code ?? 137);
  }
}

/** The example server announces its port with one JSON line: {"listening":<port>}. */
function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { listening?: unknown };
    return typeof parsed.listening === 'number' ? parsed.listening : undefined;
  } catch {
    return undefined;
  }
}
