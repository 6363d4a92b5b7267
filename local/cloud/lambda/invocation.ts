import type { IncomingHttpHeaders } from 'node:http';
import type { LambdaError } from './worker.js';

/**
 * What the pool, the statistics, the host and fault injection say about one invocation: how it
 * was asked for, how its handler run ended, and the tag of the execution environment that ran it.
 * These live here, importing none of those modules, so that none of them imports another for a
 * type (fault injection, the pool and the statistics once imported each other in a circle).
 */

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export type Execution =
  | { ok: true; payload: string; durationMs: number; coldStart: boolean }
  | { ok: false; error: LambdaError; kind: 'handled' | 'timeout' | 'crash' | 'init'; durationMs: number; coldStart: boolean };

/** <LogicalId>.<n>: an execution environment's AWS_SDK_UA_APP_ID, so requests name the worker that sent them. */
export function workerTag(logicalId: string, index: number): string {
  return `${logicalId}.${index}`;
}

/** The worker tag from an SDK User-Agent (`app/<LogicalId>.<n>`, possibly followed by Powertools' suffix). */
export function callerTag(headers: IncomingHttpHeaders): string | undefined {
  const userAgent = `${String(headers['user-agent'] ?? '')} ${String(headers['x-amz-user-agent'] ?? '')}`;
  const match = /app\/([A-Za-z0-9]+\.\d+)/.exec(userAgent);
  return match?.[1];
}
