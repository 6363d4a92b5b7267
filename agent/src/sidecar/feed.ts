import type { SessionAgent } from '../agent.js';
import { unrefTimer } from '../retry.js';
import type { AgentState, DeadlineNotice, DrainNotice, TerminationNotice } from '../types.js';
import { definedOnly } from '../optional.js';

/** The agent surface the sidecar reads: a SessionAgent (structural, so tests may build one from sources). */
export type SidecarAgent = Pick<SessionAgent, 'task' | 'state' | 'accepting' | 'sessionCount' | 'sessionOpened' | 'sessionClosed' | 'health' | 'on' | 'off'>;

/** What the feed pushes: which notice changed the state (`state` is the first message of a stream). */
export type FeedEventType = 'state' | 'draining' | 'deadline' | 'deadline-near' | 'terminating' | 'idle' | 'resumed';

/** GET /state's body. Dates are ISO-8601 strings; absent fields are left out. */
export interface SidecarState {
  /** Increments with every notice below; the session count is read when the answer is written. */
  version: number;
  /** When this sidecar process started: a new value means the sidecar restarted and knows no sessions. */
  startedAt: string;
  state: AgentState;
  accepting: boolean;
  sessions: number;
  task: { taskArn: string; clusterArn: string; serviceName?: string };
  drain?: { source: DrainNotice['source']; status?: string; reason?: string; deadline?: string };
  deadline?: { at: string; source: DeadlineNotice['source']; reason?: string };
  /** The deadline is less than the lead away: close the sessions gracefully now. */
  deadlineNear: boolean;
  terminating?: { orchestrated: boolean; reason?: string; deadline?: string };
  /** The session count reached 0 after SIGTERM: the application may exit. */
  idle: boolean;
}

export interface FeedEvent {
  type: FeedEventType;
  state: SidecarState;
}

/**
 * The agent's notices as a versioned state, for clients that cannot take an EventEmitter: long-poll
 * waiters (GET /state?wait=) and event streams (GET /events) are woken on every change. It adds
 * one notice the library leaves to the application: 'deadline-near', `leadMs` before the hard deadline.
 */
export class StateFeed {
  private version = 0;
  private readonly startedAt = new Date().toISOString();
  private drain: SidecarState['drain'];
  private deadline: DeadlineNotice | undefined;
  private deadlineNear = false;
  private terminating: SidecarState['terminating'];
  private idle = false;
  private nearTimer: NodeJS.Timeout | undefined;
  private readonly subscribers = new Set<(event: FeedEvent) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly agent: SidecarAgent,
    private readonly leadMs: number,
    private readonly now: () => number = Date.now,
  ) {
    const onDraining = (notice: DrainNotice) => {
      this.drain = { source: notice.source, ...definedOnly({ status: notice.status, reason: notice.reason, deadline: notice.deadline?.toISOString() }) };
      this.changed('draining');
    };
    const onDeadline = (notice: DeadlineNotice) => {
      this.deadline = notice;
      this.deadlineNear = false;
      this.armNear();
      this.changed('deadline');
    };
    const onTerminating = (notice: TerminationNotice) => {
      this.terminating = { orchestrated: notice.orchestrated, ...definedOnly({ reason: notice.reason, deadline: notice.deadline?.toISOString() }) };
      this.changed('terminating');
    };
    const onIdle = () => {
      this.idle = true;
      this.changed('idle');
    };
    const onResumed = () => {
      this.drain = undefined;
      this.deadline = undefined;
      this.deadlineNear = false;
      clearTimeout(this.nearTimer);
      this.changed('resumed');
    };
    agent.on('draining', onDraining);
    agent.on('deadline', onDeadline);
    agent.on('terminating', onTerminating);
    agent.on('idle', onIdle);
    agent.on('resumed', onResumed);
    this.unsubscribe = () => {
      agent.off('draining', onDraining);
      agent.off('deadline', onDeadline);
      agent.off('terminating', onTerminating);
      agent.off('idle', onIdle);
      agent.off('resumed', onResumed);
      clearTimeout(this.nearTimer);
    };
  }

  snapshot(): SidecarState {
    const { taskArn, clusterArn, serviceName } = this.agent.task;
    return {
      version: this.version,
      startedAt: this.startedAt,
      state: this.agent.state,
      accepting: this.agent.accepting,
      sessions: this.agent.sessionCount,
      task: { taskArn, clusterArn, ...definedOnly({ serviceName }) },
      ...definedOnly({ drain: this.drain, terminating: this.terminating }),
      ...(this.deadline === undefined
        ? {}
        : { deadline: { at: this.deadline.deadline.toISOString(), source: this.deadline.source, ...definedOnly({ reason: this.deadline.reason }) } }),
      deadlineNear: this.deadlineNear,
      idle: this.idle,
    };
  }

  /**
   * The state once its version differs from `since`, or after `waitMs` unchanged, or when `signal`
   * aborts (the client went away). Without `since`, the next change.
   */
  waitForChange(since: number | undefined, waitMs: number, signal?: AbortSignal): Promise<SidecarState> {
    if (since !== undefined && since !== this.version) return Promise.resolve(this.snapshot());
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.subscribers.delete(onEvent);
        signal?.removeEventListener('abort', done);
        resolve(this.snapshot());
      };
      const onEvent = () => done();
      const timer = unrefTimer(done, waitMs);
      this.subscribers.add(onEvent);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: (event: FeedEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  close(): void {
    this.unsubscribe();
    this.subscribers.clear();
  }

  private armNear(): void {
    clearTimeout(this.nearTimer);
    const deadline = this.deadline;
    if (deadline === undefined) return;
    const delay = deadline.deadline.getTime() - this.leadMs - this.now();
    // unrefTimer cuts delays beyond ~24.8 days; re-arming then checks again.
    this.nearTimer = unrefTimer(() => {
      if (this.deadline !== deadline) return;
      if (deadline.deadline.getTime() - this.leadMs > this.now()) return this.armNear();
      this.deadlineNear = true;
      this.changed('deadline-near');
    }, delay);
  }

  private changed(type: FeedEventType): void {
    this.version += 1;
    const event: FeedEvent = { type, state: this.snapshot() };
    for (const subscriber of [...this.subscribers]) subscriber(event);
  }
}
