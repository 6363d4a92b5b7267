import type { z } from 'zod';
import { armDrainWaitInputSchema } from '../../../functions/core/workflow/arm-drain-wait.js';
import { capacityInputSchema } from '../../../functions/core/workflow/replacement-capacity.js';
import { recordDrainInputSchema } from '../../../functions/core/workflow/record-drain.js';
import { stopDrainedTaskInputSchema } from '../../../functions/core/workflow/stop-drained-task.js';
import { createHandler as armDrainWait } from '../../../functions/handlers/arm-drain-wait.js';
import { createHandler as launchReplacement } from '../../../functions/handlers/launch-replacement.js';
import { createHandler as recordDrain } from '../../../functions/handlers/record-drain.js';
import { createHandler as releaseReplacement } from '../../../functions/handlers/release-replacement.js';
import { createHandler as stopTask } from '../../../functions/handlers/stop-drained-task.js';
import { DRAIN_REASONS } from '../../../functions/registry/model.js';
import type { Deps } from '../../../functions/shared/deps.js';
import type { Sample } from './eventbridge-targets.js';
import { loadSample } from './foreign-events.js';
import type { RequiredField } from './invalid-fields.js';

/*
 * The workflow's Lambda steps, DrainControlFunction and the registry stream: their samples, the
 * fields the contract requires (docs/design.md, README "Operations", DynamoDB stream records).
 */

export interface StepTarget {
  name: string;
  createHandler: (getDeps: () => Deps) => (event: unknown) => Promise<unknown>;
  schema: z.ZodType;
  samples: Sample[];
}

const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions';
const TASK_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
const EXECUTION_ARN = 'arn:aws:states:us-east-1:111122223333:execution:ecs-session-drain-drain:drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-1';

const ROOT: RequiredField = { path: [], field: { kind: 'object' } };
const cluster = (path: RequiredField['path']): RequiredField => ({ path, field: { kind: 'arn', sample: CLUSTER_ARN, ecsResource: true } });
const task = (path: RequiredField['path']): RequiredField => ({ path, field: { kind: 'arn', sample: TASK_ARN, ecsResource: true } });
const execution = (path: RequiredField['path']): RequiredField => ({ path, field: { kind: 'arn', sample: EXECUTION_ARN } });
const optionalService = (path: RequiredField['path']): RequiredField => ({ path, field: { kind: 'string', nonEmpty: true }, optional: true });

const capacityFields = [ROOT, cluster(['cluster']), task(['taskArn']), optionalService(['service'])];

export const STEP_TARGETS: StepTarget[] = [
  {
    name: 'record-drain',
    createHandler: recordDrain,
    schema: recordDrainInputSchema,
    samples: [
      {
        name: 'record-drain.json',
        event: loadSample('record-drain.json'),
        required: [
          ROOT,
          execution(['executionArn']),
          { path: ['request'], field: { kind: 'object' } },
          cluster(['request', 'cluster']),
          task(['request', 'taskArn']),
          { path: ['request', 'reason'], field: { kind: 'literal', values: DRAIN_REASONS } },
          { path: ['request', 'deadline'], field: { kind: 'datetime' }, optional: true },
          optionalService(['request', 'service']),
        ],
      },
    ],
  },
  {
    name: 'launch-replacement',
    createHandler: launchReplacement,
    schema: capacityInputSchema,
    samples: [{ name: 'launch-replacement.json', event: loadSample('launch-replacement.json'), required: capacityFields }],
  },
  {
    name: 'arm-drain-wait',
    createHandler: armDrainWait,
    schema: armDrainWaitInputSchema,
    samples: [
      {
        name: 'arm-drain-wait.json',
        event: loadSample('arm-drain-wait.json'),
        required: [ROOT, { path: ['taskToken'], field: { kind: 'string', nonEmpty: true } }, task(['taskArn']), execution(['executionArn'])],
      },
    ],
  },
  {
    name: 'stop-drained-task',
    createHandler: stopTask,
    schema: stopDrainedTaskInputSchema,
    samples: [
      {
        name: 'stop-task.json',
        event: loadSample('stop-task.json'),
        required: [
          ROOT,
          cluster(['cluster']),
          task(['taskArn']),
          execution(['executionArn']),
          // CANCELLED and TASK_GONE end a drain without stopping the task: not this step's outcomes.
          { path: ['outcome'], field: { kind: 'literal', values: ['DRAINED', 'DEADLINE_FORCED', 'FORCE_STOPPED', 'HEARTBEAT_LOST'] } },
        ],
      },
    ],
  },
  {
    name: 'release-replacement',
    createHandler: releaseReplacement,
    schema: capacityInputSchema,
    samples: [{ name: 'release-replacement.json', event: loadSample('release-replacement.json'), required: capacityFields }],
  },
];

const controlCommon: RequiredField[] = [
  ROOT,
  // Changing one action into another can leave a valid request; only unknown actions are certainly wrong.
  { path: ['action'], field: { kind: 'literal', values: ['drain', 'cancel', 'force-stop'] } },
  task(['taskArn']),
  { path: ['cluster'], field: { kind: 'string', nonEmpty: true }, optional: true },
  { path: ['comment'], field: { kind: 'forbidden' }, optional: true },
];

export const DRAIN_CONTROL_SAMPLES: Sample[] = [
  {
    name: 'drain-control-drain.json',
    event: loadSample('drain-control-drain.json'),
    required: [
      ...controlCommon,
      // MAX_DRAIN_SECONDS is 28800 in the test configuration.
      { path: ['drainSeconds'], field: { kind: 'int', min: 1, max: 28_800 }, optional: true },
    ],
  },
  { name: 'drain-control-cancel.json', event: loadSample('drain-control-cancel.json'), required: controlCommon },
  { name: 'drain-control-force-stop.json', event: loadSample('drain-control-force-stop.json'), required: controlCommon },
];

const RECORD = ['Records', 0] as const;
const IMAGE = [...RECORD, 'dynamodb', 'NewImage'] as const;

/** Attribute values a task item's field can never hold, whatever a task wrote. */
export const STREAM_SAMPLE: Sample = {
  name: 'registry-stream-sessions-drained.json',
  event: loadSample('registry-stream-sessions-drained.json'),
  // A new image of another kind of item (a session, a capacity item) is skipped, not refused.
  keep: [[...IMAGE, 'sk']],
  required: [
    { path: [...RECORD, 'dynamodb'], field: { kind: 'object' } },
    { path: [...RECORD, 'dynamodb', 'SequenceNumber'], field: { kind: 'string' } },
    { path: [...RECORD, 'dynamodb', 'Keys'], field: { kind: 'object' } },
    { path: [...RECORD, 'dynamodb', 'SizeBytes'], field: { kind: 'number' } },
    { path: [...RECORD, 'dynamodb', 'StreamViewType'], field: { kind: 'literal', values: ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'] } },
    { path: [...RECORD, 'eventName'], field: { kind: 'literal', values: ['INSERT', 'MODIFY', 'REMOVE'] }, optional: true },
    { path: [...RECORD, 'dynamodb', 'Keys', 'pk'], field: { kind: 'one-of-these', values: [{ N: '1' }, { BOOL: true }, { NULL: true }, {}, 'pk'] } },
    {
      path: [...IMAGE, 'sessionCount'],
      field: {
        kind: 'one-of-these',
        values: [{ N: '-1' }, { N: '-0.5' }, { N: '1.5' }, { N: '1e308' }, { N: '9223372036854775808' }, { N: 'abc' }, { N: 'Infinity' }, { S: '0' }, { NULL: true }, {}, 0],
      },
    },
    { path: [...IMAGE, 'status'], field: { kind: 'one-of-these', values: [{ S: 'UNKNOWN' }, { S: 'draining' }, { S: '' }, { N: '1' }, { SS: ['DRAINING'] }, 'DRAINING', {}] } },
    { path: [...IMAGE, 'pk'], field: { kind: 'one-of-these', values: [{ S: 'junk' }, { S: '' }, { S: 'SERVICE#x' }, { N: '1' }, {}] } },
    { path: [...IMAGE, 'waitArmed'], field: { kind: 'one-of-these', values: [{ S: 'true' }, { N: '1' }, { NULL: true }, {}] }, optional: true },
    { path: [...IMAGE, 'clusterArn'], field: { kind: 'one-of-these', values: [{ S: '' }, { N: '1' }, {}] }, optional: true },
  ],
};
