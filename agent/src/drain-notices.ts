import { DrainReason, TaskStatus, type TaskItem } from './registry-contract.js';
import type { DeadlineNotice, DrainNotice } from './types.js';
import { definedOnly } from './optional.js';

/** A Spot drain without a drainDeadline: ECS and EC2 both give two minutes' warning. */
export const SPOT_WARNING_MS = 120_000;

/** What one reading of the task item means for the agent. */
export interface ItemReading {
  /** The first non-ACTIVE reading of this drain. */
  draining?: DrainNotice;
  /** A hard deadline that is new or earlier than the one known. */
  deadline?: DeadlineNotice;
  /** The item is ACTIVE again after a drain notice (the drain was cancelled). */
  resumed?: boolean;
}

export function parseDeadline(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/**
 * A drain nobody drives any more: the item is still DRAINING although its deadline passed more
 * than `graceMs` ago. A working orchestrator stops the task by its deadline (and repairs a drain
 * whose workflow died within minutes of it), so this means the orchestrator is not acting.
 */
export function isAbandonedDrain(item: Pick<TaskItem, 'status' | 'drainDeadline'>, nowMs: number, graceMs: number): boolean {
  if (item.status !== TaskStatus.Draining) return false;
  const deadline = parseDeadline(item.drainDeadline);
  return deadline !== undefined && nowMs > deadline.getTime() + graceMs;
}

/**
 * Turns successive readings of the task's own item into notices: 'draining' once per drain, a
 * deadline only when it is new or moves earlier, 'resumed' when a drain is cancelled. Pure
 * bookkeeping; the agent decides what to do with the notices.
 */
export class DrainNotices {
  private noticed = false;
  private known: Date | undefined;
  private spotSeenAt: number | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  get deadline(): Date | undefined {
    return this.known;
  }

  /** `canResume`: false once SIGTERM came; a stopping process never takes sessions again. */
  read(item: TaskItem, canResume: boolean): ItemReading {
    if (item.status === TaskStatus.Active) {
      if (!this.noticed || !canResume) return {};
      this.noticed = false;
      this.known = undefined;
      this.spotSeenAt = undefined;
      return { resumed: true };
    }
    const reading: ItemReading = {};
    if (!this.noticed) {
      this.noticed = true;
      const deadline = parseDeadline(item.drainDeadline);
      reading.draining = {
        source: 'registry',
        status: item.status,
        ...definedOnly({ reason: item.drainReason, deadline }),
      };
    }
    const hard = this.hardDeadline(item);
    if (hard !== undefined) {
      const earlier = this.offer(hard);
      if (earlier !== undefined) reading.deadline = earlier;
    }
    return reading;
  }

  /** Records a deadline from elsewhere (SIGTERM + stopTimeout); returns it if it is new or earlier. */
  offer(notice: DeadlineNotice): DeadlineNotice | undefined {
    if (this.known !== undefined && notice.deadline.getTime() >= this.known.getTime()) return undefined;
    this.known = notice.deadline;
    return notice;
  }

  private hardDeadline(item: TaskItem): DeadlineNotice | undefined {
    const reason = item.drainReason === undefined ? {} : { reason: item.drainReason };
    const deadline = parseDeadline(item.drainDeadline);
    if (deadline !== undefined) return { deadline, source: 'drain', ...reason };
    if (item.drainReason !== DrainReason.Spot) return undefined;
    this.spotSeenAt ??= this.now();
    return { deadline: new Date(this.spotSeenAt + SPOT_WARNING_MS), source: 'spot', ...reason };
  }
}
