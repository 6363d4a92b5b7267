import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../../functions/shared/issues.js';

const Schema = z.object({ a: z.string(), b: z.number(), c: z.boolean(), d: z.string() });

describe('describeIssues', () => {
  it('names each issue by its path, at most three unless told', () => {
    const error = Schema.safeParse({}).error as z.ZodError;
    expect(describeIssues(error)).toMatch(/^a: .+; b: .+; c: .+ \(\+1 more\)$/);
    expect(describeIssues(error, { limit: Number.POSITIVE_INFINITY }).split('; ').map((part) => part.split(':')[0])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('shows an issue on the whole value by its message, or under the name given', () => {
    const error = Schema.safeParse(7).error as z.ZodError;
    const message = error.issues[0]?.message;
    expect(describeIssues(error)).toBe(message);
    expect(describeIssues(error, { whole: '(item)' })).toBe(`(item): ${message}`);
  });
});
