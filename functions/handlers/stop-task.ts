import { stopDrainedTask, stopDrainedTaskInputSchema } from '../core/workflow/stop-drained-task.js';
import { workflowStep } from '../core/workflow/step-input.js';
import type { Deps } from '../shared/deps.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Release protection and stop task". Input: { cluster, taskArn, executionArn, outcome }. */
export const createHandler = (getDeps: () => Deps) =>
  workflowStep('Release protection and stop task', stopDrainedTaskInputSchema, stopDrainedTask, getDeps);

export const handler = createHandler(runtimeDeps);
