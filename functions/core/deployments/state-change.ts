import type { Deps } from '../../shared/deps.js';
import type { Ignored } from '../../shared/handler-kit.js';
import type { DeploymentEvent } from '../../events/ecs.js';
import { paceService, type PaceSummary } from './pace-service.js';

export const DEPLOYMENT_IN_PROGRESS = 'SERVICE_DEPLOYMENT_IN_PROGRESS';

export interface DeploymentDrainSummary extends PaceSummary {
  event: string;
  eventDeploymentId: string;
  rollback: boolean;
}

/**
 * A deployment started, ended or failed. Whatever the event says, the service's current state
 * decides (paceService): tasks the PRIMARY deployment did not start are drained at ECS's pace, and
 * drains of tasks the PRIMARY keeps (a rollback, a superseded deployment) or of a FAILED deployment
 * are cancelled. A late or repeated event therefore changes nothing that the state does not call for.
 */
export async function handleDeploymentEvent(deps: Deps, event: DeploymentEvent): Promise<DeploymentDrainSummary | Ignored> {
  const paced = await paceService(deps, { clusterArn: event.clusterArn, service: event.serviceArn });
  if ('ignored' in paced) return paced;
  return {
    ...paced,
    event: event.eventName,
    eventDeploymentId: event.deploymentId,
    rollback: /roll(ing|ed)? ?back/i.test(event.reason ?? ''),
  };
}
