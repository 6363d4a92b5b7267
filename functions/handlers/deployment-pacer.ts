import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { paceService } from '../core/deployments/pace-service.js';
import { parseStreamRecord } from '../core/registry-stream/transitions.js';
import { parseServiceTaskRunning } from '../events/ecs.js';
import { isClusterInScope } from '../shared/config.js';
import type { Deps } from '../shared/deps.js';
import { eventBridgeHandler, streamBatchHandler } from '../shared/handler-kit.js';
import { MetricName, MetricUnit } from '../shared/powertools.js';
import { runtimeDeps } from '../shared/runtime.js';

/**
 * DeploymentPacerFunction: a service may spare one more of the tasks its deployment replaces once a
 * new task can take sessions. Two things say so: ECS (a service task RUNNING, or its health status
 * changing) and the task itself (its registration in the registry, through the table's stream).
 * Either way the service's state decides (paceService), so duplicates and reordering are harmless.
 */
export function createHandler(getDeps: () => Deps = runtimeDeps) {
  const onTaskRunning = eventBridgeHandler(
    {
      name: 'deployment-pacer',
      parse: parseServiceTaskRunning,
      clusterOf: (event) => event.clusterArn,
      keysOf: (event) => ({ taskArn: event.taskArn, serviceName: event.serviceName }),
      run: (deps, event) => paceService(deps, { clusterArn: event.clusterArn, service: event.serviceName }, { skipSettled: true }),
    },
    getDeps,
  );
  const onRegistrations = streamBatchHandler(paceRegisteredServices, getDeps);
  return (event: unknown, context?: Context) => (isStreamBatch(event) ? onRegistrations(event, context) : onTaskRunning(event, context));
}

/** The registry stream's batches; anything else (an S3 or SQS batch included) is taken for an EventBridge event and refused there. */
function isStreamBatch(event: unknown): event is DynamoDBStreamEvent {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((record) => (record as { eventSource?: unknown } | null)?.eventSource === 'aws:dynamodb');
}

/** New task items, from the mapping's INSERT filter: pace each service once per batch. */
async function paceRegisteredServices(deps: Deps, event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const services = new Map<string, { clusterArn: string; service: string }>();
  for (const raw of event.Records) {
    const parsed = parseStreamRecord(raw);
    if (parsed.kind === 'invalid') {
      deps.logger.error('registry stream record skipped: unreadable', { sequenceNumber: parsed.sequenceNumber, reason: parsed.reason });
      deps.metrics.addMetric(MetricName.EventsRejected, MetricUnit.Count, 1);
      continue;
    }
    const image = parsed.kind === 'task' ? parsed.record.newImage : undefined;
    if (image?.clusterArn === undefined || image.serviceName === undefined || !isClusterInScope(deps.config, image.clusterArn)) continue;
    services.set(`${image.clusterArn}#${image.serviceName}`, { clusterArn: image.clusterArn, service: image.serviceName });
  }
  // A failure throws: the mapping retries the batch, and pacing again is harmless.
  for (const ref of services.values()) {
    const result = await paceService(deps, ref, { skipSettled: true });
    deps.logger.info('registration paced its service', { result });
  }
  return { batchItemFailures: [] };
}

export const handler = createHandler();
