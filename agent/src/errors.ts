/** Named errors of the agent; the package imports nothing from the orchestrator's code. */

/** A session id the registry cannot key: empty or longer than the contract allows. */
export class InvalidSessionIdError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidSessionIdError';
  }
}

/** A required setting is missing or malformed (table name, metadata endpoint, intervals). */
export class SessionAgentConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionAgentConfigError';
  }
}

/** The ECS task metadata endpoint did not answer with a usable task document. */
export class TaskMetadataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskMetadataError';
  }
}

/** A registry or agent-endpoint call that did not finish within its time budget. */
export class CallTimeoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CallTimeoutError';
  }
}

/** A failed registry call as the agent reports it ('registry-error'): which call, and why. */
export class RegistryCallError extends Error {
  readonly operation: string;
  constructor(operation: string, options: { cause: unknown }) {
    super(`${operation} failed: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
    this.name = 'RegistryCallError';
    this.operation = operation;
  }
}

/** The ECS agent's task-protection endpoint refused or failed a call. */
export class ProtectionCallError extends Error {
  /** The failure reason ECS gave (e.g. TASK_NOT_VALID for a task outside a service), if any. */
  readonly reason?: string;
  constructor(message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options);
    this.name = 'ProtectionCallError';
    if (options?.reason !== undefined) this.reason = options.reason;
  }
}
