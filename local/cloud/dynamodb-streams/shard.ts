import { randomUUID } from 'node:crypto';
import { type DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LambdaApiError } from '../errors.js';
import type { FunctionInvoker, InvokeResult } from '../lambda/host.js';
import type { StreamMappingSpec } from '../stack/model.js';
import { type LambdaStreamRecord, passesFilters, toLambdaRecord } from './records.js';
import { sleep } from '../timing.js';

/**
 * One shard of an event source mapping: records are read in order, filtered, batched (BatchSize
 * within MaximumBatchingWindowInSeconds) and handed to the function one batch at a time, so a
 * shard's records are never processed out of order. A failed batch is retried from its first
 * failed record (ReportBatchItemFailures), split in two on function errors when
 * BisectBatchOnFunctionError says so, and after MaximumRetryAttempts (or MaximumRecordAgeInSeconds)
 * described to the OnFailure queue and skipped.
 *
 * The checkpoint semantics are Lambda's, which the handlers must survive: on a partial failure the
 * mapping checkpoints at the lowest failed sequence number and the next delivery holds every later
 * record of the batch again, other items' included, and nothing beyond the batch ("Lambda uses the
 * record with the lowest sequence number as the checkpoint. Lambda then retries all records
 * starting from that checkpoint"; with BisectBatchOnFunctionError "the batch is bisected at the
 * returned sequence number and Lambda retries only the remaining records":
 * docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html). Retries count per
 * batch, a partial success included, so a batch whose failure moves on at each delivery still ends
 * after MaximumRetryAttempts; splitting a batch does not count ("Splitting a batch does not count
 * towards the retry quota": docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
 */

export interface StreamCounters {
  batches: number;
  records: number;
  filteredOut: number;
  failedBatches: number;
  retries: number;
  sentToOnFailure: number;
}

export interface ShardReaderOptions {
  mapping: StreamMappingSpec;
  shardId: string;
  iterator: string | undefined;
  streams: DynamoDBStreamsClient;
  sqs: SQSClient;
  functions: FunctionInvoker;
  region: string;
  signal: AbortSignal;
  counters: StreamCounters;
  pollIntervalMs: number;
  retryDelayMs: number;
  timeFactor: number;
  onProblem?: (message: string) => void;
}

/**
 * Index of the first record to retry from, per ReportBatchItemFailures: -1 when the batch
 * succeeded; 0 (the whole batch) when the response names a record that is not in the batch.
 */
export function firstFailedIndex(payload: unknown, batch: LambdaStreamRecord[]): number {
  const failures = (payload as { batchItemFailures?: Array<{ itemIdentifier?: unknown }> } | null)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return -1;
  let first = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const index = batch.findIndex((record) => record.dynamodb.SequenceNumber === failure?.itemIdentifier);
    if (index < 0) return 0;
    first = Math.min(first, index);
  }
  return first;
}

export class ShardReader {
  private iterator: string | undefined;
  private readonly buffer: LambdaStreamRecord[] = [];
  private firstBufferedAt: number | undefined;

  constructor(private readonly options: ShardReaderOptions) {
    this.iterator = options.iterator;
  }

  async run(): Promise<void> {
    const { mapping, signal, pollIntervalMs, timeFactor } = this.options;
    const windowMs = mapping.maximumBatchingWindowInSeconds * 1000 * timeFactor;
    while (!signal.aborted) {
      try {
        if (this.iterator !== undefined && this.buffer.length < mapping.batchSize) await this.fetch();
        if (this.buffer.length === 0) {
          if (this.iterator === undefined) return; // the shard is closed and fully processed
          await sleep(pollIntervalMs, signal);
          continue;
        }
        this.firstBufferedAt ??= Date.now();
        const waited = Date.now() - this.firstBufferedAt;
        if (this.buffer.length < mapping.batchSize && waited < windowMs && this.iterator !== undefined) {
          await sleep(Math.min(pollIntervalMs, windowMs - waited), signal);
          continue;
        }
        await this.processHead();
        // Records still buffered have waited at least as long as the batch just sent: no new window.
        if (this.buffer.length === 0) this.firstBufferedAt = undefined;
      } catch (error) {
        if (signal.aborted) return;
        this.options.onProblem?.(`stream ${mapping.streamArn} shard ${this.options.shardId}: ${(error as Error).message}`);
        await sleep(1000, signal);
      }
    }
  }

  private async fetch(): Promise<void> {
    const { mapping, streams, signal, counters, region } = this.options;
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: 1000 }), { abortSignal: signal });
    this.iterator = page.NextShardIterator;
    for (const raw of page.Records ?? []) {
      const record = toLambdaRecord(raw, mapping.streamArn, region);
      if (passesFilters(mapping.filterPatterns, record)) this.buffer.push(record);
      else counters.filteredOut += 1;
    }
  }

  /** Processes batches from the head of the buffer until one succeeds or is given up on. */
  private async processHead(): Promise<void> {
    const { mapping, signal, counters, functions, timeFactor } = this.options;
    let limit = mapping.batchSize;
    // Retries of this batch, whichever of its records failed: they count per batch, not per record.
    let attempts = 0;
    let throttled = 0;
    while (this.buffer.length > 0 && !signal.aborted) {
      const batch = this.buffer.slice(0, limit);
      const head = batch[0] as LambdaStreamRecord;
      const maxAgeMs = mapping.maximumRecordAgeInSeconds * 1000 * timeFactor;
      if (mapping.maximumRecordAgeInSeconds >= 0 && Date.now() - head.dynamodb.ApproximateCreationDateTime * 1000 > maxAgeMs) {
        await this.giveUp(batch, 'RecordAgeExceeded', attempts, undefined);
        return;
      }
      let result: InvokeResult;
      try {
        result = await functions.invoke(mapping.functionArn, { Records: batch }, { invocationType: 'RequestResponse' });
      } catch (error) {
        // Throttling and service errors are retried until the records expire, not counted as attempts.
        if (!(error instanceof LambdaApiError)) throw error;
        throttled += 1;
        await sleep(this.options.retryDelayMs * 2 ** Math.min(throttled - 1, 5), signal);
        continue;
      }
      if (signal.aborted) return;
      counters.batches += 1;
      let failedFrom: number;
      if (result.functionError === undefined) {
        failedFrom = mapping.reportBatchItemFailures ? firstFailedIndex(result.payload, batch) : -1;
        if (failedFrom < 0) {
          counters.records += batch.length;
          this.buffer.splice(0, batch.length);
          return;
        }
        // Records before the first failure are done: the mapping checkpoints there, and the retry
        // holds the rest of this batch, no record that was not in it.
        counters.records += failedFrom;
        this.buffer.splice(0, failedFrom);
        limit = batch.length - failedFrom;
      } else if (mapping.bisectBatchOnFunctionError && batch.length > 1) {
        counters.failedBatches += 1;
        limit = Math.ceil(batch.length / 2);
        continue;
      } else {
        failedFrom = 0;
      }
      counters.failedBatches += 1;
      attempts += 1;
      if (mapping.maximumRetryAttempts >= 0 && attempts > mapping.maximumRetryAttempts) {
        await this.giveUp(batch.slice(failedFrom), 'RetryAttemptsExhausted', attempts, result);
        return;
      }
      counters.retries += 1;
      await sleep(this.options.retryDelayMs * 2 ** Math.min(attempts - 1, 5), signal);
    }
  }

  /** Lambda's OnFailure record for a stream batch, then the batch is skipped. */
  private async giveUp(batch: LambdaStreamRecord[], condition: string, attempts: number, result: InvokeResult | undefined): Promise<void> {
    const { mapping, counters, sqs, shardId } = this.options;
    this.buffer.splice(0, batch.length);
    counters.sentToOnFailure += 1;
    const first = batch[0];
    const last = batch.at(-1);
    const arrival = (record: LambdaStreamRecord | undefined) =>
      record === undefined ? undefined : new Date(record.dynamodb.ApproximateCreationDateTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const record = {
      requestContext: { requestId: randomUUID(), functionArn: mapping.functionArn, condition, approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(result?.functionError ? { functionError: result.functionError } : {}) },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first?.dynamodb.SequenceNumber,
        endSequenceNumber: last?.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: arrival(first),
        approximateArrivalOfLastRecord: arrival(last),
        batchSize: batch.length,
        streamArn: mapping.streamArn,
      },
    };
    if (mapping.onFailure === undefined) {
      this.options.onProblem?.(`${mapping.functionLogicalId}: ${batch.length} stream records skipped (${condition}); the mapping has no OnFailure destination`);
      return;
    }
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: mapping.onFailure.url, MessageBody: JSON.stringify(record) }));
    } catch (error) {
      this.options.onProblem?.(`${mapping.functionLogicalId}: the OnFailure record could not be sent: ${(error as Error).message}`);
    }
  }
}
