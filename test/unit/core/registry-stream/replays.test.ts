import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { handleStreamEvent } from '../../../../functions/handlers/registry-stream.js';
import { CLUSTER_ARN, makeTestDeps, NOW, TABLE_NAME, taskArn } from '../../../support/deps.js';
import { awsError, conditionalCheckFailed } from '../../handlers/fixtures.js';

/*
 * Lambda checkpoints a stream batch at its lowest failed sequence number and delivers every later
 * record again, other items' included (docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html:
 * "Lambda then retries all records starting from that checkpoint"). These scenarios deliver the
 * same records more than once and hold each effect to once.
 */

const TASK_A = taskArn('aaaa');
const TASK_B = taskArn('bbbb');
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-bbbb-1';
const STARTED_AT = Math.floor(NOW.getTime() / 1000) - 60;

type Image = Record<string, unknown>;

function task(arn: string, overrides: Image = {}): Image {
  return { pk: arn, sk: 'TASK', taskArn: arn, clusterArn: CLUSTER_ARN, serviceName: 'web', serviceTask: `web#${arn}`, status: 'ACTIVE', sessionCount: 0, ...overrides };
}

function record(sequenceNumber: string, oldImage: Image, newImage: Image): DynamoDBRecord {
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/SessionRegistry/stream/2026-11-21T00:00:00.000',
    dynamodb: {
      ApproximateCreationDateTime: 1_763_719_200,
      SizeBytes: 100,
      Keys: marshall({ pk: newImage.pk, sk: newImage.sk }) as never,
      OldImage: marshall(oldImage) as never,
      NewImage: marshall(newImage) as never,
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** Task B's drain ends DRAINED: the record that sets its outcome. */
function drainOfBEnds(sequenceNumber: string): DynamoDBRecord {
  const drain = { executionArn: EXECUTION_B, drainStartedAt: STARTED_AT };
  return record(sequenceNumber, task(TASK_B, { ...drain, status: 'DRAINING' }), task(TASK_B, { ...drain, status: 'STOPPING', drainOutcome: 'DRAINED' }));
}

const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-aaaa-1';

/** Task A's last session closes while its wait is armed: its handling can fail retryably (SendTaskSuccess throttled). */
function failingChangeOfA(sequenceNumber: string): DynamoDBRecord {
  const armed = { waitArmed: true, executionArn: EXECUTION_A };
  return record(sequenceNumber, task(TASK_A, { status: 'DRAINING', sessionCount: 1, ...armed }), task(TASK_A, { status: 'DRAINING', ...armed }));
}

/** The deps, and how often the drain-outcome metric went out. The table applies "counted" once per execution. */
function world() {
  const { deps, mocks } = makeTestDeps();
  const counted = new Set<string>();
  mocks.ddb.on(UpdateCommand, { UpdateExpression: 'SET outcomeCounted = :me' }).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
    const execution = input.ExpressionAttributeValues[':me'] as string;
    if (counted.has(execution)) throw conditionalCheckFailed();
    counted.add(execution);
    return {};
  });
  const single = deps.metrics.singleMetric();
  vi.spyOn(deps.metrics, 'singleMetric').mockReturnValue(single);
  const addSingleMetric = vi.spyOn(single, 'addMetric');
  const addMetric = vi.spyOn(deps.metrics, 'addMetric');
  const drainsCounted = () => addSingleMetric.mock.calls.filter(([name]) => name === 'DrainsCompleted').length;
  const durationsCounted = () => addMetric.mock.calls.filter(([name]) => name === 'DrainSeconds').length;
  return { deps, mocks, drainsCounted, durationsCounted };
}

function event(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

describe('registry stream: records delivered again', () => {
  it('counts a drain once when the same batch is delivered twice', async () => {
    // prepare
    const { deps, mocks, drainsCounted, durationsCounted } = world();
    const batch = event(drainOfBEnds('10'));

    // act
    const first = await handleStreamEvent(deps, batch);
    const second = await handleStreamEvent(deps, batch);

    // assert
    expect(drainsCounted()).toBe(1);
    expect(durationsCounted()).toBe(1);
    expect(mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({
        TableName: TABLE_NAME,
        Key: { pk: TASK_B, sk: 'TASK' },
        UpdateExpression: 'SET outcomeCounted = :me',
        ConditionExpression: 'executionArn = :me AND attribute_exists(drainOutcome) AND (attribute_not_exists(outcomeCounted) OR outcomeCounted <> :me)',
        ExpressionAttributeValues: { ':me': EXECUTION_B },
      }),
      expect.objectContaining({ ExpressionAttributeValues: { ':me': EXECUTION_B } }),
    ]);
    expect([first, second]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
  });

  it("counts another item's drain once when a delivery starts again at a lower failed record", async () => {
    // prepare: task A's change fails first, then succeeds; task B's drain ends behind it in the shard
    const { deps, mocks, drainsCounted } = world();
    mocks.ddb
      .on(GetCommand, { Key: { pk: `WAIT#${EXECUTION_A}`, sk: 'WAIT' } })
      .resolves({ Item: { executionArn: EXECUTION_A, taskArn: TASK_A, taskToken: 'token-a' } });
    mocks.sfn.on(SendTaskSuccessCommand).rejectsOnce(awsError('ThrottlingException', 'Rate exceeded')).resolves({});

    // act: Lambda delivers from the checkpoint, A's record, and B's record again behind it
    const first = await handleStreamEvent(deps, event(failingChangeOfA('20'), drainOfBEnds('21')));
    const retry = await handleStreamEvent(deps, event(failingChangeOfA('20'), drainOfBEnds('21')));

    // assert
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: '20' }]);
    expect(retry.batchItemFailures).toEqual([]);
    expect(drainsCounted()).toBe(1);
  });

  it('still counts the next drain of the same task, which is another execution', async () => {
    const { deps, drainsCounted } = world();
    const next = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-bbbb-2';
    const again = record('31', task(TASK_B, { executionArn: next, status: 'DRAINING' }), task(TASK_B, { executionArn: next, status: 'STOPPING', drainOutcome: 'CANCELLED' }));

    await handleStreamEvent(deps, event(drainOfBEnds('30'), again, drainOfBEnds('30')));

    expect(drainsCounted()).toBe(2);
  });
});
