import { describe, expect, it } from 'vitest';
import type { HandlerOutcome } from '../../../functions/shared/handler-kit.js';
import { checkProperty } from '../../support/fuzz/budget.js';
import { EVENTBRIDGE_TARGETS } from '../../support/fuzz/eventbridge-targets.js';
import { eventsAround } from '../../support/fuzz/foreign-events.js';
import { brokenSample } from '../../support/fuzz/invalid-fields.js';
import { pollutionFound } from '../../support/fuzz/mutators.js';
import { type BenignWorld, benignWorld } from '../../support/fuzz/world.js';

/** Runs per handler and property; 7 handlers x 2 properties. */
export const EVENTBRIDGE_RUNS = { broken: 600, arbitrary: 700 };

/** One "event rejected" line with a reason, the EventsRejected metric, and nothing else said or done. */
function expectRejectedQuietly(world: BenignWorld, outcome: HandlerOutcome<unknown>): void {
  expect(outcome.status).toBe('rejected');
  expect(world.sdkCalls()).toBe(0);
  const problems = world.problemLines();
  expect(problems).toHaveLength(1);
  expect(problems[0]?.message).toBe('event rejected');
  expect(problems[0]?.attributes.reason).toEqual(expect.stringMatching(/\S/));
  expect(world.metrics).toEqual(['EventsRejected']);
}

export function eventBridgeFuzz(): void {
  describe.each(EVENTBRIDGE_TARGETS)('EventBridge handler $name', (target) => {
    // One handler and one mocked world per target; only the call history is reset per input.
    const world = benignWorld();
    const handler = target.createHandler(world.getDeps);

    it('rejects a sample with a required field removed or mistyped: one log line, no AWS call, no throw', async () => {
      await checkProperty(`${target.name}: broken sample`, brokenSample(target.samples), EVENTBRIDGE_RUNS.broken, async ({ event }) => {
        world.reset();
        expect(target.parse(event).ok).toBe(false);

        const outcome = await handler(event);

        expectRejectedQuietly(world, outcome);
        expect(pollutionFound()).toBe(false);
      });
    });

    it('never throws for arbitrary, foreign or mutated events, calls AWS only for events its parser accepts, and acts on what an accepted one names', async () => {
      await checkProperty(`${target.name}: arbitrary event`, eventsAround(target.samples), EVENTBRIDGE_RUNS.arbitrary, async (event) => {
        world.reset();
        // The function's other trigger (a stream batch) is not an EventBridge event; its own properties judge it.
        if (target.otherTrigger?.(event) === true) return;
        const verdict = target.parse(event);

        const outcome = await handler(event);

        if (!verdict.ok) expectRejectedQuietly(world, outcome);
        else if (outcome.status === 'rejected') {
          expect(world.problemLines().filter((line) => line.message.startsWith('event rejected'))).toHaveLength(1);
        } else {
          expect(outcome.status).toBe('done');
          // Behaviour, not only "did not throw": the handler acted on what the raw event names.
          target.effect(event, world);
        }
        expect(pollutionFound()).toBe(false);
      });
    });
  });
}
