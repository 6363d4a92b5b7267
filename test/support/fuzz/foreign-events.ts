import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { cloneJson } from './json-paths.js';
import { applySteps, junkValue, type MutationStep, mutationStep } from './mutators.js';

/*
 * Events no handler of ours should act on: the shapes other AWS services deliver to Lambda, and
 * our own samples sent to the wrong function.
 */

const EVENTS_DIR = join(import.meta.dirname, '..', '..', '..', 'events');

export function loadSample<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(EVENTS_DIR, name), 'utf8')) as T;
}

/** Every file in events/ and events/negative/, by name. */
export const ALL_SAMPLES: ReadonlyMap<string, unknown> = new Map(
  [
    ...readdirSync(EVENTS_DIR).filter((name) => name.endsWith('.json')),
    ...readdirSync(join(EVENTS_DIR, 'negative')).map((name) => `negative/${name}`),
  ].map((name) => [name, loadSample(name)]),
);

const TIME = '2026-03-02T10:20:00Z';

class MutationPlan {
  constructor(
    readonly sample: unknown,
    readonly steps: readonly MutationStep[],
  ) {}
}

export const FOREIGN_EVENTS: readonly unknown[] = [
  // S3 event notification
  { Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: TIME, eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b', arn: 'arn:aws:s3:::b' }, object: { key: 'k', size: 1 } } }] },
  // SNS
  { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', Sns: { Type: 'Notification', MessageId: 'm', TopicArn: 'arn:aws:sns:us-east-1:111122223333:t', Message: '{"action":"drain"}', Timestamp: TIME } }] },
  // SQS
  { Records: [{ messageId: 'm', receiptHandle: 'r', body: '{"detail-type":"ECS Task State Change"}', attributes: {}, messageAttributes: {}, eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:q', awsRegion: 'us-east-1' }] },
  // Kinesis
  { Records: [{ kinesis: { partitionKey: 'p', data: 'eyJhIjoxfQ==', sequenceNumber: '1' }, eventSource: 'aws:kinesis', eventName: 'aws:kinesis:record' }] },
  // API Gateway REST and HTTP APIs
  { resource: '/drain', path: '/drain', httpMethod: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"drain","taskArn":"arn:aws:ecs:us-east-1:111122223333:task/sessions/abc"}', isBase64Encoded: false, requestContext: { stage: 'prod' } },
  { version: '2.0', routeKey: 'POST /drain', rawPath: '/drain', headers: {}, requestContext: { http: { method: 'POST' } }, body: 'e30=', isBase64Encoded: true },
  // ALB
  { requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t/1' } }, httpMethod: 'GET', path: '/', headers: {} },
  // EventBridge: schedule, CloudWatch alarm, a partner event, a custom event that borrows ECS names
  { version: '0', id: 'x', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '111122223333', time: TIME, region: 'us-east-1', resources: [], detail: {} },
  { version: '0', id: 'x', 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch', account: '111122223333', time: TIME, region: 'us-east-1', resources: [], detail: { state: { value: 'ALARM' } } },
  { version: '0', id: 'x', 'detail-type': 'ECS Task State Change', source: 'partner.example', account: '111122223333', time: TIME, region: 'us-east-1', resources: [], detail: { lastStatus: 'STOPPED' } },
  { version: '0', id: 'x', 'detail-type': 'Session Drain Notice', source: 'ecs-session-drain', account: '111122223333', time: TIME, region: 'us-east-1', resources: [], detail: { taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/sessions/abc' } },
  // CloudFormation custom resource, Cognito trigger, Step Functions task input of another workflow
  { RequestType: 'Create', ServiceToken: 'arn', ResponseURL: 'https://example.com', StackId: 's', RequestId: 'r', LogicalResourceId: 'l', ResourceType: 'Custom::X' },
  { version: '1', triggerSource: 'PreSignUp_SignUp', userPoolId: 'p', userName: 'u', request: {}, response: {} },
  { Input: { taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/sessions/abc' }, TaskToken: 'token' },
  // Not an object at all
  null, 0, 'drain', '', [], [{}], true,
];

/**
 * Anything at all: JSON junk, foreign service events, our own samples in the wrong place, and
 * those mutated. The properties judge each input with the target's own parser.
 */
export const anyEvent: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: junkValue },
  { weight: 2, arbitrary: fc.constantFrom(...FOREIGN_EVENTS) },
  { weight: 2, arbitrary: fc.constantFrom(...ALL_SAMPLES.values()) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...ALL_SAMPLES.values(), ...FOREIGN_EVENTS), fc.array(mutationStep, { minLength: 1, maxLength: 4 }))
      .map(([sample, steps]) => new MutationPlan(sample, steps)),
  },
  // A fresh copy per run: a handler that mutated its event must not change the next run's input.
).map((generated) => (generated instanceof MutationPlan ? applySteps(generated.sample, generated.steps) : cloneJson(generated)));

/**
 * What a handler's arbitrary-input property feeds it: anything (above), and as often its own
 * samples with one to three random mutations anywhere, many of which still parse and so reach
 * the core in the mocked world.
 */
export function eventsAround(samples: readonly { event: unknown }[]): fc.Arbitrary<unknown> {
  const mutatedOwn = fc
    .tuple(fc.constantFrom(...samples.map((sample) => sample.event)), fc.array(mutationStep, { minLength: 1, maxLength: 3 }))
    .map(([sample, steps]) => applySteps(sample, steps));
  return fc.oneof({ weight: 1, arbitrary: anyEvent }, { weight: 1, arbitrary: mutatedOwn });
}
