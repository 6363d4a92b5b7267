import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EventDelivery } from './eventbridge/delivery.js';
import type { FunctionHost } from './lambda/host.js';
import { Scheduler } from './eventbridge/scheduler.js';
import type { LocalStack } from './stack/model.js';
import { StreamPoller } from './dynamodb-streams/poller.js';
import { TargetDelivery } from './eventbridge/targets.js';
import { definedOnly } from '../../functions/shared/optional.js';

/**
 * What invokes the functions besides direct calls: EventBridge rules, the DynamoDB stream mapping
 * and the schedules, started together from the stack and stopped together.
 */

export interface EventSourceOptions {
  stack: LocalStack;
  functions: FunctionHost;
  /** Clients on moto's own endpoint. */
  clients: { sqs: SQSClient; eventBridge: EventBridgeClient; streams: DynamoDBStreamsClient };
  schedulePeriodFactor?: number;
  schedulePeriodMs?: number | Record<string, number>;
  startSchedules?: boolean;
  /** false: no rule, stream or schedule invokes anything (LocalCloudOptions.eventSources). */
  run?: boolean;
  deliveryRetryDelayMs?: number;
  streamRetryDelayMs?: number;
  timeFactor?: number;
  onProblem: (message: string) => void;
}

export interface EventSources {
  targets: TargetDelivery;
  delivery: EventDelivery;
  streams: StreamPoller;
  scheduler: Scheduler;
  /** Stops starting invocations at once; resolves when the readers have ended. */
  stop(): Promise<void>;
}

export async function startEventSources(options: EventSourceOptions): Promise<EventSources> {
  const { stack, functions, clients, onProblem } = options;
  const targets = new TargetDelivery({
    functions,
    sqs: clients.sqs,
    onProblem,
    ...definedOnly({ retryDelayMs: options.deliveryRetryDelayMs, ageFactor: options.timeFactor }),
  });
  const delivery = new EventDelivery({ stack, sqs: clients.sqs, eventBridge: clients.eventBridge, targets, onProblem });
  const streams = new StreamPoller({
    stack,
    streams: clients.streams,
    sqs: clients.sqs,
    functions,
    onProblem,
    ...definedOnly({ retryDelayMs: options.streamRetryDelayMs, timeFactor: options.timeFactor }),
  });
  const scheduler = new Scheduler({ stack, targets, onProblem, ...definedOnly({ periodFactor: options.schedulePeriodFactor, periodMs: options.schedulePeriodMs }) });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      scheduler.stop();
      targets.stop();
      await Promise.allSettled([delivery.stop(), streams.stop()]);
    })();
    return stopping;
  };
  try {
    if (options.run !== false) {
      delivery.start();
      await streams.start();
      if (options.startSchedules !== false) scheduler.start();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { targets, delivery, streams, scheduler, stop };
}
