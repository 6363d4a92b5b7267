import { capacityInputSchema, launchReplacement } from '../core/capacity.js';
import { workflowStep } from '../core/step-input.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Launch replacement". Input: { cluster, taskArn, service? } (the recorded drain). */
export const handler = workflowStep('Launch replacement', capacityInputSchema, launchReplacement, runtimeDeps);
