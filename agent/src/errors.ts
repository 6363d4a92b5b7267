/** Named errors of the agent; the package imports nothing from the orchestrator's code. */

/**
 * The base of the agent's named errors: a subclass writes its name out
 * (`override readonly name = 'XError'`), as a bundler that minifies would rename the class and
 * `new.target.name` with it; callers and tests match the names.
 */
export abstract class NamedError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A session id the registry cannot key: empty or longer than the contract allows. */
export class InvalidSessionIdError extends NamedError {
  override readonly name = 'InvalidSessionIdError';
}

/** A required setting is missing or malformed (table name, metadata endpoint, intervals). */
export class SessionAgentConfigError extends NamedError {
  override readonly name = 'SessionAgentConfigError';
}

/** The ECS task metadata endpoint did not answer with a usable task document. */
export class TaskMetadataError extends NamedError {
  override readonly name = 'TaskMetadataError';
}

/** A registry or agent-endpoint call that did not finish within its time budget. */
export class CallTimeoutError extends NamedError {
  override readonly name = 'CallTimeoutError';
}

/** A failed registry call as the agent reports it ('registry-error'): which call, and why. */
export class RegistryCallError extends NamedError {
  override readonly name = 'RegistryCallError';
  readonly operation: string;
  constructor(operation: string, options: { cause: unknown }) {
    super(`${operation} failed: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
    this.operation = operation;
  }
}

/** The ECS agent's task-protection endpoint refused or failed a call. */
export class ProtectionCallError extends NamedError {
  override readonly name = 'ProtectionCallError';
  /** The failure reason ECS gave (e.g. TASK_NOT_VALID for a task outside a service), if any. */
  readonly reason?: string;
  constructor(message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options);
    if (options?.reason !== undefined) this.reason = options.reason;
  }
}
