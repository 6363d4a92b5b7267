/* Load balancer target health: behind a load balancer, a task takes sessions only once its targets are healthy. */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LoadBalancer, Service, Task } from '@aws-sdk/client-ecs';
import type { Deps } from '../../shared/deps.js';
import { asRetryable } from '../ecs/errors.js';
import { describeContainerInstances } from '../ecs/lookups.js';

/** An awsvpc task's address: ECS registers it as an `ip` target on the container port. */
export function privateIpOf(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (attachment.type !== 'ElasticNetworkInterface' && attachment.type !== 'eni') continue;
    const ip = attachment.details?.find((detail) => detail.name === 'privateIPv4Address')?.value;
    if (ip !== undefined && ip !== '') return ip;
  }
  return undefined;
}

/**
 * The host port a bridge or host mode task's container answers on for a load balancer: ECS
 * registers the task as an `instance` target, its container instance's EC2 instance id and this
 * port (dynamic from the ephemeral range in bridge mode with hostPort 0, the container port in
 * host mode). DescribeTasks shows it in the container's networkBindings once the task is RUNNING
 * (API_NetworkBinding). https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html
 */
export function hostPortOf(task: Task, balancer: Pick<LoadBalancer, 'containerName' | 'containerPort'>): number | undefined {
  const containers = (task.containers ?? []).filter((container) => balancer.containerName === undefined || container.name === balancer.containerName);
  for (const container of containers) {
    const binding = container.networkBindings?.find((candidate) => balancer.containerPort === undefined || candidate.containerPort === balancer.containerPort);
    if (binding?.hostPort !== undefined) return binding.hostPort;
  }
  return undefined;
}

/** A target as DescribeTargetHealth names it; port undefined: any port of the target. */
interface TargetKey {
  id: string;
  port: number | undefined;
}

/**
 * The task's target in one target group: an `ip` target for an awsvpc task, an `instance` target
 * for a bridge or host mode task. Undefined while it cannot be told (no address or binding yet).
 */
function targetOf(task: Task, balancer: LoadBalancer, instanceIds: ReadonlyMap<string, string>): TargetKey | undefined {
  const ip = privateIpOf(task);
  if (ip !== undefined) return { id: ip, port: balancer.containerPort };
  const instanceId = task.containerInstanceArn === undefined ? undefined : instanceIds.get(task.containerInstanceArn);
  const port = hostPortOf(task, balancer);
  return instanceId === undefined || port === undefined ? undefined : { id: instanceId, port };
}

/** EC2 instance ids of the container instances that bridge and host mode tasks run on (one DescribeContainerInstances per 100). */
async function instanceIdsOf(deps: Pick<Deps, 'ecs'>, clusterArn: string | undefined, tasks: readonly Task[]): Promise<Map<string, string>> {
  const arns = [...new Set(tasks.filter((task) => privateIpOf(task) === undefined && task.containerInstanceArn !== undefined).map((task) => task.containerInstanceArn as string))];
  if (arns.length === 0 || clusterArn === undefined) return new Map();
  const instances = await describeContainerInstances(deps, clusterArn, arns);
  return new Map(
    instances.flatMap((instance) => (instance.containerInstanceArn === undefined || instance.ec2InstanceId === undefined ? [] : [[instance.containerInstanceArn, instance.ec2InstanceId] as const])),
  );
}

/**
 * Per task: are its targets healthy in every target group of the service? Undefined when the
 * service has no target group (nothing to wait for). ECS counts a task behind a load balancer
 * toward minimumHealthyPercent only once it passes the target group's health checks
 * (API_DeploymentConfiguration), and the load balancer sends it no session before that: the pacer
 * waits for the same. A task whose target cannot be told yet (no address, no network binding) is
 * left to ECS's own view: RUNNING and not UNHEALTHY.
 */
export async function targetsHealthy(deps: Pick<Deps, 'elb' | 'ecs'>, service: Service, tasks: readonly Task[]): Promise<Map<string, boolean> | undefined> {
  const balancers = (service.loadBalancers ?? []).filter((balancer) => balancer.targetGroupArn !== undefined);
  if (balancers.length === 0) return undefined;
  const [healthyByGroup, instanceIds] = await Promise.all([
    Promise.all(balancers.map(async (balancer) => ({ balancer, healthy: await healthyTargets(deps, balancer.targetGroupArn as string) }))),
    instanceIdsOf(deps, service.clusterArn, tasks),
  ]);
  const verdicts = new Map<string, boolean>();
  for (const task of tasks) {
    if (task.taskArn === undefined) continue;
    const targets = healthyByGroup.map(({ balancer, healthy }) => ({ target: targetOf(task, balancer, instanceIds), healthy }));
    if (targets.some(({ target }) => target === undefined)) continue;
    verdicts.set(
      task.taskArn,
      targets.every(({ target, healthy }) => healthy.has(`${target?.id}:${target?.port ?? '*'}`)),
    );
  }
  return verdicts;
}

/** The group's healthy targets, each as "id:port" and "id:*". */
async function healthyTargets(deps: Pick<Deps, 'elb'>, targetGroupArn: string): Promise<Set<string>> {
  try {
    const page = await deps.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const healthy = new Set<string>();
    for (const description of page.TargetHealthDescriptions ?? []) {
      if (description.TargetHealth?.State !== 'healthy' || description.Target?.Id === undefined) continue;
      healthy.add(`${description.Target.Id}:${description.Target.Port ?? ''}`);
      healthy.add(`${description.Target.Id}:*`);
    }
    return healthy;
  } catch (error) {
    throw asRetryable(error, 'DescribeTargetHealth');
  }
}
