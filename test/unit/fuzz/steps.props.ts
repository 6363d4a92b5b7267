import { describe, expect, it } from 'vitest';
import { parseDrainControlRequest } from '../../../functions/core/drain/control.js';
import { runDrainControl } from '../../../functions/handlers/drain-control.js';
import { checkProperty } from '../../support/fuzz/budget.js';
import { eventsAround } from '../../support/fuzz/foreign-events.js';
import { brokenSample } from '../../support/fuzz/invalid-fields.js';
import { pollutionFound } from '../../support/fuzz/mutators.js';
import { DRAIN_CONTROL_SAMPLES, STEP_TARGETS } from '../../support/fuzz/step-targets.js';
import { type BenignWorld, benignWorld } from '../../support/fuzz/world.js';

export const STEP_RUNS = { broken: 300, arbitrary: 400 };
export const DRAIN_CONTROL_RUNS = { broken: 500, arbitrary: 500 };

/**
 * Errors a step may end with for input it accepted; the state machine catches or retries each by
 * name. Anything else (TypeError, RangeError, a bare Error) is a defect.
 */
const NAMED_STEP_ERRORS = new Set(['InvalidInputError', 'TaskGone', 'DrainAlreadyRunning', 'CapacityBusy', 'RetryableEcsError']);

async function outcomeOf(run: () => Promise<unknown>): Promise<{ threw: false; value: unknown } | { threw: true; error: Error }> {
  try {
    return { threw: false, value: await run() };
  } catch (error) {
    return { threw: true, error: error as Error };
  }
}

function expectRefusedByName(world: BenignWorld, outcome: Awaited<ReturnType<typeof outcomeOf>>, step: string): void {
  expect(outcome.threw && outcome.error.name).toBe('InvalidInputError');
  expect(world.sdkCalls()).toBe(0);
  const problems = world.problemLines();
  expect(problems).toHaveLength(1);
  expect(problems[0]?.message).toMatch(/ failed$/);
  expect((problems[0]?.attributes.error as Error | undefined)?.message).toContain(step);
}

export function workflowStepFuzz(): void {
  describe.each(STEP_TARGETS)('workflow step $name', (target) => {
    const world = benignWorld();
    const handler = target.createHandler(world.getDeps);

    it('refuses input with a required field removed or mistyped with InvalidInputError, before any AWS call', async () => {
      await checkProperty(`${target.name}: broken input`, brokenSample(target.samples), STEP_RUNS.broken, async ({ event }) => {
        world.reset();
        expect(target.schema.safeParse(event).success).toBe(false);

        const outcome = await outcomeOf(() => handler(event));

        expectRefusedByName(world, outcome, 'invalid input');
        expect(pollutionFound()).toBe(false);
      });
    });

    it('ends arbitrary input either with a result or with an error the workflow knows by name', async () => {
      await checkProperty(`${target.name}: arbitrary input`, eventsAround(target.samples), STEP_RUNS.arbitrary, async (event) => {
        world.reset();
        const accepted = target.schema.safeParse(event).success;

        const outcome = await outcomeOf(() => handler(event));

        if (!accepted) expectRefusedByName(world, outcome, 'invalid input');
        else if (outcome.threw) {
          expect(NAMED_STEP_ERRORS).toContain(outcome.error.name);
          expect(world.problemLines()).toHaveLength(1);
        }
        expect(pollutionFound()).toBe(false);
      });
    });
  });
}

function expectRefusedPolitely(world: BenignWorld, response: unknown): void {
  expect(response).toEqual({ ok: false, error: expect.stringMatching(/\S/) });
  expect(world.sdkCalls()).toBe(0);
  const problems = world.problemLines();
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({ message: 'drain control refused', attributes: { ok: false, error: expect.any(String) } });
}

export function drainControlFuzz(): void {
  describe('DrainControlFunction', () => {
    const world = benignWorld();

    it('answers a request with a field removed or mistyped with { ok: false } and changes nothing', async () => {
      await checkProperty('drain-control: broken request', brokenSample(DRAIN_CONTROL_SAMPLES), DRAIN_CONTROL_RUNS.broken, async ({ event }) => {
        world.reset();
        expect(parseDrainControlRequest(event, world.deps)).toHaveProperty('error');

        const response = await runDrainControl(world.deps, event);

        expectRefusedPolitely(world, response);
        expect(pollutionFound()).toBe(false);
      });
    });

    it('never throws, and touches AWS only for requests it accepted', async () => {
      await checkProperty('drain-control: arbitrary request', eventsAround(DRAIN_CONTROL_SAMPLES), DRAIN_CONTROL_RUNS.arbitrary, async (event) => {
        world.reset();
        const verdict = parseDrainControlRequest(event, world.deps);

        const response = (await runDrainControl(world.deps, event)) as { ok: boolean };

        if ('error' in verdict) expectRefusedPolitely(world, response);
        else if (!response.ok) expect(world.problemLines().filter((line) => line.message.startsWith('drain control'))).toHaveLength(1);
        expect(pollutionFound()).toBe(false);
      });
    });
  });
}
