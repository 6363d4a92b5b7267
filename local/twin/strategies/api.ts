/** API operations of strategy deployments and task sets: CreateService, Describe/List/Stop/ContinueServiceDeployment(s), Create/Update/Delete/DescribeTaskSet(s), UpdateServicePrimaryTaskSet. */
import type { ApiHost } from '../api-host.js';
import { describeEach, paginate } from '../api-host.js';
import { stopTimeoutOf } from '../api-task-definitions.js';
import { asInput, invalidParameter, readInteger, readString, readStringList, requireString, serviceNotFound } from '../errors.js';
import type { FargateCapacityProvider, IdSource, LaunchType, TwinService } from '../model.js';
import { serviceView } from '../views.js';
import type { StrategyEngine } from './engine.js';
import type { StrategyServiceSpec } from './setup.js';
import { drainTaskSet, findTaskSet, makePrimary, newTaskSet, taskSetView } from './task-sets.js';
import { serviceDeploymentBrief, serviceDeploymentView } from './views.js';
import { definedOnly } from '../../../functions/shared/optional.js';

/** What these handlers need from the twin beyond ApiHost's records. */
export interface StrategyApiHost {
  engine: StrategyEngine;
  ids: IdSource;
  createService(spec: StrategyServiceSpec): TwinService;
}

type Handler = (host: ApiHost, input: unknown) => Record<string, unknown>;

export const STRATEGY_HANDLERS: Record<string, Handler> = {
  CreateService: createService,
  DescribeServiceDeployments: describeServiceDeployments,
  ListServiceDeployments: listServiceDeployments,
  StopServiceDeployment: stopServiceDeployment,
  ContinueServiceDeployment: continueServiceDeployment,
  CreateTaskSet: createTaskSet,
  UpdateTaskSet: updateTaskSet,
  UpdateServicePrimaryTaskSet: updateServicePrimaryTaskSet,
  DeleteTaskSet: deleteTaskSet,
  DescribeTaskSets: describeTaskSets,
};

const DESCRIBE_SERVICE_DEPLOYMENTS_MAX = 20;

function createService(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const configuration = asInput(input.deploymentConfiguration);
  const providers = Array.isArray(input.capacityProviderStrategy) ? (input.capacityProviderStrategy as unknown[]).map((item) => asInput(item).capacityProvider) : [];
  const capacityProvider = providers[0];
  if (capacityProvider !== undefined && capacityProvider !== 'FARGATE' && capacityProvider !== 'FARGATE_SPOT') throw invalidParameter('The twin knows the FARGATE and FARGATE_SPOT capacity providers only.');
  const taskDefinitionRef = readString(input, 'taskDefinition');
  const taskDefinition = taskDefinitionRef === undefined ? undefined : host.store.resolveTaskDefinition(taskDefinitionRef);
  // SIGKILL comes after the containers' stopTimeout: a registered revision's, else the twin's default (ECS's 30 s).
  const stopTimeoutSeconds = taskDefinition === undefined ? undefined : stopTimeoutOf(host.store.taskDefinitions.find(taskDefinition));
  const minimumHealthyPercent = readInteger(configuration, 'minimumHealthyPercent');
  const maximumPercent = readInteger(configuration, 'maximumPercent');
  const spec: StrategyServiceSpec = {
    cluster: readString(input, 'cluster') ?? 'default',
    name: requireString(input, 'serviceName'),
    // The twin's default when the call names none.
    desiredCount: readInteger(input, 'desiredCount') ?? 0,
    ...definedOnly({ taskDefinition, stopTimeoutSeconds }),
    ...(input.launchType === undefined ? {} : { launchType: readString(input, 'launchType') as LaunchType }),
    ...(capacityProvider === undefined ? {} : { capacityProvider: capacityProvider as FargateCapacityProvider }),
    ...definedOnly({ minimumHealthyPercent, maximumPercent }),
    ...(input.deploymentController === undefined ? {} : { deploymentController: asInput(input.deploymentController).type as StrategyServiceSpec['deploymentController'] }),
    deploymentConfiguration: configuration,
  };
  const service = host.strategies.createService(spec);
  return { service: serviceView(service, host.store) };
}

function describeServiceDeployments(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const { described, failures } = describeEach(
    readStringList(input, 'serviceDeploymentArns') ?? [],
    {
      max: DESCRIBE_SERVICE_DEPLOYMENTS_MAX,
      emptyMessage: 'serviceDeploymentArns can not be null or empty.',
      tooManyMessage: `serviceDeploymentArns can have at most ${DESCRIBE_SERVICE_DEPLOYMENTS_MAX} items.`,
    },
    (arn) => serviceDeploymentViewOf(host, arn),
    (view) => view,
  );
  return { serviceDeployments: described, failures };
}

/** A service deployment by ARN: a BLUE_GREEN / LINEAR / CANARY run, or a rolling service's deployment (rolling-history.ts). */
function serviceDeploymentViewOf(host: ApiHost, arn: string): Record<string, unknown> | undefined {
  const strategy = host.strategies.engine.findDeployment(arn);
  if (strategy !== undefined) return serviceDeploymentView(host.strategies.engine, host.store, strategy.service, strategy.run);
  const rolling = host.rollingHistory.find(arn);
  return rolling === undefined ? undefined : host.rollingHistory.view(rolling);
}

/** A service has either kind of deployment; newest first. */
function listServiceDeployments(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const service = host.store.findService(cluster, requireString(input, 'service'));
  if (service === undefined) throw serviceNotFound();
  const statuses = readStringList(input, 'status');
  const briefs = [
    ...host.strategies.engine.deploymentsOf(service).map((run) => serviceDeploymentBrief(host.strategies.engine, service, run)),
    ...host.rollingHistory.deploymentsOf(service).map((record) => host.rollingHistory.brief(record)),
  ].filter((brief) => statuses === undefined || statuses.includes(String(brief.status)));
  const { page, nextToken } = paginate('ListServiceDeployments', briefs, input, { defaultPage: 20, maxPage: 100 });
  return { serviceDeployments: page, ...definedOnly({ nextToken }) };
}

/**
 * StopServiceDeployment: "ROLLBACK - This option rolls back the service deployment to the
 * previous service revision", for every deployment strategy, rolling included. stopType is
 * optional; API_StopServiceDeployment lists ABORT among its values but says "The valid values are
 * ROLLBACK", so the twin takes ROLLBACK (also when absent) and refuses ABORT.
 */
function stopServiceDeployment(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const arn = requireString(input, 'serviceDeploymentArn');
  const stopType = readString(input, 'stopType') ?? 'ROLLBACK';
  if (stopType !== 'ROLLBACK') throw invalidParameter('stopType: the valid values are ROLLBACK.');
  if (!host.rollingHistory.stop(arn)) host.strategies.engine.rollback(arn);
  return { serviceDeploymentArn: arn };
}

function continueServiceDeployment(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const action = requireString(input, 'action');
  if (action !== 'CONTINUE' && action !== 'ROLLBACK') throw invalidParameter('action must be CONTINUE or ROLLBACK.');
  host.strategies.engine.continueHook(requireString(input, 'hookId'), action);
  return {};
}

function externalService(host: ApiHost, input: Record<string, unknown>): TwinService {
  const cluster = host.store.resolveCluster(requireString(input, 'cluster'));
  const service = host.store.findService(cluster, requireString(input, 'service'));
  if (service === undefined) throw serviceNotFound();
  if (service.deploymentController !== 'EXTERNAL') throw invalidParameter('Task sets can be managed only for services that use the EXTERNAL deployment controller.');
  return service;
}

function readScale(input: Record<string, unknown>): number | undefined {
  if (input.scale === undefined || input.scale === null) return undefined;
  const scale = asInput(input.scale);
  if (scale.unit !== undefined && scale.unit !== 'PERCENT') throw invalidParameter('scale.unit must be PERCENT.');
  if (typeof scale.value !== 'number') throw invalidParameter('scale.value must be a number.');
  return scale.value;
}

function createTaskSet(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const service = externalService(host, input);
  const scale = readScale(input);
  const externalId = readString(input, 'externalId');
  const set = newTaskSet(
    host.store,
    host.strategies.ids,
    service,
    {
      taskDefinitionArn: host.store.resolveTaskDefinition(requireString(input, 'taskDefinition')),
      ...definedOnly({ scale, externalId }),
    },
    host.clock.now(),
  );
  return { taskSet: taskSetView(host.store, service, set) };
}

function taskSetOf(host: ApiHost, input: Record<string, unknown>, field: string): { service: TwinService; set: NonNullable<ReturnType<typeof findTaskSet>> } {
  const service = externalService(host, input);
  const set = findTaskSet(service, requireString(input, field));
  if (set === undefined) throw invalidParameter('The specified task set does not exist.');
  return { service, set };
}

function updateTaskSet(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const { service, set } = taskSetOf(host, input, 'taskSet');
  const scale = readScale(input);
  if (scale === undefined) throw invalidParameter('scale can not be null.');
  if (!(scale >= 0 && scale <= 100)) throw invalidParameter('scale.value must be between 0 and 100.');
  set.scale = scale;
  set.updatedAt = host.clock.now();
  return { taskSet: taskSetView(host.store, service, set) };
}

function updateServicePrimaryTaskSet(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const { service, set } = taskSetOf(host, input, 'primaryTaskSet');
  makePrimary(service, set, host.clock.now());
  return { taskSet: taskSetView(host.store, service, set) };
}

function deleteTaskSet(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const { service, set } = taskSetOf(host, input, 'taskSet');
  drainTaskSet(set, input.force === true, host.clock.now());
  return { taskSet: taskSetView(host.store, service, set) };
}

function describeTaskSets(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const service = externalService(host, input);
  const refs = readStringList(input, 'taskSets');
  const sets = refs === undefined ? (service.taskSets ?? []) : refs.map((ref) => findTaskSet(service, ref));
  const failures = refs === undefined ? [] : refs.filter((_, index) => sets[index] === undefined).map((arn) => ({ arn, reason: 'MISSING' }));
  return { taskSets: sets.filter((set) => set !== undefined).map((set) => taskSetView(host.store, service, set)), failures };
}
