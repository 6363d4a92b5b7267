import { clientException, clusterNotFound } from './errors.js';
import type { TwinCluster, TwinContainerInstance, TwinService, TwinTask } from './model.js';
import { isInService, isPendingStatus } from './model.js';
import { TaskDefinitionRegistry } from './task-definition-registry.js';

/**
 * The twin's records and the ways ECS lets callers name them: a cluster by name or ARN, a service
 * by name or ARN, a task or container instance by ARN (long or short format) or bare id.
 */
export class TwinStore {
  readonly clusters = new Map<string, TwinCluster>();
  readonly services = new Map<string, TwinService>();
  /** In creation order, which is also the order ListTasks pages through. */
  readonly tasks = new Map<string, TwinTask>();
  readonly instances = new Map<string, TwinContainerInstance>();
  readonly taskDefinitions: TaskDefinitionRegistry;
  readonly arnPrefix: string;

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {
    this.arnPrefix = `arn:aws:ecs:${region}:${accountId}`;
    this.taskDefinitions = new TaskDefinitionRegistry(this.arnPrefix);
  }

  clusterArnFor(name: string): string {
    return `${this.arnPrefix}:cluster/${name}`;
  }

  /** ECS uses the cluster named "default" when a call names none. */
  resolveCluster(ref: string | undefined): TwinCluster {
    const name = ref === undefined || ref === '' ? 'default' : nameFromArn(ref, 'cluster', this.arnPrefix);
    const cluster = name === undefined ? undefined : this.clusters.get(this.clusterArnFor(name));
    if (cluster === undefined) throw clusterNotFound();
    return cluster;
  }

  /** The ARN ECS reports in failures for a service reference, found or not. */
  serviceArnFor(cluster: TwinCluster, ref: string): string {
    return ref.startsWith('arn:') ? ref : `${this.arnPrefix}:service/${cluster.clusterName}/${ref}`;
  }

  findService(cluster: TwinCluster, ref: string): TwinService | undefined {
    const name = resourceName(ref, 'service', cluster, this.arnPrefix);
    return name === undefined ? undefined : this.services.get(`${this.arnPrefix}:service/${cluster.clusterName}/${name}`);
  }

  findTask(cluster: TwinCluster, ref: string): TwinTask | undefined {
    const id = resourceName(ref, 'task', cluster, this.arnPrefix);
    return id === undefined ? undefined : this.tasks.get(`${this.arnPrefix}:task/${cluster.clusterName}/${id}`);
  }

  findInstance(cluster: TwinCluster, ref: string): TwinContainerInstance | undefined {
    const id = resourceName(ref, 'container-instance', cluster, this.arnPrefix);
    return id === undefined ? undefined : this.instances.get(`${this.arnPrefix}:container-instance/${cluster.clusterName}/${id}`);
  }

  findInstanceByEc2Id(ec2InstanceId: string): TwinContainerInstance | undefined {
    return [...this.instances.values()].find((instance) => instance.ec2InstanceId === ec2InstanceId && instance.status !== 'INACTIVE');
  }

  tasksOfService(service: TwinService): TwinTask[] {
    return [...this.tasks.values()].filter((task) => task.clusterArn === service.clusterArn && task.serviceName === service.serviceName);
  }

  tasksOnInstance(containerInstanceArn: string): TwinTask[] {
    return [...this.tasks.values()].filter((task) => task.containerInstanceArn === containerInstanceArn);
  }

  instanceCounts(containerInstanceArn: string): { runningTasksCount: number; pendingTasksCount: number } {
    const tasks = this.tasksOnInstance(containerInstanceArn);
    return {
      runningTasksCount: tasks.filter((task) => task.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter((task) => isPendingStatus(task.lastStatus)).length,
    };
  }

  /** EC2 placement: an ACTIVE instance of the cluster with the fewest tasks (spread). */
  placeOnInstance(clusterArn: string): TwinContainerInstance | undefined {
    let best: { instance: TwinContainerInstance; load: number } | undefined;
    for (const instance of this.instances.values()) {
      if (instance.clusterArn !== clusterArn || instance.status !== 'ACTIVE' || !instance.agentConnected) continue;
      const load = this.tasksOnInstance(instance.containerInstanceArn).filter(isInService).length;
      if (best === undefined || load < best.load) best = { instance, load };
    }
    return best?.instance;
  }

  /** A revision a scenario names by ARN (createService, deploy, runTask): registered as far as the API is concerned. */
  rememberTaskDefinition(arn: string, now = new Date()): void {
    this.taskDefinitions.remember(arn, now);
  }

  /**
   * "family:revision", a full ARN or a family (its latest revision), as CreateService and
   * UpdateService take it; ClientException "TaskDefinition not found." for a revision nobody
   * registered, the answer ECS gives (seen in AWS CLI and SDK error reports, e.g.
   * github.com/Cloud-CV/EvalAI/issues/2419).
   */
  resolveTaskDefinition(ref: string): string {
    const found = this.taskDefinitions.find(ref);
    if (found === undefined) throw clientException('TaskDefinition not found.');
    return found.taskDefinitionArn;
  }
}

/** The resource name from an ARN of this account and Region, or the reference itself if it is not an ARN. */
function nameFromArn(ref: string, kind: string, arnPrefix: string): string | undefined {
  if (!ref.startsWith('arn:')) return ref;
  const prefix = `${arnPrefix}:${kind}/`;
  return ref.startsWith(prefix) ? ref.slice(prefix.length) : undefined;
}

/** Long format (<kind>/<cluster>/<name>) must name the cluster asked about; short format (<kind>/<name>) may not. */
function resourceName(ref: string, kind: string, cluster: TwinCluster, arnPrefix: string): string | undefined {
  const path = nameFromArn(ref, kind, arnPrefix);
  if (path === undefined) return undefined;
  if (!ref.startsWith('arn:')) return path.includes('/') ? undefined : path;
  const parts = path.split('/');
  if (parts.length === 1) return parts[0];
  if (parts.length === 2 && parts[0] === cluster.clusterName) return parts[1];
  return undefined;
}
