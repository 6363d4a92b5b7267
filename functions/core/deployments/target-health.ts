/* Load balancer target health: behind a load balancer, a task takes sessions only once its targets are healthy. */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Service, Task } from '@aws-sdk/client-ecs';
import type { Deps } from '../../shared/deps.js';
import { asRetryable } from '../ecs/errors.js';

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
 * Per task: are its targets healthy in every target group of the service? Undefined when the
 * service has no target group (nothing to wait for). ECS counts a task behind a load balancer
 * toward minimumHealthyPercent only once it passes the target group's health checks
 * (API_DeploymentConfiguration), and the load balancer sends it no session before that: the pacer
 * waits for the same. A task whose target cannot be told (bridge or host networking registers the
 * instance and a host port) is left to ECS's own view: RUNNING and not UNHEALTHY.
 */
export async function targetsHealthy(deps: Pick<Deps, 'elb'>, service: Service, tasks: readonly Task[]): Promise<Map<string, boolean> | undefined> {
  const groups = (service.loadBalancers ?? []).filter((balancer) => balancer.targetGroupArn !== undefined);
  if (groups.length === 0) return undefined;
  const healthyByGroup = await Promise.all(
    groups.map(async (group) => {
      try {
        const page = await deps.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.targetGroupArn }));
        const healthy = new Set<string>();
        for (const description of page.TargetHealthDescriptions ?? []) {
          if (description.TargetHealth?.State !== 'healthy' || description.Target?.Id === undefined) continue;
          healthy.add(`${description.Target.Id}:${description.Target.Port ?? ''}`);
          healthy.add(`${description.Target.Id}:*`);
        }
        return { port: group.containerPort, healthy };
      } catch (error) {
        throw asRetryable(error, 'DescribeTargetHealth');
      }
    }),
  );
  const verdicts = new Map<string, boolean>();
  for (const task of tasks) {
    if (task.taskArn === undefined) continue;
    const ip = privateIpOf(task);
    if (ip === undefined) continue;
    verdicts.set(
      task.taskArn,
      healthyByGroup.every((group) => group.healthy.has(`${ip}:${group.port ?? '*'}`)),
    );
  }
  return verdicts;
}
