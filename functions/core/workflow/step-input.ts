import type { z } from 'zod';
import { describeIssues } from '../../events/parse.js';
import type { Deps } from '../../shared/deps.js';
import { InvalidInputError } from '../../shared/errors.js';

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

/**
 * A workflow step's Lambda handler: parse, run the core, and log a failure once with the step's
 * name before Step Functions sees it (and retries or catches it by error name).
 */
export function workflowStep<S extends z.ZodType, R>(
  step: string,
  schema: S,
  run: (deps: Deps, input: z.output<S>) => Promise<R>,
  deps: () => Deps,
): (event: unknown) => Promise<R> {
  return async (event: unknown) => {
    const resolved = deps();
    try {
      return await run(resolved, parseStepInput(schema, event, step));
    } catch (error) {
      resolved.logger.error(`${step} failed`, { error: error as Error, errorName: (error as Error | undefined)?.name });
      throw error;
    } finally {
      resolved.metrics.publishStoredMetrics();
    }
  };
}
