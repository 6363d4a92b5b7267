import type { ApiHost } from './api-host.js';
import { describeEach, paginate } from './api-host.js';
import { describeContainerInstances, listContainerInstances, updateContainerInstancesState } from './api-instances.js';
import { readRollingChange } from './api-rolling.js';
import { describeTaskDefinition, listClusters, listTaskDefinitions, registerTaskDefinition } from './api-task-definitions.js';
import { describeTasks, listTasks, stopTask } from './api-tasks.js';
import { asInput, invalidParameter, readBoolean, readInteger, readString, readStringList, requireString, serviceNotActive, serviceNotFound, unknownOperation } from './errors.js';
import { getTaskProtection, updateTaskProtection } from './protection.js';
import { STRATEGY_HANDLERS } from './strategies/api.js';
import { applyServiceUpdate } from './strategies/setup.js';
import type { ApiThrottle } from './throttle.js';
import { serviceView } from './views.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * The ECS JSON API subset the orchestrator calls, with inputs and outputs as the AWS SDK v3
 * sends and expects them. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/
 */

export const DESCRIBE_SERVICES_MAX = 10;

type Handler = (host: ApiHost, input: unknown) => Record<string, unknown>;

const HANDLERS: Record<string, Handler> = {
  ListClusters: listClusters,
  DescribeClusters: describeClusters,
  RegisterTaskDefinition: registerTaskDefinition,
  DescribeTaskDefinition: describeTaskDefinition,
  ListTaskDefinitions: listTaskDefinitions,
  DeleteService: deleteService,
  ListServices: listServices,
  DescribeServices: describeServices,
  UpdateService: updateService,
  ListTasks: listTasks,
  DescribeTasks: describeTasks,
  StopTask: stopTask,
  UpdateTaskProtection: updateTaskProtection,
  GetTaskProtection: getTaskProtection,
  ListContainerInstances: listContainerInstances,
  DescribeContainerInstances: describeContainerInstances,
  UpdateContainerInstancesState: updateContainerInstancesState,
  ...STRATEGY_HANDLERS,
};

export const SUPPORTED_OPERATIONS = Object.keys(HANDLERS);

export class EcsJsonApi {
  constructor(
    private readonly host: ApiHost,
    private readonly throttle: ApiThrottle,
    /** Lets the scheduler react to what the call changed. */
    private readonly afterCall: () => void,
  ) {}

  /** Answers one call; throws EcsApiError with ECS's error code as name. */
  async handle(operation: string, input: unknown): Promise<unknown> {
    const handler = HANDLERS[operation];
    if (handler === undefined) throw unknownOperation(operation);
    this.throttle.admit(operation);
    const output = handler(this.host, input);
    this.afterCall();
    return output;
  }
}

function describeClusters(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const refs = readStringList(input, 'clusters') ?? ['default'];
  const clusters: Record<string, unknown>[] = [];
  const failures: { arn: string; reason: string }[] = [];
  for (const ref of refs) {
    try {
      const cluster = host.store.resolveCluster(ref);
      const services = [...host.store.services.values()].filter((service) => service.clusterArn === cluster.clusterArn && service.status === 'ACTIVE');
      const tasks = [...host.store.tasks.values()].filter((task) => task.clusterArn === cluster.clusterArn && task.lastStatus !== 'STOPPED');
      clusters.push({
        clusterArn: cluster.clusterArn,
        clusterName: cluster.clusterName,
        status: 'ACTIVE',
        activeServicesCount: services.length,
        runningTasksCount: tasks.filter((task) => task.lastStatus === 'RUNNING').length,
        pendingTasksCount: tasks.filter((task) => task.lastStatus !== 'RUNNING').length,
        registeredContainerInstancesCount: [...host.store.instances.values()].filter(
          (instance) => instance.clusterArn === cluster.clusterArn && instance.status !== 'INACTIVE',
        ).length,
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      });
    } catch {
      failures.push({ arn: ref.startsWith('arn:') ? ref : host.store.clusterArnFor(ref), reason: 'MISSING' });
    }
  }
  return { clusters, failures };
}

function listServices(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const launchType = readString(input, 'launchType');
  const arns = [...host.store.services.values()]
    // DRAINING and INACTIVE (deleted) services are "no longer visible in ... ListServices" (API_DeleteService).
    .filter((service) => service.clusterArn === cluster.clusterArn && service.status === 'ACTIVE' && (launchType === undefined || service.launchType === launchType))
    .map((service) => service.serviceArn);
  const { page, nextToken } = paginate('ListServices', arns, input, { defaultPage: 10, maxPage: 100 });
  return { serviceArns: page, ...definedOnly({ nextToken }) };
}

function describeServices(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const { described, failures } = describeEach(
    readStringList(input, 'services') ?? [],
    { max: DESCRIBE_SERVICES_MAX, emptyMessage: 'Services cannot be empty.', tooManyMessage: `Services cannot have more than ${DESCRIBE_SERVICES_MAX} elements.` },
    (ref) => host.store.findService(cluster, ref),
    (service) => serviceView(service, host.store),
    (ref) => host.store.serviceArnFor(cluster, ref),
  );
  return { services: described, failures };
}

function updateService(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const service = host.store.findService(cluster, requireString(input, 'service'));
  if (service === undefined) throw serviceNotFound();
  if (service.status !== 'ACTIVE') throw serviceNotActive();
  const desiredCount = readInteger(input, 'desiredCount');
  if (desiredCount !== undefined && desiredCount < 0) throw invalidParameter('Invalid desiredCount: must be greater than or equal to 0.');
  const taskDefinition = readString(input, 'taskDefinition');
  const taskDefinitionArn = taskDefinition === undefined ? undefined : host.store.resolveTaskDefinition(taskDefinition);
  const configuration = asInput(input.deploymentConfiguration);
  const minimumHealthyPercent = readInteger(configuration, 'minimumHealthyPercent');
  const maximumPercent = readInteger(configuration, 'maximumPercent');
  if (minimumHealthyPercent !== undefined && (minimumHealthyPercent < 0 || minimumHealthyPercent > 100)) {
    throw invalidParameter('minimumHealthyPercent must be between 0 and 100.');
  }
  if (maximumPercent !== undefined && maximumPercent < 100) throw invalidParameter('maximumPercent must be at least 100.');
  applyServiceUpdate(service, input);
  host.updateService(service, {
    ...definedOnly({ desiredCount, taskDefinitionArn }),
    forceNewDeployment: readBoolean(input, 'forceNewDeployment') ?? false,
    ...definedOnly({ minimumHealthyPercent, maximumPercent }),
    ...readRollingChange(input),
  });
  return { service: serviceView(service, host.store) };
}

/**
 * DeleteService (service-deletion.ts): a service scaled above 0 needs `force`; deleting one that
 * is already DRAINING or INACTIVE answers ServiceNotActiveException, as UpdateService does.
 */
function deleteService(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const service = host.store.findService(cluster, requireString(input, 'service'));
  if (service === undefined) throw serviceNotFound();
  if (service.status !== 'ACTIVE') throw serviceNotActive();
  if (service.desiredCount > 0 && readBoolean(input, 'force') !== true) throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
  host.deleteService(service);
  return { service: serviceView(service, host.store) };
}
