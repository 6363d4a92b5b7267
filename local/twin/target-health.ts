import type { ScaledClock } from '../cloud/clock.js';
import type { TaskLastStatus, TaskDesiredStatus, TwinService, TwinTask } from './model.js';
import { behindLoadBalancer } from './rolling-settings.js';
import type { TwinStore } from './store.js';

/*
 * The target groups of services behind a load balancer, as Elastic Load Balancing reports them
 * (DescribeTargetHealth). ECS registers a service task with each target group of its service
 * once the task is RUNNING: an awsvpc task as an `ip` target (its private IPv4 address and the
 * container port), a bridge or host mode EC2 task as an `instance` target (its container
 * instance's EC2 instance id and the host port its network binding for the container port names:
 * dynamic in bridge mode, the container port in host mode; network.ts).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html
 *
 * States (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html):
 * - initial, Elb.RegistrationInProgress for the first REGISTRATION_SECONDS, then
 *   Elb.InitialHealthChecking;
 * - healthy once the target passed its health checks: the moment TaskHealth (health.ts) reports,
 *   targetHealthCheckSeconds after RUNNING, the same moment the scheduler counts the task;
 * - unhealthy (Target.FailedHealthChecks) when a broken revision's checks fail;
 * - draining (Target.DeregistrationInProgress) while ECS deregisters the task
 *   (TaskLifecycle.deregisterThenStop: RUNNING, desiredStatus STOPPED, no stoppingAt yet);
 * - gone from the target group once deregistered (the stop goes on), or once the task no longer
 *   runs. A target the caller names that is not registered is `unused` (Target.NotRegistered).
 * Every target group of a service sees the same checks: one state per task.
 */

export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';

/** One TargetHealthDescription, as the Query API returns it (PascalCase members). */
export interface TargetHealthDescription {
  Target: { Id: string; Port: number };
  HealthCheckPort: string;
  TargetHealth: { State: TargetHealthState; Reason?: string; Description?: string };
}

/** A target a DescribeTargetHealth request names (Targets.member.N). */
export interface TargetRequest {
  id: string;
  port?: number;
}

interface Registration {
  targetGroupArn: string;
  id: string;
  port: number;
}

interface TrackedTarget {
  state: Exclude<TargetHealthState, 'unused'>;
  registeredAt: number;
  registrations: Registration[];
}

/** Scenario seconds a new target stays in Elb.RegistrationInProgress before its health checks start (assumed; AWS gives no figure). */
export const REGISTRATION_SECONDS = 5;

const REASONS: Record<Exclude<TargetHealthState, 'healthy'>, { Reason: string; Description: string }> = {
  initial: { Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' },
  unhealthy: { Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' },
  draining: { Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' },
  unused: { Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
};
const REGISTERING = { Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' };

/** A service's load balancers (API_LoadBalancer) that name a target group. */
export function targetGroupsOf(loadBalancers: unknown): { targetGroupArn: string; containerPort: number }[] {
  if (!Array.isArray(loadBalancers)) return [];
  return loadBalancers.flatMap((entry: unknown) => {
    const balancer = (entry ?? {}) as Record<string, unknown>;
    const arn = balancer.targetGroupArn;
    return typeof arn === 'string' && arn !== '' ? [{ targetGroupArn: arn, containerPort: Number(balancer.containerPort ?? 0) }] : [];
  });
}

/** The target groups a task of this deployment of the service registers with: the deployment's load balancers, else the service's. */
export function targetGroupsOfDeployment(service: TwinService, deploymentId: string | undefined): { targetGroupArn: string; containerPort: number }[] {
  const deployment = service.deployments.find((candidate) => candidate.id === deploymentId);
  return targetGroupsOf((deployment?.configuration ?? service.configuration)?.loadBalancers);
}

/** The container ports a task of this deployment serves its load balancers on (bound on the instance in bridge and host mode). */
export function loadBalancerPorts(service: TwinService, deploymentId: string | undefined): number[] {
  return targetGroupsOfDeployment(service, deploymentId).map((group) => group.containerPort);
}

export class TargetHealthBook {
  private readonly targets = new Map<string, TrackedTarget>();

  constructor(
    private readonly clock: ScaledClock,
    private readonly store: TwinStore,
  ) {}

  /** Every published task change: registers a task reaching RUNNING, drains and removes stopping ones. */
  taskChanged(task: TwinTask, previous: { lastStatus: TaskLastStatus; desiredStatus: TaskDesiredStatus }): void {
    const running = task.lastStatus === 'RUNNING';
    if (running && task.desiredStatus === 'RUNNING' && previous.lastStatus !== 'RUNNING') return this.register(task);
    const target = this.targets.get(task.taskArn);
    if (target === undefined || (running && task.desiredStatus === 'RUNNING')) return;
    // deregisterThenStop reports the task RUNNING, STOPPED desired and no stoppingAt until deregistration completes.
    if (running && task.stoppingAt === undefined) target.state = 'draining';
    else this.targets.delete(task.taskArn);
  }

  /** The target passed its health checks (health.ts, the moment the scheduler also uses). */
  passed(task: TwinTask): void {
    const target = this.targets.get(task.taskArn);
    if (target?.state === 'initial') target.state = 'healthy';
  }

  /** The revision's checks fail (a broken task definition). */
  failed(task: TwinTask): void {
    const target = this.targets.get(task.taskArn);
    if (target !== undefined && target.state !== 'draining') target.state = 'unhealthy';
  }

  /**
   * The task's target state; undefined when the task's service has no load balancer (nothing to
   * wait for), `unused` for a task of such a service that is not registered (not RUNNING yet, or gone).
   */
  stateOf(taskArn: string): TargetHealthState | undefined {
    const target = this.targets.get(taskArn);
    if (target !== undefined) return target.state;
    const task = this.store.tasks.get(taskArn);
    const service = task === undefined ? undefined : this.serviceOf(task);
    return service !== undefined && behindLoadBalancer(service) ? 'unused' : undefined;
  }

  /** Whether a service of the twin names this target group (now or in one of its deployments). */
  knows(targetGroupArn: string): boolean {
    for (const service of this.store.services.values()) {
      const configurations = [service.configuration, ...service.deployments.map((deployment) => deployment.configuration)];
      if (configurations.some((configuration) => targetGroupsOf(configuration?.loadBalancers).some((group) => group.targetGroupArn === targetGroupArn))) return true;
    }
    return false;
  }

  /** DescribeTargetHealth: every registered target, or the ones named (unused when not registered). */
  describe(targetGroupArn: string, requested?: readonly TargetRequest[]): TargetHealthDescription[] {
    const registered: TargetHealthDescription[] = [];
    for (const target of this.targets.values()) {
      for (const registration of target.registrations) {
        if (registration.targetGroupArn === targetGroupArn) registered.push(this.description(registration, target));
      }
    }
    if (requested === undefined || requested.length === 0) return registered;
    return requested.map((wanted) => {
      const found = registered.find((description) => description.Target.Id === wanted.id && (wanted.port === undefined || description.Target.Port === wanted.port));
      if (found !== undefined) return found;
      const port = wanted.port ?? 0;
      return { Target: { Id: wanted.id, Port: port }, HealthCheckPort: String(port), TargetHealth: { State: 'unused', ...REASONS.unused } };
    });
  }

  private description(registration: Registration, target: TrackedTarget): TargetHealthDescription {
    const health =
      target.state === 'healthy'
        ? { State: target.state }
        : target.state === 'initial' && this.clock.scenarioSeconds(Date.now() - target.registeredAt) < REGISTRATION_SECONDS
          ? { State: target.state, ...REGISTERING }
          : { State: target.state, ...REASONS[target.state] };
    return { Target: { Id: registration.id, Port: registration.port }, HealthCheckPort: String(registration.port), TargetHealth: health };
  }

  private register(task: TwinTask): void {
    const service = this.serviceOf(task);
    if (service === undefined || !behindLoadBalancer(service)) return;
    const groups = targetGroupsOfDeployment(service, task.deploymentId);
    const registrations = groups.flatMap((group): Registration[] => {
      const address = task.networkInterface?.privateIPv4Address;
      if (address !== undefined) return [{ targetGroupArn: group.targetGroupArn, id: address, port: group.containerPort }];
      const instance = task.containerInstanceArn === undefined ? undefined : this.store.instances.get(task.containerInstanceArn);
      const binding = task.networkBindings?.find((candidate) => candidate.containerPort === group.containerPort);
      return instance === undefined || binding === undefined ? [] : [{ targetGroupArn: group.targetGroupArn, id: instance.ec2InstanceId, port: binding.hostPort }];
    });
    this.targets.set(task.taskArn, { state: 'initial', registeredAt: Date.now(), registrations });
  }

  private serviceOf(task: TwinTask): TwinService | undefined {
    if (task.serviceName === undefined) return undefined;
    const cluster = this.store.clusters.get(task.clusterArn);
    return cluster === undefined ? undefined : this.store.findService(cluster, task.serviceName);
  }
}
