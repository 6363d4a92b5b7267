/**
 * @ecs-session-drain/agent: the task side of ecs-session-drain's session registry.
 * See agent/README.md.
 */
export { SessionAgent, type SessionAgentEvents } from './agent.js';
export { SPOT_WARNING_MS } from './drain-notices.js';
export type { SessionAgentOptions } from './settings.js';
export type { AgentLogger } from './logger.js';
export { jsonLogger } from './logger.js';
export type { SignalSource } from './signals.js';
export type {
  AgentHealth,
  AgentState,
  DeadlineNotice,
  DrainNotice,
  OpenOutcome,
  TaskIdentity,
  TerminationNotice,
} from './types.js';
export {
  CallTimeoutError,
  InvalidSessionIdError,
  ProtectionCallError,
  RegistryCallError,
  SessionAgentConfigError,
  TaskMetadataError,
} from './errors.js';
export * from './registry.js';
export * from './registry-contract.js';
