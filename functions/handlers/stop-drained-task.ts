import { stopDrainedTask, stopDrainedTaskInputSchema } from '../core/workflow/stop-drained-task.js';
import type { Deps } from '../shared/deps.js';
import { workflowStepHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Release protection and stop task". Input: { cluster, taskArn, executionArn, outcome }. */
export const createHandler = (getDeps: () => Deps) =>
  workflowStepHandler('Release protection and stop task', stopDrainedTaskInputSchema, stopDrainedTask, getDeps);

export const handler = createHandler(runtimeDeps);
