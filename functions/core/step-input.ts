import type { z } from 'zod';
import { describeIssues } from '../events/parse.js';
import { InvalidInputError } from '../shared/errors.js';

/**
 * Workflow steps receive their input from the state machine, so a bad shape is a defect in the
 * definition or a hand-started execution: it must fail by name (InvalidInputError, caught by the
 * workflow) before anything is read or written.
 */
export function parseStepInput<S extends z.ZodType>(schema: S, raw: unknown, step: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new InvalidInputError(`${step}: invalid input: ${describeIssues(result.error)}`);
  }
  return result.data;
}
