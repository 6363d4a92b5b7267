import type { z } from 'zod';

/**
 * The one formatter of zod issues, on one line for a log or an answer: "detail.clusterArn: Invalid
 * input; detail.version: expected number (+2 more)". Each issue keeps its path and its message;
 * an issue on the whole value is shown under `whole` (its message alone when there is none).
 * z.prettifyError says the same on several lines ("✖ message\n  → at path"), which log lines and
 * the answers of the drain-control API do not want.
 */
export function describeIssues(error: z.ZodError, options: { limit?: number; whole?: string } = {}): string {
  const { limit = 3, whole } = options;
  const parts = error.issues.slice(0, limit).map((issue) => {
    const path = issue.path.map(String).join('.') || whole;
    return path === undefined ? issue.message : `${path}: ${issue.message}`;
  });
  const more = error.issues.length > limit ? ` (+${error.issues.length - limit} more)` : '';
  return `${parts.join('; ')}${more}`;
}
