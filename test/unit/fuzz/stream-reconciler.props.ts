import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStreamRecord } from '../../../functions/core/registry-stream/transitions.js';
import { checkTaskItem } from '../../../functions/registry/item-checks.js';
import { createHandler as paceDeploymentHandler } from '../../../functions/handlers/deployment-pacer.js';
import { createHandler as reconcilerHandler } from '../../../functions/handlers/reconciler.js';
import { handleStreamEvent } from '../../../functions/handlers/registry-stream.js';
import { CLUSTER_ARN } from '../../support/deps.js';
import { checkProperty } from '../../support/fuzz/budget.js';
import { anyEvent, loadSample } from '../../support/fuzz/foreign-events.js';
import { brokenSample } from '../../support/fuzz/invalid-fields.js';
import { applySteps, junkValue, mutationStep, pollutionFound } from '../../support/fuzz/mutators.js';
import { STREAM_SAMPLE } from '../../support/fuzz/step-targets.js';
import { benignWorld, registeredTask, WORLD_TASK } from '../../support/fuzz/world.js';

export const STREAM_RUNS = { broken: 600, arbitraryRecord: 800, arbitraryEvent: 400 };
export const RECONCILER_RUNS = { event: 300, item: 500 };
export const PACER_STREAM_RUNS = 400;

const SAMPLE_RECORD = (STREAM_SAMPLE.event as { Records: unknown[] }).Records[0];

/** One stream record: the sample's record mutated anywhere, junk, or a record of another service. */
const anyRecord: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.array(mutationStep, { minLength: 1, maxLength: 4 }).map((steps) => applySteps(SAMPLE_RECORD, steps)) },
  { weight: 1, arbitrary: junkValue },
  { weight: 1, arbitrary: anyEvent.map((event) => ((event as { Records?: unknown[] } | null)?.Records?.[0] ?? event)) },
);

export function registryStreamFuzz(): void {
  describe('RegistryStreamFunction', () => {
    const world = benignWorld();

    it('skips a record whose new task image is broken: one log line, no AWS call, no retry', async () => {
      await checkProperty('registry-stream: broken record', brokenSample([STREAM_SAMPLE]), STREAM_RUNS.broken, async ({ event }) => {
        world.reset();
        const record = (event as { Records: unknown[] }).Records[0];
        expect(parseStreamRecord(record).kind).toBe('invalid');

        const response = await handleStreamEvent(world.deps, event as never);

        expect(response).toEqual({ batchItemFailures: [] });
        expect(world.sdkCalls()).toBe(0);
        expect(world.problemLines()).toHaveLength(1);
        expect(world.problemLines()[0]).toMatchObject({ message: 'registry stream record skipped: unreadable', attributes: { reason: expect.stringMatching(/\S/) } });
      });
    });

    it('acts only on records it can read, and logs each unreadable one once', async () => {
      await checkProperty('registry-stream: arbitrary record', anyRecord, STREAM_RUNS.arbitraryRecord, async (record) => {
        world.reset();
        const parsed = parseStreamRecord(record);

        const response = await handleStreamEvent(world.deps, { Records: [record] } as never);

        expect(Array.isArray(response.batchItemFailures)).toBe(true);
        if (parsed.kind !== 'task') expect(world.sdkCalls()).toBe(0);
        expect(world.problemLines().filter((line) => line.message.startsWith('registry stream record skipped'))).toHaveLength(parsed.kind === 'invalid' ? 1 : 0);
        expect(pollutionFound()).toBe(false);
      });
    });

    it('never throws for an event that is not a stream batch', async () => {
      await checkProperty('registry-stream: arbitrary event', anyEvent, STREAM_RUNS.arbitraryEvent, async (event) => {
        world.reset();
        const records = (event as { Records?: unknown } | null)?.Records;
        const parsed = Array.isArray(records) ? records.map((record) => parseStreamRecord(record).kind) : [];

        const response = await handleStreamEvent(world.deps, event as never);

        expect(response).toEqual({ batchItemFailures: expect.any(Array) });
        if (!parsed.includes('task')) expect(world.sdkCalls()).toBe(0);
        const unreadable = parsed.filter((kind) => kind === 'invalid').length + (Array.isArray(records) ? 0 : 1);
        expect(world.problemLines()).toHaveLength(unreadable);
      });
    });
  });
}

/**
 * DeploymentPacerFunction's other trigger: task registrations from the registry stream. Each service
 * named by a task record it can read, in a cluster in scope, is paced once per batch; nothing else
 * reaches AWS, and no batch makes it throw in a world where every call succeeds.
 */
export function pacerStreamFuzz(): void {
  describe('DeploymentPacerFunction (registry stream)', () => {
    const world = benignWorld();
    const handler = paceDeploymentHandler(world.getDeps);

    it('never throws for an arbitrary batch, and paces once each service of the task records it can read', async () => {
      const batches = fc.array(anyRecord, { minLength: 1, maxLength: 4 }).map((records) => ({ Records: records }));
      await checkProperty('deployment-pacer: stream batch', batches, PACER_STREAM_RUNS, async (event) => {
        world.reset();
        const services = new Set(
          event.Records.flatMap((record) => {
            const parsed = parseStreamRecord(record);
            const image = parsed.kind === 'task' ? parsed.record.newImage : undefined;
            return image?.clusterArn === CLUSTER_ARN && image.serviceName !== undefined ? [image.serviceName] : [];
          }),
        );

        const response = await handler(event);

        // Only the registry stream's own records make a stream batch; any other "Records" array is refused like a foreign event.
        const streamBatch = event.Records.every((record) => (record as { eventSource?: unknown } | null)?.eventSource === 'aws:dynamodb');
        expect(response).toEqual(streamBatch ? { batchItemFailures: [] } : { status: 'rejected', reason: expect.any(String) });
        const paced = streamBatch ? [...services] : [];
        expect(world.mocks.ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)).toEqual(
          paced.map((serviceName) => ({ cluster: CLUSTER_ARN, services: [serviceName] })),
        );
        if (paced.length === 0) expect(world.sdkCalls()).toBe(0);
        expect(pollutionFound()).toBe(false);
      });
    });
  });
}

export function reconcilerEventFuzz(): void {
  describe('ReconcilerFunction', () => {
    const world = benignWorld();
    const handler = reconcilerHandler(world.getDeps);

    it('does the same work whatever event wakes it: the registry and ECS decide, never the event', async () => {
      await handler(loadSample('reconciler-schedule.json'));
      const scheduledCalls = world.mocks.ddb.calls().length + world.mocks.ecs.calls().length + world.mocks.sfn.calls().length;
      expect(scheduledCalls).toBeGreaterThan(0);

      await checkProperty('reconciler: arbitrary event', anyEvent, RECONCILER_RUNS.event, async (event) => {
        world.reset();

        await handler(event);

        expect(world.mocks.ddb.calls().length + world.mocks.ecs.calls().length + world.mocks.sfn.calls().length).toBe(scheduledCalls);
        expect(world.registryWrites() + world.ecsMutations() + world.workflowSignals()).toBe(0);
        expect(world.problemLines()).toHaveLength(0);
      });
    });

    it('acts on a registry item only if it keeps the contract, and logs each one it leaves alone once', async () => {
      // Valid, this item is renewed: it holds sessions and ECS refused its protection last time.
      const valid = registeredTask(WORLD_TASK, { sessionCount: 3, protectionState: 'BLOCKED' });
      const item = fc.array(mutationStep, { minLength: 1, maxLength: 3 }).map((steps) => applySteps(valid, steps));

      await checkProperty('reconciler: arbitrary registry item', item, RECONCILER_RUNS.item, async (listed) => {
        world.reset();
        world.mocks.ddb.on(QueryCommand).resolves({ Items: [listed as Record<string, unknown>] });
        const usable = checkTaskItem(listed).ok && (listed as { clusterArn?: unknown }).clusterArn === CLUSTER_ARN;

        await handler(loadSample('reconciler-schedule.json'));

        const ignoredLines = world.problemLines().filter((line) => line.message === 'registry item ignored: it breaks the registry contract');
        expect(ignoredLines).toHaveLength(usable ? 0 : 1);
        if (!usable) expect(world.registryWrites() + world.ecsMutations() + world.workflowSignals()).toBe(0);
        expect(pollutionFound()).toBe(false);
      });
      world.mocks.ddb.on(QueryCommand).resolves({ Items: [] });
    });
  });
}
