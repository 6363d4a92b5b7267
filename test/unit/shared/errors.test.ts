import { describe, expect, it } from 'vitest';
import * as agentPackage from '@ecs-session-drain/agent';
import * as sharedErrors from '../../../functions/shared/errors.js';

/**
 * Names the state machine's Retry/Catch match (statemachines/drain.asl.json) that are not the
 * class's name; every other named error is called by its class.
 */
const CONTRACT_NAMES: Record<string, string> = { TaskGoneError: 'TaskGone' };

type ErrorClass = new (message: string, options: { cause: unknown }) => Error;

function errorClasses(module: Record<string, unknown>, base: abstract new (...args: never[]) => Error): [string, ErrorClass][] {
  return Object.entries(module).filter(
    (entry): entry is [string, ErrorClass] => typeof entry[1] === 'function' && entry[1] !== base && entry[1].prototype instanceof base,
  );
}

describe.each([
  ['functions/shared/errors.ts', sharedErrors, sharedErrors.NamedError],
  // The agent's package exports its named errors, not their base: every Error class it exports is one.
  ['@ecs-session-drain/agent', agentPackage, Error],
])('the named errors of %s', (_file, module, base) => {
  const classes = errorClasses(module, base);

  it('export some', () => {
    expect(classes.length).toBeGreaterThan(3);
  });

  it.each(classes)('%s is named by its class (or its contract name) and keeps its cause', (className, ErrorClass) => {
    const cause = new Error('underneath');
    const error = new ErrorClass('message', { cause });
    expect(error.name).toBe(CONTRACT_NAMES[className] ?? className);
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toMatch(new RegExp(`^${error.name}: `));
  });
});
