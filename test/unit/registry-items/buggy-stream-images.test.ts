import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleStreamEvent } from '../../../functions/handlers/registry-stream.js';
import { CLUSTER_ARN, taskArn } from '../../support/deps.js';
import { FUZZ_SEED } from '../../support/fuzz/budget.js';
import { benignWorld } from '../../support/fuzz/world.js';

/*
 * Registry items a buggy task wrote (the task role may update its own item freely): the stream
 * handler refuses the image with one log line and signals, protects and starts nothing.
 */

const TASK = taskArn('0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c');
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAbGm0kl2aJ8RjmGUMmPfzJH1ZkU0fHaDq1RktGC2yX0x7Q5u2F3v8LpA';
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-1';
const ARMED = { waitArmed: true, executionArn: EXECUTION };
type Image = Record<string, AttributeValue>;

function image(fields: Record<string, unknown>): Image {
  return marshall({ pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn: CLUSTER_ARN, serviceName: 'chat', serviceTask: `chat#${TASK}`, heartbeatAt: 1_763_719_190, ...fields });
}

function streamEvent(oldImage: Image, newImage: Image) {
  const record: DynamoDBRecord = {
    eventID: 'e-1',
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: { Keys: marshall({ pk: TASK, sk: 'TASK' }) as never, OldImage: oldImage as never, NewImage: newImage as never, SequenceNumber: '100', SizeBytes: 300, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
  return { Records: [record] };
}

/** A task's last session closes while its drain waits: the valid image completes the drain. */
const drainWaiting = {
  before: image({ status: 'DRAINING', sessionCount: 1, ...ARMED }),
  after: (change: Image) => ({ ...image({ status: 'DRAINING', sessionCount: 0, ...ARMED }), ...change }),
};
/** A busy task gains its first session: the valid image protects it. */
const firstSession = {
  before: image({ status: 'ACTIVE', sessionCount: 0 }),
  after: (change: Image) => ({ ...image({ status: 'ACTIVE', sessionCount: 1 }), ...change }),
};

function without(key: string) {
  return (full: Image): Image => Object.fromEntries(Object.entries(full).filter(([name]) => name !== key));
}

const buggyWrites: [string, Image | ((full: Image) => Image)][] = [
  ['a negative session count', { sessionCount: { N: '-1' } }],
  ['a fractional session count', { sessionCount: { N: '0.5' } }],
  ['a session count of 1e308', { sessionCount: { N: '1e308' } }],
  ['a session count of 2^63', { sessionCount: { N: '9223372036854775808' } }],
  ['a session count that is not a number', { sessionCount: { N: 'NaN' } }],
  ['a session count written as a string', { sessionCount: { S: '0' } }],
  ['no session count at all', without('sessionCount')],
  ['an unknown status', { status: { S: 'PAUSED' } }],
  ['a status in lower case', { status: { S: 'draining' } }],
  ['no status', without('status')],
  ['a key that is not a task ARN', { pk: { S: 'my-task' } }],
  ['an armed-wait mark that is not a boolean', { waitArmed: { S: 'true' } }],
];

function apply(change: Image | ((full: Image) => Image), scenario: typeof drainWaiting): Image {
  return typeof change === 'function' ? change(scenario.after({})) : scenario.after(change);
}

/** The world, with the wait item ArmDrainWaitFunction stored for the task's drain. */
function armedWorld() {
  const created = benignWorld();
  created.mocks.ddb.on(GetCommand, { Key: { pk: `WAIT#${EXECUTION}`, sk: 'WAIT' } }).resolves({ Item: { executionArn: EXECUTION, taskArn: TASK, taskToken: TOKEN } });
  return created;
}

function actionsTaken(world: ReturnType<typeof benignWorld>) {
  return {
    drainSignals: world.mocks.sfn.commandCalls(SendTaskSuccessCommand).length + world.mocks.sfn.commandCalls(SendTaskFailureCommand).length,
    protection: world.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).length,
    starts: world.mocks.sfn.commandCalls(StartExecutionCommand).length,
    writes: world.registryWrites(),
  };
}

const NOTHING = { drainSignals: 0, protection: 0, starts: 0, writes: 0 };

describe('registry stream: images a buggy task wrote', () => {
  it('completes the drain and protects the task when the images are valid (the cases below can fail)', async () => {
    const world = armedWorld();

    await handleStreamEvent(world.deps, streamEvent(drainWaiting.before, drainWaiting.after({})) as never);
    await handleStreamEvent(world.deps, streamEvent(firstSession.before, firstSession.after({})) as never);

    expect(actionsTaken(world)).toMatchObject({ drainSignals: 1, protection: 1 });
  });

  it.each(buggyWrites)('acts on no drain and no protection for %s, and logs it once', async (_label, change) => {
    for (const scenario of [drainWaiting, firstSession]) {
      const world = armedWorld();

      const response = await handleStreamEvent(world.deps, streamEvent(scenario.before, apply(change, scenario)) as never);

      expect(response).toEqual({ batchItemFailures: [] });
      expect(actionsTaken(world)).toEqual(NOTHING);
      expect(world.problemLines()).toEqual([
        { level: 'error', message: 'registry stream record skipped: unreadable', attributes: { sequenceNumber: '100', reason: expect.stringMatching(/new ?image/i) } },
      ]);
    }
  });

  it('never acts on any wrong count or status a task might write', async () => {
    const world = armedWorld();
    const wrongCount = fc.oneof(
      fc.integer({ max: -1 }).map((count) => ({ N: String(count) })),
      fc.double({ noNaN: true }).filter((value) => !Number.isSafeInteger(value) || value < 0).map((value) => ({ N: String(value) })),
      fc.bigInt({ min: 2n ** 53n }).map((value) => ({ N: value.toString() })),
      fc.string().map((text) => ({ S: text })),
    );
    const wrongStatus = fc.string().filter((status) => !['ACTIVE', 'DRAINING', 'STOPPING', 'STOPPED'].includes(status)).map((status) => ({ S: status }));
    const change = fc.oneof(wrongCount.map((sessionCount) => ({ sessionCount })), wrongStatus.map((status) => ({ status })));

    await fc.assert(
      fc.asyncProperty(change, fc.constantFrom(drainWaiting, firstSession), async (buggy, scenario) => {
        world.reset();
        await handleStreamEvent(world.deps, streamEvent(scenario.before, scenario.after(buggy as Image)) as never);
        expect(actionsTaken(world)).toEqual(NOTHING);
        expect(world.problemLines()).toHaveLength(1);
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });
});
