import { describe, expect, it, vi } from 'vitest';
import { generatedInputs, MINIMUM_INPUTS } from '../../support/fuzz/budget.js';
import { eventBridgeFuzz } from './eventbridge.props.js';
import { drainControlFuzz, workflowStepFuzz } from './steps.props.js';
import { pacerStreamFuzz, reconcilerEventFuzz, registryStreamFuzz } from './stream-reconciler.props.js';

/*
 * Issue 6, bad input: every handler is fed mutated, truncated, mistyped and foreign events with
 * a fixed seed (FUZZ_SEED replays another). The *.props.ts files register one family each; this
 * file runs them in one worker so that the count at the end covers the whole suite.
 */

// Each property runs hundreds of inputs through a whole handler: a count, not a speed, is under
// test, so the time limit leaves room for a busy machine (5 s timed out at a load of 20 on 2 cores).
vi.setConfig({ testTimeout: 60_000 });

eventBridgeFuzz();
workflowStepFuzz();
drainControlFuzz();
registryStreamFuzz();
pacerStreamFuzz();
reconcilerEventFuzz();

describe('the fuzz suite', () => {
  it(`generated at least ${MINIMUM_INPUTS} inputs in this run`, () => {
    const { total, perProperty } = generatedInputs();
    console.info(`fuzz: ${total} generated inputs`, perProperty);
    expect(total).toBeGreaterThanOrEqual(MINIMUM_INPUTS);
  });
});
