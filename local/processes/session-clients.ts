import WebSocket from 'ws';
import type { ScaledClock } from '../cloud/clock.js';
import { sleep } from '../cloud/timing.js';
import type { LoadBalancer, Target } from './load-balancer.js';
import { NamedError } from '../../functions/shared/errors.js';

/**
 * How a client's session ended:
 * - client: the user closed it (code 1000), the only ending a user wants;
 * - graceful: the server closed it with 1012 (service restart) and a reconnect hint before it went away;
 * - abnormal: the connection died without a close frame (1006): the process was killed under it;
 * - other: any other close code from the server.
 */
export type SessionEnding = 'client' | 'graceful' | 'abnormal' | 'other';

export interface ClientSession {
  id: string;
  taskArn: string;
  openedAt: number;
  plannedSeconds: number;
  endedAt?: number;
  ending?: SessionEnding;
  code?: number;
  reason?: string;
  /** After a graceful close: the session that replaced it on another task, once the client reconnected. */
  reconnectedAs?: string;
}

export interface SessionClientsOptions {
  balancer: LoadBalancer;
  clock: ScaledClock;
  /** After a graceful 1012 close, open a new session elsewhere for the rest of the planned time. */
  reconnect?: boolean;
  /** Tries per session before giving up when servers turn it away (1013) or no target is healthy. */
  attempts?: number;
}

export class NoHealthyTargetError extends NamedError {
  override readonly name = 'NoHealthyTargetError';
}

const WELCOME_TIMEOUT_MS = 10_000;

/**
 * The users of a session service: each holds one WebSocket for a planned time and then closes it,
 * and the ledger records how every session really ended. New sessions go where the load balancer
 * sends them; a server that turns one away (1013, it started draining) makes the client try again.
 */
export class SessionClients {
  private readonly sessions = new Map<string, ClientSession>();
  private readonly sockets = new Map<string, WebSocket>();
  private readonly timers = new Map<string, () => void>();
  private turnedAway = 0;

  constructor(private readonly options: SessionClientsOptions) {}

  /** Opens one session through the balancer and resolves once the server has counted it. */
  async open(id: string, plannedSeconds: number, filter?: (target: Target) => boolean): Promise<ClientSession> {
    const attempts = this.options.attempts ?? 20;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const target = this.options.balancer.pick(filter);
      if (target === undefined) {
        await sleep(100);
        continue;
      }
      const session = await this.connect(id, target, plannedSeconds);
      if (session !== undefined) return session;
      this.turnedAway += 1;
      this.options.balancer.markUnhealthy(target.taskArn);
    }
    throw new NoHealthyTargetError(`session ${id}: no server took it after ${attempts} tries`);
  }

  /** Sessions opened so far, in opening order (copies). */
  all(): ClientSession[] {
    return [...this.sessions.values()].map((session) => ({ ...session }));
  }

  onTask(taskArn: string): ClientSession[] {
    return this.all().filter((session) => session.taskArn === taskArn);
  }

  openCount(taskArn?: string): number {
    return this.all().filter((session) => session.endedAt === undefined && (taskArn === undefined || session.taskArn === taskArn)).length;
  }

  summary(): Record<SessionEnding | 'open' | 'opened' | 'turnedAway', number> {
    const counts = { opened: this.sessions.size, open: 0, client: 0, graceful: 0, abnormal: 0, other: 0, turnedAway: this.turnedAway };
    for (const session of this.sessions.values()) counts[session.ending ?? 'open'] += 1;
    return counts;
  }

  /** Ends the run: every session still open is closed by its client, as if the users left. */
  closeAll(): void {
    for (const [id, socket] of this.sockets) {
      this.timers.get(id)?.();
      socket.close(1000, 'test over');
    }
  }

  /** Tears down without waiting for close handshakes (after the run's assertions). */
  terminateAll(): void {
    for (const cancel of this.timers.values()) cancel();
    for (const socket of this.sockets.values()) socket.terminate();
  }

  private connect(id: string, target: Target, plannedSeconds: number): Promise<ClientSession | undefined> {
    return new Promise((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${target.port}/?session=${encodeURIComponent(id)}`);
      let session: ClientSession | undefined;
      const giveUp = setTimeout(() => socket.terminate(), WELCOME_TIMEOUT_MS);
      // The example server reads nothing before the agent has counted the session, then echoes:
      // the echo of the first message is the admission.
      socket.once('open', () => socket.send('hello'));
      socket.once('message', () => {
        clearTimeout(giveUp);
        session = { id, taskArn: target.taskArn, openedAt: Date.now(), plannedSeconds };
        this.sessions.set(id, session);
        this.sockets.set(id, socket);
        this.options.balancer.connectionOpened(target.taskArn);
        this.timers.set(id, this.options.clock.after(plannedSeconds, () => socket.close(1000, 'user left')));
        resolve(session);
      });
      socket.on('error', () => undefined);
      socket.once('close', (code, reasonBuffer) => {
        clearTimeout(giveUp);
        // Turned away (1013 "try again later": the server is draining) or never counted: not a
        // session, and the client tries another server.
        if (session === undefined) return resolve(undefined);
        this.ended(session, code, reasonBuffer.toString('utf8'));
      });
    });
  }

  private ended(session: ClientSession, code: number, reason: string): void {
    this.timers.get(session.id)?.();
    this.timers.delete(session.id);
    this.sockets.delete(session.id);
    this.options.balancer.connectionClosed(session.taskArn);
    session.endedAt = Date.now();
    session.code = code;
    session.reason = reason;
    session.ending = code === 1000 ? 'client' : code === 1012 ? 'graceful' : code === 1006 ? 'abnormal' : 'other';
    if (session.ending === 'graceful' && this.options.reconnect) this.reconnect(session);
  }

  private reconnect(session: ClientSession): void {
    const remainingSeconds = session.plannedSeconds - this.options.clock.scenarioSeconds(Date.now() - session.openedAt);
    if (remainingSeconds <= 0) return;
    const id = `${session.id}-r`;
    void this.open(id, remainingSeconds, (target) => target.taskArn !== session.taskArn)
      .then(() => {
        session.reconnectedAs = id;
      })
      .catch(() => undefined);
  }
}
