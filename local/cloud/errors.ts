/**
 * Named errors of the local cloud. Each says what to do about it, because the person reading it is
 * usually starting the local cloud for the first time.
 */

export class MotoUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MotoUnavailableError';
  }
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`port ${port} (${what}) is already in use; choose another port or stop whatever listens on it`, options);
    this.name = 'PortInUseError';
  }
}

/** template.yaml declares something the local cloud cannot run the way AWS would. */
export class UnsupportedTemplateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message} (the local cloud cannot emulate this; see docs/local-cloud.md)`, options);
    this.name = 'UnsupportedTemplateError';
  }
}

/** A FilterCriteria pattern uses an operator the stream poller does not implement. */
export class UnsupportedFilterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsupportedFilterError';
  }
}

export class BuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BuildError';
  }
}

/**
 * Errors of the Lambda Invoke API. `code` is the error name Lambda answers with, so that the
 * gateway can hand it to SDK clients unchanged.
 */
export class LambdaApiError extends Error {
  /** Lambda's Reason field, e.g. ReservedFunctionConcurrentInvocationLimitExceeded. */
  readonly reason: string | undefined;

  constructor(
    readonly code: 'ResourceNotFoundException' | 'TooManyRequestsException' | 'InvalidRequestContentException' | 'ServiceException',
    readonly statusCode: number,
    message: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options);
    this.name = 'LambdaApiError';
    this.reason = options?.reason;
  }
}

export class FunctionNotFoundError extends LambdaApiError {
  constructor(functionName: string) {
    super('ResourceNotFoundException', 404, `Function not found: ${functionName}`);
    this.name = 'FunctionNotFoundError';
  }
}

/** Reserved concurrency is exhausted (sync), or the function host no longer takes events. */
export class FunctionThrottledError extends LambdaApiError {
  constructor(message: string, reason: string) {
    super('TooManyRequestsException', 429, message, { reason });
    this.name = 'FunctionThrottledError';
  }
}

/** The stack's resources exist already on this moto server (moto keeps state until it stops). */
export class StackExistsError extends Error {
  constructor(stackName: string, what: string, options?: { cause?: unknown }) {
    super(`stack ${stackName} is already deployed here (${what} exists); use another stackName or a fresh moto server`, options);
    this.name = 'StackExistsError';
  }
}
