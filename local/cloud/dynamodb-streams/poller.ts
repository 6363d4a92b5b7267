import { setMaxListeners } from 'node:events';
import { DescribeStreamCommand, type DynamoDBStreamsClient, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionInvoker } from '../lambda/host.js';
import type { LocalStack, StreamMappingSpec } from '../stack/model.js';
import { ShardReader, type StreamCounters } from './shard.js';
import { validateFilterPattern } from './records.js';

/**
 * dynamodb-streams/: feeds the table's stream to its function as Lambda's event source mapping
 * does; imports lambda/host.ts's types, stack/, ../errors and ../timing.
 *
 * The DynamoDB event source mapping, emulated: one reader per shard of each mapped stream, reading
 * through DynamoDB Streams (moto's), filtering and batching as the mapping in template.yaml says,
 * and invoking its function synchronously, in order per shard. The stream is described again
 * periodically so that new shards get a reader too.
 */

export interface StreamPollerOptions {
  stack: LocalStack;
  streams: DynamoDBStreamsClient;
  sqs: SQSClient;
  functions: FunctionInvoker;
  /** Pause between GetRecords calls on an idle shard (default 250 ms, as Lambda polls ~4 times a second). */
  pollIntervalMs?: number;
  /** First retry delay after a failed batch; doubles per retry up to 32 times (default 500 ms). */
  retryDelayMs?: number;
  /** How often the streams are described to find new shards (default 5 s). */
  describeIntervalMs?: number;
  /** Scales MaximumBatchingWindowInSeconds and MaximumRecordAgeInSeconds (default 1). */
  timeFactor?: number;
  onProblem?: (message: string) => void;
}

export class StreamPoller {
  // One signal shared by every poll loop and its in-flight requests: more than Node's default 10 listeners.
  private readonly abort = unlimitedAbortController();
  private readonly readers = new Map<string, { reader: ShardReader; done: Promise<void> }>();
  private describeTimer: NodeJS.Timeout | undefined;
  readonly counters: StreamCounters = { batches: 0, records: 0, filteredOut: 0, failedBatches: 0, retries: 0, sentToOnFailure: 0 };

  constructor(private readonly options: StreamPollerOptions) {
    for (const mapping of Object.values(options.stack.streamMappings)) {
      mapping.filterPatterns.forEach((pattern, index) => validateFilterPattern(pattern, `${mapping.functionLogicalId} ${mapping.eventId} filter ${index + 1}`));
    }
  }

  /** Resolves once every shard has an iterator: changes made afterwards reach the functions. */
  async start(): Promise<void> {
    const mappings = Object.values(this.options.stack.streamMappings);
    await Promise.all(mappings.map((mapping) => this.discoverShards(mapping, true)));
    const interval = this.options.describeIntervalMs ?? 5000;
    if (mappings.length > 0) {
      this.describeTimer = setInterval(() => {
        for (const mapping of mappings) {
          this.discoverShards(mapping, false).catch((error: Error) => {
            if (!this.abort.signal.aborted) this.options.onProblem?.(`describing ${mapping.streamArn} failed: ${error.message}`);
          });
        }
      }, interval);
      this.describeTimer.unref();
    }
  }

  private async discoverShards(mapping: StreamMappingSpec, atStart: boolean): Promise<void> {
    const { streams } = this.options;
    const signal = this.abort.signal;
    const described = await streams.send(new DescribeStreamCommand({ StreamArn: mapping.streamArn }), { abortSignal: signal });
    for (const shard of described.StreamDescription?.Shards ?? []) {
      const key = `${mapping.functionLogicalId}|${shard.ShardId}`;
      if (shard.ShardId === undefined || this.readers.has(key) || signal.aborted) continue;
      // At start the mapping begins where the template says; a shard found later is read whole.
      const type = atStart ? mapping.startingPosition : 'TRIM_HORIZON';
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({ StreamArn: mapping.streamArn, ShardId: shard.ShardId, ShardIteratorType: type }),
        { abortSignal: signal },
      );
      const reader = new ShardReader({
        mapping,
        shardId: shard.ShardId,
        iterator: ShardIterator,
        streams,
        sqs: this.options.sqs,
        functions: this.options.functions,
        region: this.options.stack.region,
        signal,
        counters: this.counters,
        pollIntervalMs: this.options.pollIntervalMs ?? 250,
        retryDelayMs: this.options.retryDelayMs ?? 500,
        timeFactor: this.options.timeFactor ?? 1,
        ...(this.options.onProblem ? { onProblem: this.options.onProblem } : {}),
      });
      this.readers.set(key, { reader, done: reader.run() });
    }
  }

  /** Ends every reader; a batch being invoked is abandoned once its invocation returns. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.describeTimer) clearInterval(this.describeTimer);
    await Promise.allSettled([...this.readers.values()].map((entry) => entry.done));
  }
}

function unlimitedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
