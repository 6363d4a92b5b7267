/**
 * What happened to every session of a scenario. A session ends one of three ways: the user
 * closed it (the good end), its task was killed while it was open (dropped), or no task would
 * take it (rejected). Drops keep the cause, so a report can tell the drops a scenario forced
 * (a crash, a Spot reclaim) from the ones the orchestrator should have prevented.
 */
export type SessionEnd = 'user' | 'dropped' | 'rejected';
/** LB_DEREGISTERED: the load balancer broke the connection at the end of its deregistration delay. */
export type DropCause = 'SIGKILL' | 'CRASH' | 'INSTANCE_TERMINATED' | 'LB_DEREGISTERED';

export interface SessionRecord {
  id: string;
  taskArn?: string;
  /** Real epoch milliseconds. */
  openedAt: number;
  plannedSeconds: number;
  end?: SessionEnd;
  endedAt?: number;
  dropCause?: DropCause;
  /** Why the task that dropped it was stopping, when it was (StopTask, ServiceScheduler, SpotInterruption, ...). */
  stopReason?: string;
}

export interface LedgerSummary {
  started: number;
  open: number;
  endedByUser: number;
  dropped: number;
  rejected: number;
  droppedByCause: Record<string, number>;
}

export class SessionLedger {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly listeners = new Set<(record: SessionRecord) => void>();

  opened(record: SessionRecord): void {
    this.sessions.set(record.id, record);
    this.notify(record);
  }

  ended(id: string, end: SessionEnd, details: Partial<Pick<SessionRecord, 'dropCause' | 'stopReason'>> = {}): void {
    const record = this.sessions.get(id);
    if (record === undefined || record.end !== undefined) return;
    Object.assign(record, { end, endedAt: Date.now(), ...details });
    this.notify(record);
  }

  rejected(record: SessionRecord): void {
    this.sessions.set(record.id, { ...record, end: 'rejected', endedAt: Date.now() });
  }

  records(): SessionRecord[] {
    return [...this.sessions.values()];
  }

  /** Sessions dropped, optionally only those on the given tasks. */
  dropped(filter: (record: SessionRecord) => boolean = () => true): SessionRecord[] {
    return this.records().filter((record) => record.end === 'dropped' && filter(record));
  }

  onChange(listener: (record: SessionRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  summary(): LedgerSummary {
    const summary: LedgerSummary = { started: 0, open: 0, endedByUser: 0, dropped: 0, rejected: 0, droppedByCause: {} };
    for (const record of this.sessions.values()) {
      if (record.end === 'rejected') {
        summary.rejected += 1;
        continue;
      }
      summary.started += 1;
      if (record.end === undefined) summary.open += 1;
      else if (record.end === 'user') summary.endedByUser += 1;
      else {
        summary.dropped += 1;
        const cause = record.stopReason ?? record.dropCause ?? 'unknown';
        summary.droppedByCause[cause] = (summary.droppedByCause[cause] ?? 0) + 1;
      }
    }
    return summary;
  }

  private notify(record: SessionRecord): void {
    for (const listener of this.listeners) listener(record);
  }
}
