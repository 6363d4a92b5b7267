import { recordDrain, recordDrainInputSchema } from '../core/workflow/record-drain.js';
import { workflowStep } from '../core/workflow/step-input.js';
import type { Deps } from '../shared/deps.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Record drain". Input: { executionArn, request: <workflow input> }. */
export const createHandler = (getDeps: () => Deps) =>
  workflowStep('Record drain', recordDrainInputSchema, recordDrain, getDeps);

export const handler = createHandler(runtimeDeps);
