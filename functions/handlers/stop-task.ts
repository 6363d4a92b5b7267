import { stopDrainedTask, stopDrainedTaskInputSchema } from '../core/stop-drained-task.js';
import { workflowStep } from '../core/step-input.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Release protection and stop task". Input: { cluster, taskArn, executionArn, outcome }. */
export const handler = workflowStep('Release protection and stop task', stopDrainedTaskInputSchema, stopDrainedTask, runtimeDeps);
