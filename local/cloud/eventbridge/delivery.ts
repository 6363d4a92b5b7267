import { setMaxListeners } from 'node:events';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LocalStack, RuleSpec } from '../stack/model.js';
import type { TargetDelivery } from './targets.js';
import { sleep } from '../timing.js';
import { NamedError } from '../errors.js';

/**
 * eventbridge/: rules, their targets and schedules invoke functions; imports lambda/host.ts's
 * types, stack/, ../errors and ../timing.
 *
 * EventBridge -> Lambda. moto matches events against the rules (each rule's only target is its
 * queue); this reads each rule's queue and hands every event to the rule's functions as
 * asynchronous invocations. publish() is how the ECS twin (and tests) put events on a bus.
 */

/** An event as EventBridge delivers it to targets. */
export interface EventEnvelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export class PublishError extends NamedError {
  override readonly name = 'PublishError';
}

export interface EventDeliveryOptions {
  stack: LocalStack;
  /** Clients on moto's own endpoint: this is plumbing, not traffic of the orchestrator. */
  sqs: SQSClient;
  eventBridge: EventBridgeClient;
  targets: TargetDelivery;
  onProblem?: (message: string) => void;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export class EventDelivery {
  // One signal shared by every poll loop and its in-flight requests: more than Node's default 10 listeners.
  private readonly abort = unlimitedAbortController();
  private readonly loops: Array<Promise<void>> = [];
  /** Events read from each rule's queue, by rule logical id. */
  readonly received: Record<string, number> = {};

  constructor(private readonly options: EventDeliveryOptions) {}

  start(): void {
    for (const rule of Object.values(this.options.stack.rules)) {
      if (!rule.enabled || rule.targets.length === 0) continue;
      this.received[rule.logicalId] = 0;
      this.loops.push(this.poll(rule));
    }
  }

  /**
   * moto's SQS message body is the envelope without `account` (its default input template
   * leaves it out); EventBridge always sends it, and the handlers' schemas require it.
   */
  private envelope(body: string): EventEnvelope {
    const event = JSON.parse(body) as Partial<EventEnvelope>;
    const { stack } = this.options;
    return {
      version: event.version ?? '0',
      id: event.id ?? '',
      'detail-type': event['detail-type'] ?? '',
      source: event.source ?? '',
      account: event.account ?? stack.accountId,
      time: event.time ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: event.region ?? stack.region,
      resources: event.resources ?? [],
      detail: event.detail ?? {},
    };
  }

  private async poll(rule: RuleSpec): Promise<void> {
    const { sqs, targets } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: rule.queue.url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
          { abortSignal: signal },
        );
        if (Messages.length === 0) continue;
        for (const message of Messages) {
          this.received[rule.logicalId] = (this.received[rule.logicalId] ?? 0) + 1;
          try {
            await targets.deliver(this.envelope(message.Body ?? '{}'), rule.targets, rule.arn);
          } catch (error) {
            this.options.onProblem?.(`rule ${rule.logicalId}: an event could not be delivered: ${(error as Error).message}`);
          }
        }
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: rule.queue.url,
            Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
          }),
        );
      } catch (error) {
        if (signal.aborted) return;
        this.options.onProblem?.(`rule ${rule.logicalId}: reading its queue failed: ${(error as Error).message}`);
        await sleep(500, signal);
      }
    }
  }

  /**
   * PutEvents of an envelope (as the twin emits it) to a bus. EventBridge assigns id and account
   * itself, so those of the envelope are not kept; source, detail-type, detail, resources and
   * time are. Returns the event id EventBridge assigned.
   */
  async publish(event: unknown, busName = 'default'): Promise<string> {
    if (!isObject(event) || typeof event.source !== 'string' || typeof event['detail-type'] !== 'string' || !isObject(event.detail)) {
      throw new PublishError(`not an EventBridge event (source, detail-type and detail are required): ${JSON.stringify(event)?.slice(0, 300)}`);
    }
    const resources = Array.isArray(event.resources) ? event.resources.map(String) : [];
    const time = typeof event.time === 'string' ? new Date(event.time) : undefined;
    const result = await this.options.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: event.source,
            DetailType: event['detail-type'],
            Detail: JSON.stringify(event.detail),
            Resources: resources,
            ...(time !== undefined && !Number.isNaN(time.getTime()) ? { Time: time } : {}),
          },
        ],
      }),
    );
    const entry = result.Entries?.[0];
    if ((result.FailedEntryCount ?? 0) > 0 || entry?.EventId === undefined) {
      throw new PublishError(`PutEvents refused the event: ${entry?.ErrorCode ?? ''} ${entry?.ErrorMessage ?? ''}`.trim());
    }
    return entry.EventId;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }
}

function unlimitedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
