import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost } from '../../../cloud/lambda/host.js';
import type { RuleTarget } from '../../../cloud/stack/model.js';
import { TargetDelivery } from '../../../cloud/eventbridge/targets.js';
import { motoClientConfig, uniqueName } from '../../../../test/support/aws.js';
import { fixtureFunction, fixtureStack, temporaryDirectory } from './fixtures/fixture-stack.js';

/*
 * EventBridge's side of a function target: when Lambda does not accept the event (here: a host
 * whose asynchronous queue holds nothing), it is retried per the target's RetryPolicy and then
 * dead-lettered with EventBridge's attributes.
 */

const config = motoClientConfig();

describe('delivery to a rule target', () => {
  let host: FunctionHost;
  let sqs: SQSClient;

  beforeAll(async () => {
    sqs = new SQSClient(config);
    host = await FunctionHost.start({
      stack: fixtureStack([fixtureFunction('Refusing', 'handler')]),
      endpoint: config.endpoint,
      sqsEndpoint: config.endpoint,
      buildDir: temporaryDirectory('build'),
      logDir: temporaryDirectory('logs'),
      maxQueuedEvents: 0,
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('retries an event Lambda does not accept per the RetryPolicy, then sends it to the DeadLetterConfig queue', async () => {
    const name = uniqueName('rule-dlq');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const target: RuleTarget = {
      id: 'Refusing',
      functionLogicalId: 'Refusing',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fixture-Refusing',
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 },
      deadLetterQueue: { logicalId: 'Dlq', name, arn: `arn:aws:sqs:us-east-1:123456789012:${name}`, url: QueueUrl as string },
    };
    const delivery = new TargetDelivery({ functions: host, sqs, retryDelayMs: 10 });
    const event = { version: '0', id: 'e-1', 'detail-type': 'Test', source: 'test', detail: { n: 1 } };

    await delivery.deliver(event, [target], 'arn:aws:events:us-east-1:123456789012:rule/test');

    await expect.poll(() => delivery.deadLettered, { timeout: 5000 }).toBe(1);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
    expect(JSON.parse(Messages[0]?.Body ?? '{}')).toEqual(event);
    const attributes = Object.fromEntries(Object.entries(Messages[0]?.MessageAttributes ?? {}).map(([key, value]) => [key, value.StringValue]));
    expect(attributes).toMatchObject({
      RULE_ARN: 'arn:aws:events:us-east-1:123456789012:rule/test',
      TARGET_ARN: target.functionArn,
      ERROR_CODE: 'TooManyRequestsException',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '2',
    });
    expect(host.stats().Refusing).toMatchObject({ throttles: 3, invocations: 0 });
    expect(delivery.retried).toBe(2);
  });
});
