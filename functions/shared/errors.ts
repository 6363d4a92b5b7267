/**
 * Named errors. Handlers decide from the class whether a failure is worth a retry:
 * InvalidInputError never is (retrying a bad event only repeats the rejection),
 * everything else propagates so that Lambda / EventBridge / Step Functions retry it.
 */
export class InvalidInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidInputError';
  }
}

export class ConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** The task is stopped or unknown to the registry: the drain has nothing left to do. */
export class TaskGoneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskGone';
  }
}

/** ECS refused an API call in a way that a retry may fix (throttling, 5xx). */
export class RetryableEcsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableEcsError';
  }
}

export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
