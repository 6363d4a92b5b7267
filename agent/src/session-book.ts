import type { AgentLogger } from './logger.js';
import { isPermanentRegistryError, type CloseResult, type OpenResult } from './registry.js';
import { retry, unrefTimer, withTimeout, type Backoff } from './retry.js';
import type { OpenOutcome } from './types.js';
import { NamedError } from './errors.js';

export interface SessionBookDeps {
  open: (sessionId: string, signal: AbortSignal) => Promise<OpenResult>;
  close: (sessionId: string, signal: AbortSignal) => Promise<CloseResult>;
  /** Budget of one registry call; the caller waits no longer than this for the first attempt. */
  timeoutMs: number;
  backoff?: Backoff;
  logger: AgentLogger;
  /** A registry call failed (already logged here). */
  onRegistryError: (operation: string, error: unknown) => void;
  /** A write refreshed heartbeatAt (a session write does). */
  onHeartbeatWrite: () => void;
}

interface HeldSession {
  id: string;
  /** The registry counts it. */
  registered: boolean;
  /** An open write may have landed: it succeeded, or failed in a way that does not prove it did not. */
  maybeCounted: boolean;
  first: Promise<OpenOutcome>;
  /** Settles when no open write of this session is in flight any more. */
  openSettled: Promise<void>;
  /** Stops the background open retries once the session closed. */
  closed: AbortController;
}

class NotRegisteredYetError extends NamedError {
  override readonly name = 'NotRegisteredYetError';
  constructor() {
    super('the task item does not exist yet (registration pending)');
  }
}

class DrainedBeforeCountedError extends NamedError {
  override readonly name = 'DrainedBeforeCountedError';
  constructor(sessionId: string) {
    super(`the task began draining before session ${sessionId} was counted; it runs uncounted`);
  }
}

/**
 * The sessions this process holds and their registry writes. Session handling never waits on an
 * unreachable registry for more than one call budget: an open whose write fails or times out is
 * allowed ('opened-unregistered'), counted here, and its write retried in the background; a close
 * is written after any open write of the same session settled (so a late open never outlives its
 * close), then retried in the background too.
 */
export class SessionBook {
  private readonly held = new Map<string, HeldSession>();
  private readonly lifetime = new AbortController();
  /** Close writes not finished yet (retries included). */
  private readonly pendingCloses = new Set<Promise<void>>();

  constructor(private readonly deps: SessionBookDeps) {}

  get size(): number {
    return this.held.size;
  }

  has(sessionId: string): boolean {
    return this.held.has(sessionId);
  }

  /** Opens a session the caller already decided to accept (the task was ACTIVE). */
  open(sessionId: string): Promise<OpenOutcome> {
    const existing = this.held.get(sessionId);
    if (existing !== undefined) return existing.first.then((outcome) => (outcome === 'refused' ? outcome : existing.registered ? 'opened' : 'opened-unregistered'));
    let settle: () => void = () => undefined;
    const session: HeldSession = {
      id: sessionId,
      registered: false,
      maybeCounted: false,
      first: Promise.resolve('opened-unregistered'),
      openSettled: new Promise((resolve) => (settle = resolve)),
      closed: new AbortController(),
    };
    this.held.set(sessionId, session);
    session.first = this.firstOpen(session, settle);
    return session.first;
  }

  /**
   * Holds a session without counting it in the registry: the task's drain was abandoned
   * (agent.ts), and the registry refuses new sessions of a DRAINING task. 'opened-unregistered'.
   */
  holdUncounted(sessionId: string): OpenOutcome {
    if (this.held.has(sessionId)) return 'opened-unregistered';
    this.held.set(sessionId, {
      id: sessionId,
      registered: false,
      maybeCounted: false,
      first: Promise.resolve('opened-unregistered'),
      openSettled: Promise.resolve(),
      closed: new AbortController(),
    });
    return 'opened-unregistered';
  }

  /**
   * Forgets the session at once (removed: whether it was held) and writes the close; `written`
   * settles after the first close attempt or one call budget, whichever comes first.
   */
  close(sessionId: string): { removed: boolean; written: Promise<void> } {
    const session = this.held.get(sessionId);
    if (session === undefined) return { removed: false, written: Promise.resolve() };
    this.held.delete(sessionId);
    session.closed.abort();
    return { removed: true, written: this.writeClose(session) };
  }

  /**
   * Waits up to `ms` for close writes still in flight (a process about to exit should not lose
   * its last close), then ends every background retry; writes still pending are dropped (and logged).
   */
  async stop(ms: number): Promise<void> {
    if (this.pendingCloses.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.pendingCloses]), new Promise<void>((resolve) => (timer = unrefTimer(resolve, ms)))]);
      clearTimeout(timer);
    }
    this.lifetime.abort();
  }

  private async firstOpen(session: HeldSession, settle: () => void): Promise<OpenOutcome> {
    let result: OpenResult | undefined;
    try {
      result = await withTimeout(`open session ${session.id}`, this.deps.timeoutMs, (signal) => this.deps.open(session.id, signal), this.lifetime.signal);
    } catch (error) {
      session.maybeCounted = true;
      this.report(`open session ${session.id}`, error);
      if (isPermanentRegistryError(error)) {
        settle();
        return 'opened-unregistered';
      }
    }
    if (result === 'opened' || result === 'already-open') {
      session.registered = true;
      this.deps.onHeartbeatWrite();
      settle();
      return 'opened';
    }
    if (result === 'refused-not-active') {
      settle();
      this.held.delete(session.id);
      return 'refused';
    }
    if (result === 'unknown-task') this.deps.logger.warn('session opened before the task item exists; counting it once registration lands', { sessionId: session.id });
    void this.retryOpen(session).finally(settle);
    return 'opened-unregistered';
  }

  private async retryOpen(session: HeldSession): Promise<void> {
    const stop = AbortSignal.any([session.closed.signal, this.lifetime.signal]);
    const outcome = await retry(
      async () => {
        let result: OpenResult;
        try {
          result = await withTimeout(`open session ${session.id}`, this.deps.timeoutMs, (signal) => this.deps.open(session.id, signal), stop);
        } catch (error) {
          session.maybeCounted = true;
          throw error;
        }
        if (result === 'unknown-task') throw new NotRegisteredYetError();
        if (result === 'refused-not-active') throw new DrainedBeforeCountedError(session.id);
        return result;
      },
      {
        ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}),
        signal: stop,
        isPermanent: (error) => error instanceof DrainedBeforeCountedError || isPermanentRegistryError(error),
        onFailure: (error) => {
          if (stop.aborted) return;
          if (!(error instanceof NotRegisteredYetError) && !(error instanceof DrainedBeforeCountedError)) this.report(`open session ${session.id}`, error);
          if (error instanceof DrainedBeforeCountedError) this.deps.logger.warn(error.message, { sessionId: session.id });
        },
      },
    );
    if (outcome.ok) {
      session.registered = true;
      this.deps.onHeartbeatWrite();
      this.deps.logger.info('session counted in the registry after retries', { sessionId: session.id, attempts: outcome.attempts });
    }
  }

  private async writeClose(session: HeldSession): Promise<void> {
    const background = (async () => {
      await session.openSettled;
      if (!session.registered && !session.maybeCounted) return;
      const outcome = await retry(
        () => withTimeout(`close session ${session.id}`, this.deps.timeoutMs, (signal) => this.deps.close(session.id, signal), this.lifetime.signal),
        {
          ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}),
          signal: this.lifetime.signal,
          isPermanent: isPermanentRegistryError,
          onFailure: (error) => this.report(`close session ${session.id}`, error),
        },
      );
      if (outcome.ok) this.deps.onHeartbeatWrite();
      else if (this.lifetime.signal.aborted) this.deps.logger.warn('agent stopped before a session close was written', { sessionId: session.id });
    })();
    this.pendingCloses.add(background);
    void background.finally(() => this.pendingCloses.delete(background));
    // The caller waits one call budget at most; the write goes on in the background.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([background, new Promise<void>((resolve) => (timer = unrefTimer(resolve, this.deps.timeoutMs)))]);
    clearTimeout(timer);
  }

  private report(operation: string, error: unknown): void {
    if (this.lifetime.signal.aborted) return;
    this.deps.onRegistryError(operation, error);
  }
}
