import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Deps } from '../shared/deps.js';
import { streamBatchHandler } from '../shared/handler-kit.js';
import { MetricName, MetricUnit } from '../shared/powertools.js';
import { runtimeDeps } from '../shared/runtime.js';
import { handleRegistryChanges } from '../core/registry-stream/batch.js';
import { type ChangeRecord, parseStreamRecord } from '../core/registry-stream/transitions.js';

/**
 * RegistryStreamFunction: the registry table's stream (NEW_AND_OLD_IMAGES, ReportBatchItemFailures).
 * Completes drains whose last session closed, fails waits of tasks that stopped, and keeps ECS
 * scale-in protection in step with the session count. A record it cannot read is logged and
 * skipped (a retry would read it no better); only retryable failures are reported back.
 */
export async function handleStreamEvent(deps: Deps, event: DynamoDBStreamEvent, timeLeftMs?: () => number): Promise<DynamoDBBatchResponse> {
  // Only the event source mapping invokes this function, but a hand-made invoke must not throw either.
  const batch: unknown = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(batch)) {
    deps.logger.error('registry stream event skipped: not a batch of stream records', { reason: 'the event has no Records array' });
    deps.metrics.addMetric(MetricName.EventsRejected, MetricUnit.Count, 1);
    return { batchItemFailures: [] };
  }
  const records: ChangeRecord[] = [];
  for (const raw of batch) {
    const parsed = parseStreamRecord(raw);
    if (parsed.kind === 'task') records.push(parsed.record);
    else if (parsed.kind === 'invalid') {
      deps.logger.error('registry stream record skipped: unreadable', { sequenceNumber: parsed.sequenceNumber, reason: parsed.reason });
      deps.metrics.addMetric(MetricName.EventsRejected, MetricUnit.Count, 1);
    }
  }
  const outcome = await handleRegistryChanges(deps, records, timeLeftMs);
  deps.logger.info('registry stream batch handled', {
    records: batch.length,
    taskRecords: records.length,
    drainsCompleted: outcome.drainsCompleted,
    waitsFailedTaskGone: outcome.waitsFailedTaskGone,
    protectionCalls: outcome.protectionCalls,
    failed: outcome.failedSequenceNumbers.length,
  });
  return { batchItemFailures: outcome.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = streamBatchHandler(handleStreamEvent, runtimeDeps);
