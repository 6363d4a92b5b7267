import type { Execution, InvocationType } from './invocation.js';

/**
 * What the local Lambda service counts per function (for benchmarks and tests), and the
 * invocation records it hands to listeners: every handler run with its event and outcome.
 */

export interface FunctionStats {
  /** Handler runs, every retry included. */
  invocations: number;
  errors: number;
  timeouts: number;
  coldStarts: number;
  /** Invocations refused: reserved concurrency exhausted (sync) or the async queue full. */
  throttles: number;
  asyncAccepted: number;
  asyncRetries: number;
  /** Asynchronous events given up on (sent to OnFailure, or dropped without one). */
  asyncFailures: number;
  totalDurationMs: number;
  workers: number;
  queued: number;
  running: number;
}

export interface InvocationRecord {
  logicalId: string;
  requestId: string;
  invocationType: InvocationType;
  /** 1 for the first run of an event, 2 for its first retry, ... */
  attempt: number;
  /** When the invocation was handed to an execution environment (epoch ms). */
  startedAt: number;
  event: unknown;
  execution: Execution;
}

export type InvocationListener = (record: InvocationRecord) => void;

type Counters = Omit<FunctionStats, 'workers' | 'queued' | 'running'>;

export class FunctionStatistics {
  private readonly counters = new Map<string, Counters>();
  private readonly listeners = new Set<InvocationListener>();

  of(logicalId: string): Counters {
    let counters = this.counters.get(logicalId);
    if (counters === undefined) {
      counters = { invocations: 0, errors: 0, timeouts: 0, coldStarts: 0, throttles: 0, asyncAccepted: 0, asyncRetries: 0, asyncFailures: 0, totalDurationMs: 0 };
      this.counters.set(logicalId, counters);
    }
    return counters;
  }

  record(logicalId: string, record: InvocationRecord): void {
    const counters = this.of(logicalId);
    counters.invocations += 1;
    counters.totalDurationMs += record.execution.durationMs;
    if (record.execution.coldStart) counters.coldStarts += 1;
    if (!record.execution.ok) {
      counters.errors += 1;
      if (record.execution.kind === 'timeout') counters.timeouts += 1;
    }
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        // an observer's failure is not the function's
      }
    }
  }

  listen(listener: InvocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
