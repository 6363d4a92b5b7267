import { capacityInputSchema, launchReplacement } from '../core/workflow/replacement-capacity.js';
import type { Deps } from '../shared/deps.js';
import { workflowStepHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Launch replacement". Input: { cluster, taskArn, service? } (the recorded drain). */
export const createHandler = (getDeps: () => Deps) =>
  workflowStepHandler('Launch replacement', capacityInputSchema, launchReplacement, getDeps);

export const handler = createHandler(runtimeDeps);
