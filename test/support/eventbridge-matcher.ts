import { isDeepStrictEqual } from 'node:util';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';

/**
 * Decides which event patterns match an event by asking a real EventBridge implementation (moto's)
 * rather than a matcher of our own: every rule is put on a fresh bus with its own SQS queue as
 * target, the event is sent with PutEvents, and a rule matched exactly when its queue received
 * the event. moto has no TestEventPattern, hence the queues.
 *
 * The project has no SQS SDK client as a dependency; the few SQS calls this needs go over SQS's
 * JSON protocol directly (moto routes by the service named in the Authorization header and does
 * not check signatures).
 */

export interface RuleUnderTest {
  /** Logical id of the rule in template.yaml. */
  name: string;
  pattern: Record<string, unknown>;
}

/** An event in the shape EventBridge delivers it (and events/*.json stores it). */
export interface EnvelopeEvent {
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
  resources?: string[];
  time?: string;
}

export class UnexpectedDeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnexpectedDeliveryError';
  }
}

interface MotoConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

class SqsJsonClient {
  constructor(private readonly config: MotoConfig) {}

  async call<T>(operation: string, input: Record<string, unknown>): Promise<T> {
    const response = await fetch(this.config.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `AmazonSQS.${operation}`,
        Authorization:
          `AWS4-HMAC-SHA256 Credential=${this.config.credentials.accessKeyId}/20260101/${this.config.region}/sqs/aws4_request, ` +
          'SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`SQS ${operation} failed with HTTP ${response.status}: ${text}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }
}

interface RuleQueue {
  rule: string;
  queueUrl: string;
}

export class MotoRuleMatcher {
  private constructor(
    private readonly eventBridge: EventBridgeClient,
    private readonly sqs: SqsJsonClient,
    private readonly busName: string,
    private readonly queues: RuleQueue[],
  ) {}

  /** Creates the bus, one queue per rule, and the rules with their queue as only target. */
  static async create(config: MotoConfig, busName: string, rules: readonly RuleUnderTest[]): Promise<MotoRuleMatcher> {
    const eventBridge = new EventBridgeClient(config);
    const sqs = new SqsJsonClient(config);
    await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
    const queues: RuleQueue[] = [];
    for (const rule of rules) {
      const ruleName = `${busName}-${rule.name}`.slice(0, 64);
      const { QueueUrl } = await sqs.call<{ QueueUrl: string }>('CreateQueue', { QueueName: ruleName.slice(0, 80) });
      const { Attributes } = await sqs.call<{ Attributes: { QueueArn: string } }>('GetQueueAttributes', {
        QueueUrl,
        AttributeNames: ['QueueArn'],
      });
      await eventBridge.send(
        new PutRuleCommand({ Name: ruleName, EventBusName: busName, EventPattern: JSON.stringify(rule.pattern), State: 'ENABLED' }),
      );
      const targets = await eventBridge.send(
        new PutTargetsCommand({ Rule: ruleName, EventBusName: busName, Targets: [{ Id: 'queue', Arn: Attributes.QueueArn }] }),
      );
      if ((targets.FailedEntryCount ?? 0) > 0) throw new Error(`PutTargets failed for ${rule.name}: ${JSON.stringify(targets.FailedEntries)}`);
      queues.push({ rule: rule.name, queueUrl: QueueUrl });
    }
    return new MotoRuleMatcher(eventBridge, sqs, busName, queues);
  }

  /** Names of the rules whose pattern matches the event, in rule order. */
  async matchingRules(event: EnvelopeEvent): Promise<string[]> {
    const result = await this.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: event.source,
            DetailType: event['detail-type'],
            Detail: JSON.stringify(event.detail),
            Resources: event.resources ?? [],
            // AWS's EC2 samples carry the placeholder "yyyy-mm-ddThh:mm:ssZ": no date to send, and PutEvents
            // stamps the entry itself then. No rule of the stack matches on time.
            ...(event.time === undefined || Number.isNaN(Date.parse(event.time)) ? {} : { Time: new Date(event.time) }),
          },
        ],
      }),
    );
    if ((result.FailedEntryCount ?? 0) > 0) throw new Error(`PutEvents rejected the event: ${JSON.stringify(result.Entries)}`);
    const matched: string[] = [];
    for (const { rule, queueUrl } of this.queues) {
      const bodies = await this.drain(queueUrl);
      for (const body of bodies) {
        const delivered = JSON.parse(body) as EnvelopeEvent;
        if (!isDeepStrictEqual(delivered.detail, event.detail) || delivered['detail-type'] !== event['detail-type']) {
          throw new UnexpectedDeliveryError(`rule ${rule} delivered an event that was not the one just sent: ${body.slice(0, 300)}`);
        }
      }
      if (bodies.length > 1) throw new UnexpectedDeliveryError(`rule ${rule} delivered one event ${bodies.length} times`);
      if (bodies.length === 1) matched.push(rule);
    }
    return matched;
  }

  private async drain(queueUrl: string): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await this.sqs.call<{ Messages?: Array<{ Body: string; ReceiptHandle: string }> }>('ReceiveMessage', {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      });
      if (Messages.length === 0) return bodies;
      for (const message of Messages) {
        bodies.push(message.Body);
        await this.sqs.call('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle });
      }
    }
  }

  async dispose(): Promise<void> {
    for (const { rule, queueUrl } of this.queues) {
      const ruleName = `${this.busName}-${rule}`.slice(0, 64);
      await this.eventBridge.send(new RemoveTargetsCommand({ Rule: ruleName, EventBusName: this.busName, Ids: ['queue'] }));
      await this.eventBridge.send(new DeleteRuleCommand({ Name: ruleName, EventBusName: this.busName }));
      await this.sqs.call('DeleteQueue', { QueueUrl: queueUrl });
    }
    await this.eventBridge.send(new DeleteEventBusCommand({ Name: this.busName }));
    this.eventBridge.destroy();
  }
}
