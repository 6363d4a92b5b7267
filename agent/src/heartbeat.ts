import { unrefTimer } from './retry.js';

export interface HeartbeatDeps {
  intervalMs: number;
  /**
   * One heartbeat write. Resolves true when it wrote, false when it chose not to (not registered
   * yet); rejects on failure.
   */
  beat: () => Promise<boolean>;
  onError: (error: unknown) => void;
  /** Milliseconds clock (Date.now in production). */
  now: () => number;
}

/**
 * Writes heartbeatAt at most once per interval. Session writes and registration set heartbeatAt as
 * well and report it through noteWrite, which pushes the next heartbeat back: a busy task spends no
 * extra writes on heartbeats. One write at a time: a slow registry never piles writes up.
 */
export class HeartbeatTimer {
  private lastWriteAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly deps: HeartbeatDeps) {}

  /** A write that refreshed heartbeatAt (register, session opened or closed) started at `at`. */
  noteWrite(at = this.deps.now()): void {
    if (this.lastWriteAt === undefined || at > this.lastWriteAt) this.lastWriteAt = at;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.deps.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = unrefTimer(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const now = this.deps.now();
    const due = this.lastWriteAt === undefined ? now : this.lastWriteAt + this.deps.intervalMs;
    if (now < due) return this.schedule(due - now);
    try {
      if (await this.deps.beat()) this.noteWrite(now);
    } catch (error) {
      this.deps.onError(error);
    }
    this.schedule(this.deps.intervalMs);
  }
}
