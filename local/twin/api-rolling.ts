import { readCircuitBreaker } from './circuit-breaker.js';
import { asInput, invalidParameter, readInteger, readString } from './errors.js';
import type { FargateCapacityProvider, TwinDeployment, TwinService } from './model.js';
import type { DeploymentRevisionConfig, RevisionField, RollingServiceChange, RollingServiceSpec } from './rolling-settings.js';
import { REVISION_FIELDS } from './rolling-settings.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * UpdateService's rolling update parameters in, DescribeServices' rolling update members out.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
 */

/** healthCheckGracePeriodSeconds may be up to 2,147,483,647 (API_UpdateService). */
const MAX_GRACE_SECONDS = 2_147_483_647;
const LIST_FIELDS = new Set<RevisionField>(['loadBalancers', 'serviceRegistries', 'volumeConfigurations', 'vpcLatticeConfigurations']);

export function readRollingChange(input: Record<string, unknown>): RollingServiceChange {
  const change: RollingServiceChange = readRollingSpec(input);
  const strategy = input.capacityProviderStrategy;
  if (strategy !== undefined && strategy !== null) change.capacityProvider = readCapacityProvider(strategy);
  return change;
}

/** CreateService's rolling update parameters, for a ServiceSpec (the capacity provider strategy is read with the placement). */
export function readRollingSpec(input: Record<string, unknown>): RollingServiceSpec {
  const change: RollingServiceSpec = {};
  const breaker = asInput(input.deploymentConfiguration).deploymentCircuitBreaker;
  if (breaker !== undefined && breaker !== null) change.deploymentCircuitBreaker = readCircuitBreaker(breaker);
  const grace = readInteger(input, 'healthCheckGracePeriodSeconds');
  if (grace !== undefined) {
    if (grace < 0 || grace > MAX_GRACE_SECONDS) throw invalidParameter(`healthCheckGracePeriodSeconds must be between 0 and ${MAX_GRACE_SECONDS}.`);
    change.healthCheckGracePeriodSeconds = grace;
  }
  for (const field of REVISION_FIELDS) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    if (field === 'platformVersion') change.platformVersion = readString(input, field);
    else if (LIST_FIELDS.has(field) !== Array.isArray(value) || typeof value !== 'object') throw invalidParameter(`${field} is malformed.`);
    else change[field] = structuredClone(value);
  }
  return change;
}

/** The twin models one Fargate capacity provider per service; an empty strategy goes back to the launch type. */
function readCapacityProvider(strategy: unknown): FargateCapacityProvider | null {
  if (!Array.isArray(strategy)) throw invalidParameter('capacityProviderStrategy must be a list.');
  if (strategy.length === 0) return null;
  const names = strategy.map((item) => asInput(item).capacityProvider);
  const [name] = names;
  if (names.length > 1 || (name !== 'FARGATE' && name !== 'FARGATE_SPOT')) {
    throw invalidParameter('The twin supports a capacityProviderStrategy of one item, FARGATE or FARGATE_SPOT.');
  }
  return name;
}

/** deploymentConfiguration as DescribeServices reports it, with the circuit breaker as it was set. */
export function deploymentConfigurationView(service: TwinService): Record<string, unknown> {
  return {
    deploymentCircuitBreaker: { ...(service.deploymentCircuitBreaker ?? { enable: false, rollback: false }) },
    maximumPercent: service.maximumPercent,
    minimumHealthyPercent: service.minimumHealthyPercent,
  };
}

/** Service members beyond the twin's basics: the revision settings and the grace period, where set. */
export function rollingServiceView(service: TwinService): Record<string, unknown> {
  return {
    ...revisionView(service.configuration),
    ...definedOnly({ healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds }),
  };
}

/** Deployment members: the circuit breaker's count and the revision settings the deployment runs. */
export function rollingDeploymentView(deployment: TwinDeployment): Record<string, unknown> {
  return { failedTasks: deployment.failedTasks ?? 0, ...revisionView(deployment.configuration) };
}

function revisionView(configuration: DeploymentRevisionConfig | undefined): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const field of REVISION_FIELDS) if (configuration?.[field] !== undefined) view[field] = structuredClone(configuration[field]);
  return view;
}
