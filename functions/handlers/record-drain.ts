import { recordDrain, recordDrainInputSchema } from '../core/workflow/record-drain.js';
import type { Deps } from '../shared/deps.js';
import { workflowStepHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Record drain". Input: { executionArn, request: <workflow input> }. */
export const createHandler = (getDeps: () => Deps) =>
  workflowStepHandler('Record drain', recordDrainInputSchema, recordDrain, getDeps);

export const handler = createHandler(runtimeDeps);
