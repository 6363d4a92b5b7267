import type { CircuitBreakerSettings } from './circuit-breaker.js';
import { invalidParameter } from './errors.js';
import type { FargateCapacityProvider, TwinService } from './model.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * The service settings rolling updates depend on, as CreateService / UpdateService take them.
 * Which UpdateService parameters start a new deployment is documented per parameter
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html, "This
 * parameter triggers a new service deployment"): taskDefinition, networkConfiguration,
 * platformVersion, loadBalancers, serviceRegistries, serviceConnectConfiguration,
 * volumeConfigurations, vpcLatticeConfigurations, and forceNewDeployment. desiredCount,
 * deploymentConfiguration, capacityProviderStrategy and healthCheckGracePeriodSeconds "don't
 * trigger a new service deployment".
 */

/** Parameters of a service revision besides its task definition: changing one starts a deployment. */
export const REVISION_FIELDS = [
  'networkConfiguration',
  'platformVersion',
  'loadBalancers',
  'serviceRegistries',
  'serviceConnectConfiguration',
  'volumeConfigurations',
  'vpcLatticeConfigurations',
] as const;
export type RevisionField = (typeof REVISION_FIELDS)[number];
/** Kept as given (plain JSON): the twin reports them back, it does not act on them. */
export type DeploymentRevisionConfig = Partial<Record<RevisionField, unknown>>;

export interface RollingServiceSpec extends DeploymentRevisionConfig {
  /** Seconds after RUNNING until the container health check passes (30); false: the task definition defines none. */
  healthCheckSeconds?: number | false;
  /** Behind a load balancer: seconds after RUNNING until the target is healthy (30 when the service has a load balancer). */
  targetHealthCheckSeconds?: number;
  /** Seconds the scheduler ignores failing health checks after a task started (0). */
  healthCheckGracePeriodSeconds?: number;
  deploymentCircuitBreaker?: CircuitBreakerSettings;
}

export interface RollingServiceChange extends DeploymentRevisionConfig {
  healthCheckGracePeriodSeconds?: number;
  deploymentCircuitBreaker?: CircuitBreakerSettings;
  /** capacityProviderStrategy, as the one Fargate provider the twin models; null: back to the launch type. */
  capacityProvider?: FargateCapacityProvider | null;
}

/** What records.ts adds to a new service. */
export function rollingFieldsOf(spec: RollingServiceSpec): Partial<TwinService> {
  const seconds = (field: string, value: number | undefined) => {
    if (value !== undefined && !(value >= 0)) throw invalidParameter(`${field} must be >= 0, got ${value}.`);
    return value;
  };
  if (spec.healthCheckSeconds !== false) seconds('healthCheckSeconds', spec.healthCheckSeconds);
  seconds('targetHealthCheckSeconds', spec.targetHealthCheckSeconds);
  seconds('healthCheckGracePeriodSeconds', spec.healthCheckGracePeriodSeconds);
  const configuration = revisionOf(spec);
  return {
    ...definedOnly({ healthCheckSeconds: spec.healthCheckSeconds, targetHealthCheckSeconds: spec.targetHealthCheckSeconds, healthCheckGracePeriodSeconds: spec.healthCheckGracePeriodSeconds }),
    ...(spec.deploymentCircuitBreaker === undefined ? {} : { deploymentCircuitBreaker: { ...spec.deploymentCircuitBreaker } }),
    ...(Object.keys(configuration).length === 0 ? {} : { configuration }),
  };
}

/** Applies a change to the service; true when it starts a new deployment. */
export function applyRollingChange(service: TwinService, change: RollingServiceChange): boolean {
  if (change.healthCheckGracePeriodSeconds !== undefined) {
    if (!(change.healthCheckGracePeriodSeconds >= 0)) throw invalidParameter('healthCheckGracePeriodSeconds must be >= 0.');
    service.healthCheckGracePeriodSeconds = change.healthCheckGracePeriodSeconds;
  }
  if (change.deploymentCircuitBreaker !== undefined) service.deploymentCircuitBreaker = { ...change.deploymentCircuitBreaker };
  if (change.capacityProvider !== undefined) {
    if (service.launchType === 'EC2' && change.capacityProvider !== null) throw invalidParameter('The twin moves only Fargate services between capacity providers.');
    // Tasks launched from now on use it; the running ones stay where they are (no deployment).
    if (change.capacityProvider === null) delete service.capacityProvider;
    else service.capacityProvider = change.capacityProvider;
  }
  const revision = revisionOf(change);
  if (Object.keys(revision).length === 0) return false;
  service.configuration = { ...service.configuration, ...revision };
  return true;
}

/** True when the service has a load balancer whose target health the scheduler waits for. */
export function behindLoadBalancer(service: TwinService): boolean {
  const balancers = service.configuration?.loadBalancers;
  return (Array.isArray(balancers) && balancers.length > 0) || service.deregistrationDelaySeconds !== undefined || service.targetHealthCheckSeconds !== undefined;
}

function revisionOf(source: DeploymentRevisionConfig): DeploymentRevisionConfig {
  const revision: DeploymentRevisionConfig = {};
  for (const field of REVISION_FIELDS) if (source[field] !== undefined) revision[field] = source[field];
  return revision;
}
