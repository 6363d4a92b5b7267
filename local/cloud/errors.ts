/**
 * Named errors of the local cloud. Each says what to do about it, because the person reading it is
 * usually starting the local cloud for the first time.
 */
import { NamedError } from '../../functions/shared/errors.js';

/** The named errors' base, functions/shared's: the folders of local/cloud reach it through this file. */
export { NamedError };

export class MotoUnavailableError extends NamedError {
  override readonly name = 'MotoUnavailableError';
}

export class PortInUseError extends NamedError {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`port ${port} (${what}) is already in use; choose another port or stop whatever listens on it`, options);
  }
}

/** template.yaml declares something the local cloud cannot run the way AWS would. */
export class UnsupportedTemplateError extends NamedError {
  override readonly name = 'UnsupportedTemplateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message} (the local cloud cannot emulate this; see docs/local-cloud.md)`, options);
  }
}

/** A FilterCriteria pattern uses an operator the stream poller does not implement. */
export class UnsupportedFilterError extends NamedError {
  override readonly name = 'UnsupportedFilterError';
}

export class BuildError extends NamedError {
  override readonly name = 'BuildError';
}

/**
 * Errors of the Lambda Invoke API. `code` is the error name Lambda answers with, so that the
 * gateway can hand it to SDK clients unchanged.
 */
export class LambdaApiError extends NamedError {
  override readonly name: string = 'LambdaApiError';
  /** Lambda's Reason field, e.g. ReservedFunctionConcurrentInvocationLimitExceeded. */
  readonly reason: string | undefined;

  constructor(
    readonly code: 'ResourceNotFoundException' | 'TooManyRequestsException' | 'InvalidRequestContentException' | 'ServiceException',
    readonly statusCode: number,
    message: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options);
    this.reason = options?.reason;
  }
}

export class FunctionNotFoundError extends LambdaApiError {
  override readonly name = 'FunctionNotFoundError';
  constructor(functionName: string) {
    super('ResourceNotFoundException', 404, `Function not found: ${functionName}`);
  }
}

/** Reserved concurrency is exhausted (sync), or the function host no longer takes events. */
export class FunctionThrottledError extends LambdaApiError {
  override readonly name = 'FunctionThrottledError';
  constructor(message: string, reason: string) {
    super('TooManyRequestsException', 429, message, { reason });
  }
}

/** The stack's resources exist already on this moto server (moto keeps state until it stops). */
export class StackExistsError extends NamedError {
  override readonly name = 'StackExistsError';
  constructor(stackName: string, what: string, options?: { cause?: unknown }) {
    super(`stack ${stackName} is already deployed here (${what} exists); use another stackName or a fresh moto server`, options);
  }
}

/**
 * A custom resource's function did not answer CloudFormation's request in time, or answered
 * FAILED or with an answer CloudFormation would not accept: the stack operation fails, as it would on AWS.
 */
export class CustomResourceError extends NamedError {
  override readonly name = 'CustomResourceError';
}
