import type { z } from 'zod';
import { describeIssues } from '../shared/issues.js';

/**
 * Parsers return a verdict instead of throwing: an event a handler cannot use is not an error
 * worth a retry, only a line in the log with the reason.
 */
export type ParseResult<T> = { ok: true; event: T } | { ok: false; reason: string };

export function accepted<T>(event: T): ParseResult<T> {
  return { ok: true, event };
}

export function rejected<T>(reason: string): ParseResult<T> {
  return { ok: false, reason };
}

export function safeParse<S extends z.ZodType>(schema: S, raw: unknown, what: string): ParseResult<z.output<S>> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return rejected(`${what}: the event is not an object`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) return rejected(`${what}: ${describeIssues(result.error)}`);
  return accepted(result.data);
}
