import { capacityInputSchema, launchReplacement } from '../core/workflow/replacement-capacity.js';
import { workflowStep } from '../core/workflow/step-input.js';
import type { Deps } from '../shared/deps.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Launch replacement". Input: { cluster, taskArn, service? } (the recorded drain). */
export const createHandler = (getDeps: () => Deps) =>
  workflowStep('Launch replacement', capacityInputSchema, launchReplacement, getDeps);

export const handler = createHandler(runtimeDeps);
