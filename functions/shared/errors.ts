/**
 * Named errors. Handlers decide from the class whether a failure is worth a retry:
 * InvalidInputError never is (retrying a bad event only repeats the rejection),
 * everything else propagates so that Lambda / EventBridge / Step Functions retry it.
 */

/**
 * The base of every named error under functions/: a subclass writes its name out
 * (`override readonly name = 'XError'`) because the bundles are minified (template.yaml's
 * Metadata: Minify: true), which renames classes, so `new.target.name` would not survive the
 * build; and the names are a contract (the state machine's Retry/Catch match them).
 */
export abstract class NamedError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class InvalidInputError extends NamedError {
  override readonly name = 'InvalidInputError';
}

export class ConfigurationError extends NamedError {
  override readonly name = 'ConfigurationError';
}

/** The task is stopped or unknown to the registry: the drain has nothing left to do. */
export class TaskGoneError extends NamedError {
  override readonly name = 'TaskGone';
}

/** ECS refused an API call in a way that a retry may fix (throttling, 5xx). Subclasses name themselves (string, not a literal). */
export class RetryableEcsError extends NamedError {
  override readonly name: string = 'RetryableEcsError';
}

export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
