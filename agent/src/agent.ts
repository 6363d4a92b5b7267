import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DrainNotices, isAbandonedDrain } from './drain-notices.js';
import { DrainWatch, type PollResult } from './drain-watch.js';
import { RegistryCallError } from './errors.js';
import { healthHandler } from './health.js';
import { HeartbeatTimer } from './heartbeat.js';
import { describeError, jsonLogger, type AgentLogger } from './logger.js';
import { discoverTask } from './metadata.js';
import { ProtectionKeeper } from './protection.js';
import { documentClient } from './registry-client.js';
import { isConditionalCheckFailure, TaskStatus, type TaskItem } from './registry-contract.js';
import { Registrar } from './registrar.js';
import { closeSession, heartbeat, openSession, readTask, validateSessionId, type RegistryWriter } from './registry.js';
import { withTimeout } from './retry.js';
import { SessionBook } from './session-book.js';
import { resolveSettings, type AgentSettings, type SessionAgentOptions } from './settings.js';
import { onSigterm } from './signals.js';
import type { AgentHealth, AgentState, DeadlineNotice, DrainNotice, OpenOutcome, TaskIdentity, TerminationNotice } from './types.js';
import { definedOnly } from './optional.js';

export interface SessionAgentEvents {
  draining: [notice: DrainNotice];
  deadline: [notice: DeadlineNotice];
  terminating: [notice: TerminationNotice];
  idle: [];
  /** The item is ACTIVE again before SIGTERM (an operator cancelled the drain): accepting again, with a fresh drainSignal. */
  resumed: [];
  'registry-error': [error: RegistryCallError];
  'protection-error': [error: unknown];
}

interface AgentParts {
  settings: AgentSettings;
  task: TaskIdentity;
  writer: RegistryWriter;
  logger: AgentLogger;
  fetch: typeof fetch;
  options: SessionAgentOptions;
}

/**
 * The task side of the session registry (README "Session agent (task side)"): registers the task,
 * counts sessions, heartbeats, notices drains and SIGTERM, and (agent mode only) keeps ECS scale-in
 * protection. It never throws because the registry is unreachable and never exits the process.
 */
export class SessionAgent extends EventEmitter<SessionAgentEvents> {
  readonly task: TaskIdentity;
  private currentState: AgentState = 'active';
  private drainController = new AbortController();
  private readonly notices = new DrainNotices();
  private terminatingEmitted = false;
  /** The drain's deadline passed long ago without a stop: taking sessions again (handleItem). */
  private abandonedDrain = false;
  private idleEmitted = false;
  private readonly lifetime = new AbortController();
  private readonly settings: AgentSettings;
  private readonly writer: RegistryWriter;
  private readonly logger: AgentLogger;
  private readonly book: SessionBook;
  private readonly heartbeat: HeartbeatTimer;
  private readonly registrar: Registrar;
  private readonly watch: DrainWatch;
  private readonly protection: ProtectionKeeper | undefined;
  private removeSignalHandler: () => void = () => undefined;

  /**
   * Reads the task metadata, registers the task (first attempt bounded by registryTimeoutMs, then
   * retried in the background) and starts heartbeats, the drain watch and the SIGTERM handler.
   * Throws SessionAgentConfigError for missing settings and TaskMetadataError when the metadata
   * endpoint gives no task; never because the registry is unreachable.
   */
  static async start(options: SessionAgentOptions = {}): Promise<SessionAgent> {
    const settings = resolveSettings(options);
    const env = options.env ?? process.env;
    const logger = options.logger ?? jsonLogger({ debug: env.SESSION_AGENT_LOG_LEVEL === 'debug' });
    const fetchImpl = options.fetch ?? globalThis.fetch;
    const task = await discoverTask(
      { metadataUri: settings.metadataUri, fetch: fetchImpl, timeoutMs: settings.registryTimeoutMs, logger },
      {
        ...definedOnly({ serviceName: settings.serviceName, fallbackServiceName: settings.fallbackServiceName, capacityProviderName: settings.capacityProviderName }),
      },
    );
    const writer: RegistryWriter = { ddb: documentClient(options.dynamoDb), tableName: settings.tableName, now: options.now ?? (() => new Date()) };
    const agent = new SessionAgent({ settings, task, writer, logger, fetch: fetchImpl, options });
    await agent.begin();
    return agent;
  }

  private constructor(parts: AgentParts) {
    super();
    this.task = parts.task;
    this.settings = parts.settings;
    this.writer = parts.writer;
    this.logger = parts.logger;
    const timeoutMs = parts.settings.registryTimeoutMs;
    this.book = new SessionBook({
      open: (sessionId, signal) => openSession(this.writer, this.task.taskArn, sessionId, { abortSignal: signal }),
      close: (sessionId, signal) => closeSession(this.writer, this.task.taskArn, sessionId, { abortSignal: signal }),
      timeoutMs,
      logger: this.logger,
      onRegistryError: (operation, error) => this.registryError(operation, error),
      onHeartbeatWrite: () => this.heartbeat.noteWrite(),
    });
    this.heartbeat = new HeartbeatTimer({
      intervalMs: parts.settings.heartbeatMs,
      now: () => Date.now(),
      beat: async () => {
        if (!this.registrar.registered) return false;
        await this.bounded('heartbeat', (signal) => heartbeat(this.writer, this.task.taskArn, { abortSignal: signal }));
        return true;
      },
      onError: (error) => {
        this.registryError('heartbeat', error);
        // The item is gone (expired or deleted by hand): put it back.
        if (isConditionalCheckFailure(error)) this.registrar.lost();
      },
    });
    this.registrar = new Registrar({
      writer: this.writer,
      task: this.task,
      bounded: (operation, call) => this.bounded(operation, call),
      signal: this.lifetime.signal,
      logger: this.logger,
      onRegistryError: (operation, error) => this.registryError(operation, error),
      onRegistered: () => this.heartbeat.noteWrite(),
    });
    this.watch = new DrainWatch({
      intervalMs: parts.settings.drainPollMs,
      read: () => this.bounded('read task item', (signal) => readTask(this.writer, this.task.taskArn, { abortSignal: signal })),
      onItem: (item) => this.handleItem(item),
      onError: (error) => this.registryError('read task item', error),
    });
    if (parts.settings.protection === 'agent' && parts.settings.agentUri !== undefined) {
      this.protection = new ProtectionKeeper({
        agentUri: parts.settings.agentUri,
        fetch: parts.fetch,
        minutes: parts.settings.protectionMinutes,
        timeoutMs,
        logger: this.logger,
        onError: (error) => this.safeEmit('protection-error', error),
      });
    }
    if (parts.settings.handleSignals) {
      this.removeSignalHandler = onSigterm(parts.options.signalSource ?? process, () => this.onSigterm());
    }
  }

  get state(): AgentState {
    return this.currentState;
  }

  /** False from the drain notice or SIGTERM on: send new users elsewhere. */
  get accepting(): boolean {
    return this.currentState === 'active';
  }

  /** Aborts (reason: a DrainNotice) when the task leaves ACTIVE or gets SIGTERM. A resumed task gets a new one. */
  get drainSignal(): AbortSignal {
    return this.drainController.signal;
  }

  /** Sessions this process holds, including ones whose registry write is still being retried. */
  get sessionCount(): number {
    return this.book.size;
  }

  /**
   * Counts a session in. 'refused' when the task is no longer ACTIVE (send the user elsewhere);
   * 'opened-unregistered' when the registry could not be reached in time: the session is allowed,
   * held here, and its write retried in the background. Rejects only with InvalidSessionIdError.
   */
  async sessionOpened(sessionId: string): Promise<OpenOutcome> {
    validateSessionId(sessionId);
    if (!this.book.has(sessionId) && !this.accepting) return 'refused';
    // The registry refuses sessions of a DRAINING task; an abandoned drain's sessions are held here.
    if (this.abandonedDrain && !this.book.has(sessionId)) {
      const held = this.book.holdUncounted(sessionId);
      this.countChanged();
      return held;
    }
    const outcome = await this.book.open(sessionId);
    if (outcome === 'refused') {
      // The registry knew first: learn why (reason, deadline) before the caller asks again.
      await this.watch.pollNow();
    }
    this.countChanged();
    return outcome;
  }

  /** Counts a session out; never blocks longer than one registry call budget, retries in the background. */
  async sessionClosed(sessionId: string): Promise<void> {
    const { removed, written } = this.book.close(sessionId);
    if (!removed) return;
    this.protection?.update(this.book.size);
    await written;
    // 'idle' only once the last close had its chance to reach the registry: the app exits on it.
    this.countChanged();
  }

  health(): AgentHealth {
    return { healthy: this.accepting, state: this.currentState, sessions: this.book.size };
  }

  /** 200 {"healthy":true,...} while accepting, 503 after. */
  healthHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    return healthHandler(() => this.health());
  }

  /**
   * Stops timers, retries and the SIGTERM handler. Starts no registry write (no deregistration: the
   * orchestrator handles a task that vanished); close writes already in flight get one call budget to finish.
   */
  async stop(): Promise<void> {
    if (this.currentState === 'stopped') return;
    const pending = this.book.size;
    this.currentState = 'stopped';
    this.removeSignalHandler();
    this.heartbeat.stop();
    this.watch.stop();
    this.protection?.stop();
    await this.book.stop(this.settings.registryTimeoutMs);
    this.lifetime.abort();
    this.logger.info('session agent stopped', { sessions: pending });
  }

  private async begin(): Promise<void> {
    this.logger.info('session agent starting', { ...this.task, protection: this.settings.protection });
    await this.registrar.start();
    this.heartbeat.start();
    this.watch.start();
  }

  private bounded<T>(operation: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withTimeout(operation, this.settings.registryTimeoutMs, call, this.lifetime.signal);
  }

  private handleItem(item: TaskItem | undefined): void {
    if (this.currentState === 'stopped' || item === undefined) return;
    const reading = this.notices.read(item, this.currentState !== 'terminating');
    if (reading.resumed) {
      // An operator cancelled the drain before SIGTERM: the item is ACTIVE again, so is the agent.
      this.currentState = 'active';
      this.drainController = new AbortController();
      this.logger.info('drain cancelled: accepting sessions again');
      this.safeEmit('resumed');
    }
    if (reading.draining !== undefined) {
      if (this.currentState === 'active') this.currentState = 'draining';
      if (!this.drainController.signal.aborted) this.drainController.abort(reading.draining);
      this.logger.info('drain notice: no new sessions', { ...reading.draining, sessions: this.book.size });
      this.safeEmit('draining', reading.draining);
    }
    if (reading.deadline !== undefined) this.announceDeadline(reading.deadline);
    this.judgeAbandonment(item);
  }

  /**
   * If the orchestrator stops working (deleted, a broken deploy, a throttled account), a DRAINING
   * task would refuse users for good. Once its deadline passed more than the grace ago without a
   * stop, the drain is taken for abandoned: the task accepts sessions again (held here, uncounted,
   * as the registry refuses them) and says why. Should the orchestrator come back and move the
   * item on (ACTIVE, STOPPING), the agent follows it again.
   */
  private judgeAbandonment(item: TaskItem): void {
    if (this.currentState === 'terminating' || this.currentState === 'stopped') return;
    const abandoned = isAbandonedDrain(item, Date.now(), this.settings.abandonedDrainGraceMs);
    if (abandoned && !this.abandonedDrain) {
      this.abandonedDrain = true;
      this.currentState = 'active';
      this.drainController = new AbortController();
      this.logger.warn('drain abandoned: its deadline passed long ago and the task was not stopped, so the orchestrator is not acting; accepting sessions again', {
        drainDeadline: item.drainDeadline,
        reason: item.drainReason,
        graceSeconds: this.settings.abandonedDrainGraceMs / 1000,
      });
      this.safeEmit('resumed');
    } else if (!abandoned && this.abandonedDrain) {
      this.abandonedDrain = false;
      if (item.status !== TaskStatus.Active) {
        this.currentState = 'draining';
        const notice: DrainNotice = { source: 'registry', status: item.status, ...definedOnly({ reason: item.drainReason }) };
        this.drainController.abort(notice);
        this.logger.info('the orchestrator moved the abandoned drain on: no new sessions', { status: item.status });
        this.safeEmit('draining', notice);
      }
    }
  }

  private announceDeadline(notice: DeadlineNotice): void {
    this.logger.info('hard deadline', { deadline: notice.deadline.toISOString(), source: notice.source, reason: notice.reason });
    this.safeEmit('deadline', notice);
  }

  private onSigterm(): void {
    if (this.currentState === 'terminating' || this.currentState === 'stopped') {
      this.logger.info('SIGTERM again; still serving open sessions', { sessions: this.book.size });
      return;
    }
    this.currentState = 'terminating';
    const at = Date.now();
    if (!this.drainController.signal.aborted) this.drainController.abort({ source: 'sigterm' } satisfies DrainNotice);
    this.logger.info('SIGTERM: no new sessions; serving open ones', { sessions: this.book.size });
    void this.afterSigterm(at);
  }

  /** A Spot SIGTERM can beat the orchestrator's marking: the watch keeps polling afterwards. */
  private async afterSigterm(at: number): Promise<void> {
    const poll: PollResult = await this.watch.pollNow();
    if (this.currentState === 'stopped') return;
    const item = poll.ok ? poll.item : undefined;
    if (this.settings.stopTimeoutMs !== undefined) {
      const earlier = this.notices.offer({ deadline: new Date(at + this.settings.stopTimeoutMs), source: 'sigterm', ...(item?.drainReason ? { reason: item.drainReason } : {}) });
      if (earlier !== undefined) this.announceDeadline(earlier);
    }
    const notice: TerminationNotice = {
      orchestrated: item?.status === TaskStatus.Draining || item?.status === TaskStatus.Stopping,
      ...definedOnly({ reason: item?.drainReason }),
      ...definedOnly({ deadline: this.notices.deadline }),
    };
    this.terminatingEmitted = true;
    this.logger.info('terminating', { ...notice, sessions: this.book.size, registryRead: poll.ok });
    this.safeEmit('terminating', notice);
    this.countChanged();
  }

  private countChanged(): void {
    this.protection?.update(this.book.size);
    if (this.terminatingEmitted && !this.idleEmitted && this.book.size === 0 && this.currentState === 'terminating') {
      this.idleEmitted = true;
      this.logger.info('idle: the last session closed after SIGTERM');
      this.safeEmit('idle');
    }
  }

  private registryError(operation: string, error: unknown): void {
    if (this.lifetime.signal.aborted) return;
    const wrapped = new RegistryCallError(operation, { cause: error });
    this.logger.warn(wrapped.message, { operation, error: describeError(error) });
    this.safeEmit('registry-error', wrapped);
  }

  /** A listener that throws is the application's bug; it must not kill the agent's timers. */
  private safeEmit<K extends keyof SessionAgentEvents>(event: K, ...args: SessionAgentEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: SessionAgentEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.logger.error(`a '${String(event)}' listener threw`, { error: describeError(error) });
    }
  }
}
