import type { EcsTwin } from '../twin/index.js';

/** Read-only questions scenarios ask the twin, in one place so that they read like the scenario. */
export function serviceTasks(twin: EcsTwin, serviceName: string, clusterName?: string) {
  return twin.snapshot().tasks.filter((task) => task.serviceName === serviceName && (clusterName === undefined || task.clusterArn.endsWith(`/${clusterName}`)));
}

export function runningTasks(twin: EcsTwin, serviceName: string, clusterName?: string) {
  return serviceTasks(twin, serviceName, clusterName).filter((task) => task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING');
}

export function liveTasks(twin: EcsTwin, serviceName: string, clusterName?: string) {
  return serviceTasks(twin, serviceName, clusterName).filter((task) => task.lastStatus !== 'STOPPED');
}

export function service(twin: EcsTwin, serviceName: string, clusterName?: string) {
  return twin.snapshot().services.find((candidate) => candidate.serviceName === serviceName && (clusterName === undefined || candidate.clusterArn.endsWith(`/${clusterName}`)));
}

/** The rollout state of a deployment, as DescribeServices would report it. */
export function deploymentState(twin: EcsTwin, serviceName: string, deploymentId: string, clusterName?: string): string | undefined {
  return service(twin, serviceName, clusterName)?.deployments.find((deployment) => deployment.id === deploymentId)?.rolloutState;
}
