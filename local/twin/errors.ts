import { NamedError } from '../../functions/shared/errors.js';

/**
 * The errors the ECS JSON API answers with. `name` is ECS's error code (what the SDK exposes as
 * `error.name` and the wire carries as `__type`), `statusCode` the HTTP status the gateway sends.
 */
export class EcsApiError extends Error {
  readonly statusCode: number;

  constructor(name: string, message: string, statusCode = 400, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
    this.statusCode = statusCode;
  }
}

/** A scenario or test drove the twin wrongly (unknown task, Spot interruption of an on-demand task, ...). */
export class TwinUsageError extends NamedError {
  override readonly name = 'TwinUsageError';
}

export function clientException(message: string): EcsApiError {
  return new EcsApiError('ClientException', message);
}

export function invalidParameter(message: string): EcsApiError {
  return new EcsApiError('InvalidParameterException', message);
}

export function clusterNotFound(): EcsApiError {
  return new EcsApiError('ClusterNotFoundException', 'Cluster not found.');
}

export function serviceNotFound(): EcsApiError {
  return new EcsApiError('ServiceNotFoundException', 'Service not found.');
}

export function throttled(): EcsApiError {
  return new EcsApiError('ThrottlingException', 'Rate exceeded');
}

export function serverException(): EcsApiError {
  return new EcsApiError('ServerException', 'Service Unavailable. Please try again later.', 500);
}

/**
 * UnknownOperationException is what ECS answers for an operation it does not have; the message
 * says that this one is ECS's but the twin does not emulate it. The AWS CLI prints it as
 * "An error occurred (UnknownOperationException) when calling the <Operation> operation: <message>".
 */
export function unknownOperation(operation: string): EcsApiError {
  return new EcsApiError('UnknownOperationException', `${operation} is not emulated by the local ECS twin (docs/local-cloud.md lists the operations it answers).`);
}

/** "The specified service isn't active. You can't update a service that's inactive." (ECS Errors, ServiceNotActiveException) */
export function serviceNotActive(): EcsApiError {
  return new EcsApiError('ServiceNotActiveException', 'Service was not ACTIVE.');
}

/** Plain input checks with the messages ECS uses for a missing or malformed parameter. */
export function readString(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${field} must be a string.`);
  return value;
}

export function requireString(input: Record<string, unknown>, field: string): string {
  const value = readString(input, field);
  if (value === undefined || value === '') throw invalidParameter(`${field} can not be null or empty.`);
  return value;
}

export function readInteger(input: Record<string, unknown>, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidParameter(`${field} must be an integer.`);
  return value;
}

export function readBoolean(input: Record<string, unknown>, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParameter(`${field} must be a boolean.`);
  return value;
}

export function readStringList(input: Record<string, unknown>, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidParameter(`${field} must be a list of strings.`);
  }
  return value as string[];
}

export function asInput(input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new EcsApiError('SerializationException', 'Start of structure or map found where not expected.');
  }
  return input as Record<string, unknown>;
}
