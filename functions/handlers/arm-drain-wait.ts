import { armDrainWait, armDrainWaitInputSchema } from '../core/workflow/arm-drain-wait.js';
import type { Deps } from '../shared/deps.js';
import { workflowStepHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Wait for sessions to drain" (waitForTaskToken). Input: { taskToken, taskArn, executionArn }. */
export const createHandler = (getDeps: () => Deps) =>
  workflowStepHandler('Wait for sessions to drain', armDrainWaitInputSchema, armDrainWait, getDeps);

export const handler = createHandler(runtimeDeps);
