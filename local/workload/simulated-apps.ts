import { closeSession, heartbeat, openSession, readTask, registerTask, type RegistryWriter, type TaskRegistration } from '@ecs-session-drain/agent/registry';
import type { ScaledClock } from '../cloud/clock.js';
import type { DropCause, SessionLedger } from './session-ledger.js';
import { sleep } from '../cloud/timing.js';

/** The parts of a twin task an application sees (what the ECS metadata endpoint would tell it): what it registers. */
export type AppTask = TaskRegistration;

export interface SimulatedAppsOptions {
  writer: RegistryWriter;
  clock: ScaledClock;
  ledger: SessionLedger;
  /** Scenario seconds between heartbeats (the agent's default is 30). */
  heartbeatSeconds?: number;
  /**
   * Heartbeats never come faster than this in real time, whatever the scale (default 2000 ms). A
   * scaled heartbeat timeout is at least 10 s (its MinValue), so 2 s keeps at least the agent's four beats
   * per timeout (30 s against 120 s); faster beats of 20 tasks alone took most of what moto serves (about 55 requests/s).
   */
  minHeartbeatMs?: number;
  /**
   * The load balancer's view of a task (the ECS twin's targetHealthState): a task of a service
   * behind a load balancer gets new sessions only while its target is `healthy`; undefined (no
   * load balancer, or no twin) lets a task take sessions as soon as it runs and is registered.
   */
  targetHealth?: (task: AppTask) => string | undefined;
  /** Apps of services the orchestrator does not manage still count sessions, but register nothing. */
  registers?: (task: AppTask) => boolean;
  onError?: (what: string, error: unknown) => void;
  /** Real milliseconds between attempts of a failed registry write (default 50 ms up to 2 s; the last repeats). */
  retryDelaysMs?: readonly number[];
}

interface AppState {
  task: AppTask;
  registered: boolean;
  /** False once SIGTERM arrived or the registry refused a session: the load balancer stops sending. */
  accepting: boolean;
  terminating: boolean;
  stopReason?: string;
  sessions: Map<string, () => void>;
  stopHeartbeat: () => void;
  /** The agent is silent: no heartbeat is sent (muteHeartbeats). */
  muted?: boolean;
  /** Set while the load balancer deregisters the task: tells it that the last connection closed. */
  lbDrained?: () => void;
  /** Set while the registry refuses sessions (a drain marked the task DRAINING): the app watches its item. */
  stopWatch?: () => void;
}

const RETRY_DELAYS_MS = [50, 200, 500, 1000, 2000];
/** Attempts of a write retried for as long as its app runs (then every 2 s). */
const UNTIL_STOPPED = Number.POSITIVE_INFINITY;
const DEFAULT_MIN_HEARTBEAT_MS = 2000;

/**
 * The application inside each twin task, as a well-behaved session server with the agent would
 * act: it registers the task when it starts, heartbeats, counts sessions through the same registry
 * writes a real task makes, keeps serving its sessions after SIGTERM, and exits once the last one
 * has closed. Whatever is open when the task is killed is dropped.
 */
export class SimulatedApps {
  private readonly apps = new Map<string, AppState>();
  private exitContainer: (taskArn: string) => void = () => undefined;

  constructor(private readonly options: SimulatedAppsOptions) {}

  /** The twin is built with this runtime, and this runtime exits containers through the twin. */
  attach(exitContainer: (taskArn: string) => void): void {
    this.exitContainer = exitContainer;
  }

  started(task: AppTask): void {
    const heartbeatMs = Math.max(this.options.clock.ms(this.options.heartbeatSeconds ?? 30), this.options.minHeartbeatMs ?? DEFAULT_MIN_HEARTBEAT_MS);
    const state: AppState = { task, registered: false, accepting: false, terminating: false, sessions: new Map(), stopHeartbeat: () => undefined };
    this.apps.set(task.taskArn, state);
    // The server accepts sessions once it runs and (managed) registered its task; whether the load
    // balancer sends it any is the target's health (targetHealth), checked per session.
    if (!this.registers(task)) {
      state.accepting = true;
      return;
    }
    void this.retrying(`registering ${task.taskArn}`, () => registerTask(this.options.writer, task)).then((ok) => {
      if (!ok || state.terminating) return;
      state.registered = true;
      state.accepting = true;
      // One heartbeat at a time: a slow registry must not pile writes up behind each other.
      let timer: NodeJS.Timeout | undefined;
      const beat = () => {
        timer = setTimeout(() => {
          if (state.muted === true) return;
          void this.retrying(`heartbeat of ${task.taskArn}`, () => heartbeat(this.options.writer, task.taskArn), 1).then(() => {
            if (this.apps.get(task.taskArn) === state && state.muted !== true) beat();
          });
        }, heartbeatMs);
      };
      beat();
      state.stopHeartbeat = () => clearTimeout(timer);
    });
  }

  /**
   * A health check is answered once the server serves, as the agent's /healthz and the example's
   * /livez are: once it registered, or at once when it has nothing to register.
   */
  answersHealthChecks(task: AppTask): boolean {
    const state = this.apps.get(task.taskArn);
    return state !== undefined && (state.registered || !this.registers(task));
  }

  private registers(task: AppTask): boolean {
    return this.options.registers?.(task) ?? true;
  }

  sigterm(task: AppTask, info: { reason: string }): void {
    const state = this.apps.get(task.taskArn);
    if (state === undefined) return this.exitContainer(task.taskArn);
    state.accepting = false;
    state.terminating = true;
    state.stopWatch?.();
    state.stopReason = info.reason;
    if (state.sessions.size === 0) this.exit(state);
  }

  killed(task: AppTask, cause: DropCause): void {
    const state = this.apps.get(task.taskArn);
    if (state === undefined) return;
    for (const [sessionId, cancelClose] of state.sessions) {
      cancelClose();
      this.options.ledger.ended(sessionId, 'dropped', { dropCause: cause, ...(state.stopReason ? { stopReason: state.stopReason } : {}) });
    }
    state.sessions.clear();
    state.stopHeartbeat();
    state.stopWatch?.();
    state.accepting = false;
    this.apps.delete(task.taskArn);
  }

  /** The load balancer deregisters the task: no new session; it waits for the open ones until it gives up. */
  deregistering(task: AppTask, info: { reason: string; drained: () => void }): void {
    const state = this.apps.get(task.taskArn);
    if (state === undefined) return info.drained();
    state.accepting = false;
    state.stopReason = info.reason;
    state.lbDrained = info.drained;
    if (state.sessions.size === 0) this.lbDrained(state);
  }

  /** The deregistration delay ran out: the load balancer breaks the sessions still open. */
  deregistered(task: AppTask): void {
    const state = this.apps.get(task.taskArn);
    if (state === undefined) return;
    state.lbDrained = undefined;
    for (const [sessionId, cancelClose] of state.sessions) {
      cancelClose();
      this.options.ledger.ended(sessionId, 'dropped', { dropCause: 'LB_DEREGISTERED', ...(state.stopReason ? { stopReason: state.stopReason } : {}) });
    }
    state.sessions.clear();
  }

  /**
   * The task's agent goes silent (fault tests): no heartbeat from now on, while the app keeps
   * serving and counting sessions. Returns false when the task runs no app here.
   */
  muteHeartbeats(taskArn: string): boolean {
    const state = this.apps.get(taskArn);
    if (state === undefined) return false;
    state.stopHeartbeat();
    state.muted = true;
    return true;
  }

  /** Tasks a load balancer would send a new session to (accepting, and healthy behind a load balancer), fewest sessions first. */
  acceptingTasks(filter: (task: AppTask) => boolean = () => true): AppTask[] {
    return [...this.apps.values()]
      .filter((state) => this.routable(state) && filter(state.task))
      .sort((a, b) => a.sessions.size - b.sessions.size)
      .map((state) => state.task);
  }

  sessionCount(taskArn: string): number {
    return this.apps.get(taskArn)?.sessions.size ?? 0;
  }

  /**
   * Opens a session on the task, closing it after the given scenario seconds. Returns false when
   * the registry refuses (the task is draining), so the caller can try the next task.
   */
  async open(taskArn: string, sessionId: string, durationSeconds: number): Promise<boolean> {
    const state = this.apps.get(taskArn);
    if (state === undefined || !this.routable(state)) return false;
    if (state.registered) {
      const result = await openSession(this.options.writer, taskArn, sessionId);
      if (result !== 'opened' && result !== 'already-open') {
        state.accepting = false;
        if (result === 'refused-not-active') this.watchForResume(state);
        return false;
      }
    }
    if (!this.apps.has(taskArn) || state.terminating) {
      // SIGTERM (or the kill) came while the open was in flight: a server that stopped accepting
      // turns the user away, and the user's client tries another task.
      if (state.registered) await closeSession(this.options.writer, taskArn, sessionId).catch(() => undefined);
      return false;
    }
    const cancel = this.options.clock.after(durationSeconds, () => void this.close(state, sessionId));
    state.sessions.set(sessionId, cancel);
    return true;
  }

  /** Every user of the task leaves now (or the first `count` of them, oldest first): each open session closes as at the end of its planned time. */
  async endSessions(taskArn: string, count = Number.POSITIVE_INFINITY): Promise<number> {
    const state = this.apps.get(taskArn);
    if (state === undefined) return 0;
    const sessionIds = [...state.sessions.keys()].slice(0, count);
    for (const sessionId of sessionIds) {
      state.sessions.get(sessionId)?.();
      await this.close(state, sessionId);
    }
    return sessionIds.length;
  }

  /**
   * As the agent's drain watch does (agent/src/agent.ts, "resumed"): while the registry refuses
   * sessions the app polls its item (the agent's drainPollSeconds, 5), and takes sessions again once
   * the item is ACTIVE again before SIGTERM (a drain cancelled by an operator or by a rollback).
   */
  private watchForResume(state: AppState): void {
    if (state.stopWatch !== undefined || state.terminating) return;
    const pollMs = Math.max(this.options.clock.ms(5), 500);
    let timer: NodeJS.Timeout | undefined;
    const poll = () => {
      timer = setTimeout(() => {
        void readTask(this.options.writer, state.task.taskArn)
          .then((item) => {
            if (state.terminating || this.apps.get(state.task.taskArn) !== state) return;
            if (item?.status === 'ACTIVE') {
              state.stopWatch = undefined;
              state.accepting = true;
              return;
            }
            if (item !== undefined && item.status !== 'DRAINING') return;
            poll();
          })
          .catch(() => poll());
      }, pollMs);
    };
    poll();
    state.stopWatch = () => clearTimeout(timer);
  }

  /** Accepting, and behind a load balancer a healthy target: the balancer sends it new sessions. */
  private routable(state: AppState): boolean {
    if (!state.accepting) return false;
    const health = this.options.targetHealth?.(state.task);
    return health === undefined || health === 'healthy';
  }

  private async close(state: AppState, sessionId: string): Promise<void> {
    if (!state.sessions.delete(sessionId)) return;
    this.options.ledger.ended(sessionId, 'user');
    // As the agent's session book does, a close is retried until it lands (or the apps stop): a close
    // given up leaves the registry counting a session that is gone, and the task's drain waiting
    // for it until its deadline (busy runs of the suite showed registry counts far above the apps'
    // sessions, which closes given up after five retries would explain).
    if (state.registered) await this.retrying(`closing ${sessionId}`, () => closeSession(this.options.writer, state.task.taskArn, sessionId), UNTIL_STOPPED, () => this.apps.get(state.task.taskArn) === state);
    if (state.terminating && state.sessions.size === 0) this.exit(state);
    if (state.sessions.size === 0) this.lbDrained(state);
  }

  private lbDrained(state: AppState): void {
    const drained = state.lbDrained;
    state.lbDrained = undefined;
    drained?.();
  }

  private exit(state: AppState): void {
    state.stopHeartbeat();
    this.exitContainer(state.task.taskArn);
  }

  /** A write tried `attempts` times (by default once, then once after each delay), while `alive` holds. */
  private async retrying(what: string, write: () => Promise<unknown>, attempts?: number, alive: () => boolean = () => true): Promise<boolean> {
    const delays = this.options.retryDelaysMs ?? RETRY_DELAYS_MS;
    const limit = attempts ?? delays.length + 1;
    for (let attempt = 0; attempt < limit; attempt += 1) {
      try {
        await write();
        return true;
      } catch (error) {
        if (attempt === limit - 1 || !alive()) {
          this.options.onError?.(what, error);
          return false;
        }
        await sleep(delays[Math.min(attempt, delays.length - 1)] ?? 0);
      }
    }
    return false;
  }

  stop(): void {
    for (const state of this.apps.values()) {
      state.stopHeartbeat();
      state.stopWatch?.();
      for (const cancel of state.sessions.values()) cancel();
    }
    this.apps.clear();
  }
}
