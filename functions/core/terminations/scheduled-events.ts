import type { Deps } from '../../shared/deps.js';
import { ignored, type Ignored } from '../../shared/handler-kit.js';
import { definedOnly } from '../../shared/optional.js';
import type { ScheduledMaintenance } from '../../events/health.js';
import { findContainerInstance } from '../ecs/lookups.js';
import { drainInstanceTasks, type InstanceDrainSummary } from '../interruptions/instances.js';

export interface ScheduledMaintenanceSummary {
  eventTypeCode: string;
  deadline: string;
  instances: InstanceDrainSummary[];
  /** Instances the event names that no cluster in scope runs. */
  notInScope: string[];
}

/**
 * EC2 will stop, reboot or retire instances at startTime: their tasks get INSTANCE drains whose
 * deadline is that start, so their sessions end before the maintenance rather than at it (a start
 * further away than MAX_DRAIN_SECONDS is cut to it by "Record drain"). ECS replaces nothing on an
 * ACTIVE instance, so each drain keeps its service's capacity by surging, as a rebalance
 * recommendation's do. A start already past drains at once. A repeated event finds the drains
 * running (startDrain answers already-draining).
 */
export async function handleScheduledMaintenance(deps: Deps, event: ScheduledMaintenance): Promise<ScheduledMaintenanceSummary | Ignored> {
  const now = deps.now();
  const deadline = event.startTime > now ? event.startTime : now;
  const instances: InstanceDrainSummary[] = [];
  const notInScope: string[] = [];
  for (const instanceId of event.instanceIds) {
    const located = await findContainerInstance(deps, instanceId);
    if (located === undefined) {
      notInScope.push(instanceId);
      continue;
    }
    instances.push(await drainInstanceTasks(deps, { ...located, releaseUnregistered: false, deadline, ...definedOnly({ eventTime: event.time }) }));
  }
  if (instances.length === 0) return ignored(`no EC2 instance of ${event.eventTypeCode} (${event.instanceIds.join(', ')}) is a container instance of a cluster in scope`);
  return { eventTypeCode: event.eventTypeCode, deadline: deadline.toISOString(), instances, notInScope };
}
