import { capacityInputSchema, releaseReplacement } from '../core/capacity.js';
import { workflowStep } from '../core/step-input.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Release replacement capacity". Input: { cluster, taskArn, service? } (the recorded drain). */
export const handler = workflowStep('Release replacement capacity', capacityInputSchema, releaseReplacement, runtimeDeps);
