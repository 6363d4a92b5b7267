import { recordDrain, recordDrainInputSchema } from '../core/record-drain.js';
import { workflowStep } from '../core/step-input.js';
import { runtimeDeps } from '../shared/runtime.js';

/** Workflow step "Record drain". Input: { executionArn, request: <workflow input> }. */
export const handler = workflowStep('Record drain', recordDrainInputSchema, recordDrain, runtimeDeps);
