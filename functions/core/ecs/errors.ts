import { RetryableEcsError } from '../../shared/errors.js';

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServerException',
  'ServiceUnavailableException',
  'InternalFailure',
]);

/**
 * ECS answers throttling and its own faults with these names (or a 5xx status); anything else
 * (ClientException, InvalidParameterException, ...) will fail the same way on a retry.
 */
export function isRetryableEcsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return RETRYABLE_NAMES.has(error.name) || (status !== undefined && status >= 500);
}

/** Rethrows throttling and 5xx as RetryableEcsError so that Step Functions and Lambda retry by name. */
export function asRetryable(error: unknown, what: string): unknown {
  return isRetryableEcsError(error) ? new RetryableEcsError(`${what}: ${(error as Error).message}`, { cause: error }) : error;
}
