/**
 * The registry writes a task makes (register, heartbeat, session opened, session closed) and the
 * read of its own item. They live in the task-side agent, agent/src/registry.ts, the single
 * implementation; this module re-exports them for the orchestrator's tests and the local workload.
 */
export * from '../../agent/src/registry.js';
