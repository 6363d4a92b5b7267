/** Deployment controller and strategy of a service: set at CreateService, changed by UpdateService, with the limits ECS puts on each controller. */
import { invalidParameter } from '../errors.js';
import type { IdSource, TwinService } from '../model.js';
import type { ServiceSpec } from '../records.js';
import type { TwinStore } from '../store.js';
import { readController, readStrategy, type StrategySpec, strategyView } from './config.js';
import { newTaskSet } from './task-sets.js';

/** The twin's createService spec: the rolling one, plus controller and strategy; EXTERNAL services need no task definition. */
export type StrategyServiceSpec = Omit<ServiceSpec, 'taskDefinition'> & { taskDefinition?: string } & StrategySpec;

/**
 * buildService (records.ts) wants a task definition; an EXTERNAL service may have none (its task
 * sets bring theirs), so it is built with this one, which nothing ever runs.
 */
export const NO_TASK_DEFINITION = 'arn:aws:ecs:us-east-1:000000000000:task-definition/ecs-twin-external-service-without-task-definition:1';

const STRATEGY_FIELDS = ['strategy', 'bakeTimeInMinutes', 'lifecycleHooks', 'linearConfiguration', 'canaryConfiguration'];

/**
 * Sets controller and strategy on a service built from the spec (before it is stored, so that a
 * refused spec leaves nothing behind). Returns the task definition of the service's first ECS
 * deployment, or undefined when its controller deploys through task sets.
 */
export function configureNewService(store: TwinStore, ids: IdSource, service: TwinService, spec: StrategyServiceSpec, now: Date): string | undefined {
  const controller = readController(spec.deploymentController);
  const strategy = readStrategy(spec.deploymentConfiguration ?? {}, controller);
  if (controller !== 'ECS') service.deploymentController = controller;
  if (strategy !== undefined) service.deploymentStrategy = strategy;
  if (controller === 'EXTERNAL') {
    service.taskSets = [];
    return undefined;
  }
  // "A task definition must be specified if the service uses either the ECS or CODE_DEPLOY deployment controllers." (API_CreateService)
  if (spec.taskDefinition === undefined) throw invalidParameter('A task definition must be specified for a service that uses the ECS or CODE_DEPLOY deployment controller.');
  if (controller === 'CODE_DEPLOY') {
    service.taskSets = [];
    newTaskSet(store, ids, service, { taskDefinitionArn: spec.taskDefinition, startedBy: 'CODE_DEPLOY' }, now);
    return undefined;
  }
  return spec.taskDefinition;
}

/**
 * UpdateService checks and the strategy part of a new deploymentConfiguration. EXTERNAL services
 * change task definitions through new task sets (deployment-type-external.html); CODE_DEPLOY ones
 * through CodeDeploy.
 */
export function applyServiceUpdate(service: TwinService, input: Record<string, unknown>): void {
  const controller = service.deploymentController ?? 'ECS';
  const redeploys = input.taskDefinition !== undefined || input.forceNewDeployment === true;
  if (controller === 'EXTERNAL' && redeploys) {
    throw invalidParameter('A service with the EXTERNAL deployment controller changes its task definition through a new task set (CreateTaskSet).');
  }
  if (controller === 'CODE_DEPLOY' && redeploys) {
    throw invalidParameter('Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.');
  }
  const configuration = input.deploymentConfiguration;
  if (configuration === null || typeof configuration !== 'object' || Array.isArray(configuration)) return;
  const given = configuration as Record<string, unknown>;
  if (!STRATEGY_FIELDS.some((field) => given[field] !== undefined)) return;
  const base: Record<string, unknown> = service.deploymentStrategy ? strategyView(service.deploymentStrategy) : {};
  if (given.strategy !== undefined && given.strategy !== base.strategy) {
    delete base.linearConfiguration;
    delete base.canaryConfiguration;
  }
  const merged = { ...base, ...given };
  const strategy = readStrategy(merged, controller);
  if (strategy === undefined) delete service.deploymentStrategy;
  else service.deploymentStrategy = strategy;
}
