import type { TaskItem } from './registry-contract.js';
import { unrefTimer } from './retry.js';

export type PollResult = { ok: true; item: TaskItem | undefined } | { ok: false; error: unknown };

export interface DrainWatchDeps {
  intervalMs: number;
  /** One GetItem of the task's own item, bounded in time by the caller. */
  read: () => Promise<TaskItem | undefined>;
  onItem: (item: TaskItem | undefined) => void;
  onError: (error: unknown) => void;
}

/**
 * Reads the task's own registry item every interval: that is how a task learns it is draining
 * (README "How a task integrates"). One read at a time; pollNow joins a read in flight, which is
 * at most one call budget old.
 */
export class DrainWatch {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<PollResult> | undefined;
  private stopped = true;

  constructor(private readonly deps: DrainWatchDeps) {}

  /** Polls at once, then every interval. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.cycle();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Reads the item now (or joins the read in flight); the item also goes to onItem. Never rejects. */
  pollNow(): Promise<PollResult> {
    if (this.inFlight !== undefined) return this.inFlight;
    const poll = this.read();
    this.inFlight = poll;
    void poll.finally(() => {
      if (this.inFlight === poll) this.inFlight = undefined;
    });
    return poll;
  }

  private async read(): Promise<PollResult> {
    try {
      const item = await this.deps.read();
      if (!this.stopped) this.deps.onItem(item);
      return { ok: true, item };
    } catch (error) {
      if (!this.stopped) this.deps.onError(error);
      return { ok: false, error };
    }
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    await this.pollNow();
    if (this.stopped) return;
    this.timer = unrefTimer(() => void this.cycle(), this.deps.intervalMs);
  }
}
