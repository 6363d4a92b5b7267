import { capacityInputSchema, releaseReplacement } from '../core/workflow/replacement-capacity.js';
import type { Deps } from '../shared/deps.js';
import { workflowStepHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Release replacement capacity". Input: { cluster, taskArn, service? } (the recorded drain). */
export const createHandler = (getDeps: () => Deps) =>
  workflowStepHandler('Release replacement capacity', capacityInputSchema, releaseReplacement, getDeps);

export const handler = createHandler(runtimeDeps);
