import type { TwinTask } from '../../../twin/index.js';
import { CLUSTER, runningOf, serviceSnapshot, startService, startTwin, taskDefinition, tasksOf, type TwinHarness, waitFor } from './support.js';

/** What the rolling deployment tests read from the twin's deployment state change events. */
export interface DeploymentEventSummary {
  eventType: unknown;
  eventName: unknown;
  deploymentId: unknown;
  reason: unknown;
}

export function deploymentEvents(harness: TwinHarness): DeploymentEventSummary[] {
  return harness.events
    .filter((event) => event['detail-type'] === 'ECS Deployment State Change')
    .map(({ detail }) => ({ eventType: detail.eventType, eventName: detail.eventName, deploymentId: detail.deploymentId, reason: detail.reason }));
}

export function primaryOf(harness: TwinHarness, name: string) {
  const primary = serviceSnapshot(harness.twin, name).deployments[0];
  if (primary === undefined) throw new Error(`${name} has no deployment`);
  return primary;
}

/** Waits until the service's only deployment is the given one (or the PRIMARY) and it COMPLETED. */
export async function steadyOn(harness: TwinHarness, name: string, deploymentId?: string, timeoutMs = 5000): Promise<void> {
  await waitFor(
    `${name} steady${deploymentId === undefined ? '' : ` on ${deploymentId}`}`,
    () => {
      const deployments = serviceSnapshot(harness.twin, name).deployments;
      return deployments.length === 1 && deployments[0]?.rolloutState === 'COMPLETED' && (deploymentId === undefined || deployments[0].id === deploymentId);
    },
    timeoutMs,
  );
}

/** Tasks the service still wants (PROVISIONING to RUNNING, not asked to stop). */
export function wantedTasks(harness: TwinHarness, name: string): TwinTask[] {
  return tasksOf(harness.twin, name).filter((task) => task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED');
}

/** DescribeServices for one service of the test cluster. */
export async function describeService(harness: TwinHarness, name: string): Promise<Record<string, unknown> & { deployments: Record<string, unknown>[] }> {
  const response = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: [name] })) as { services: (Record<string, unknown> & { deployments: Record<string, unknown>[] })[] };
  const service = response.services[0];
  if (service === undefined) throw new Error(`DescribeServices found no ${name}`);
  return service;
}

/** A steady service on revision 1, then revision 2 deployed; revision 2's tasks take long to pass their health check (8 s real: the deployment stays IN_PROGRESS on a loaded machine). */
export async function midDeployment(options: Parameters<typeof startTwin>[0] = {}) {
  const harness = startTwin(options);
  await startService(harness, { name: 'chat', desiredCount: 2 });
  const first = primaryOf(harness, 'chat').id;
  const originals = runningOf(harness.twin, 'chat').map((task) => task.taskArn);
  harness.twin.setTaskDefinitionBehaviour(taskDefinition(2), { healthCheckSeconds: 4000 });
  const second = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
  await waitFor('revision 2 running', () => runningOf(harness.twin, 'chat').some((task) => task.deploymentId === second));
  return { harness, first, second, originals };
}
