import type { ApiHost } from './api-host.js';
import { describeEach, paginate } from './api-host.js';
import { asInput, EcsApiError, invalidParameter, readString, readStringList, requireString, serviceNotFound } from './errors.js';
import { taskDefinitionFamily } from './model.js';
import { taskView } from './views.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * ListTasks, DescribeTasks, StopTask.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
 */

export const DESCRIBE_TASKS_MAX = 100;
const STOP_REASON_MAX_LENGTH = 255;
const DESIRED_STATUSES = new Set(['RUNNING', 'PENDING', 'STOPPED']);

export function listTasks(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const serviceName = readString(input, 'serviceName');
  const containerInstance = readString(input, 'containerInstance');
  const desiredStatus = readString(input, 'desiredStatus') ?? 'RUNNING';
  const family = readString(input, 'family');
  const startedBy = readString(input, 'startedBy');
  const launchType = readString(input, 'launchType');
  if (!DESIRED_STATUSES.has(desiredStatus)) throw invalidParameter(`desiredStatus must be one of RUNNING, PENDING, STOPPED.`);

  const service = serviceName === undefined ? undefined : host.store.findService(cluster, serviceName);
  if (serviceName !== undefined && service === undefined) throw serviceNotFound();
  const instance = containerInstance === undefined ? undefined : host.store.findInstance(cluster, containerInstance);
  if (containerInstance !== undefined && instance === undefined) {
    throw invalidParameter('The referenced container instance was not found.');
  }

  const matching = [...host.store.tasks.values()].filter(
    (task) =>
      task.clusterArn === cluster.clusterArn &&
      // ECS never sets a desired status of PENDING, so filtering by it finds nothing (API_ListTasks.html).
      task.desiredStatus === desiredStatus &&
      (service === undefined || task.serviceName === service.serviceName) &&
      (instance === undefined || task.containerInstanceArn === instance.containerInstanceArn) &&
      (family === undefined || taskDefinitionFamily(task.taskDefinitionArn) === family) &&
      (startedBy === undefined || task.startedBy === startedBy) &&
      (launchType === undefined || task.launchType === launchType),
  );
  const { page, nextToken } = paginate(
    'ListTasks',
    matching.map((task) => task.taskArn),
    input,
    { defaultPage: 100, maxPage: 100 },
  );
  return { taskArns: page, ...definedOnly({ nextToken }) };
}

export function describeTasks(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const { described, failures } = describeEach(
    readStringList(input, 'tasks') ?? [],
    { max: DESCRIBE_TASKS_MAX, emptyMessage: 'Tasks cannot be empty.', tooManyMessage: `Tasks cannot have more than ${DESCRIBE_TASKS_MAX} elements.` },
    (ref) => host.store.findTask(cluster, ref),
    taskView,
  );
  return { tasks: described, failures };
}

export function stopTask(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const ref = requireString(input, 'task');
  const reason = readString(input, 'reason');
  if (reason !== undefined && reason.length > STOP_REASON_MAX_LENGTH) {
    throw invalidParameter(`reason can have at most ${STOP_REASON_MAX_LENGTH} characters.`);
  }
  const task = host.store.findTask(cluster, ref);
  if (task === undefined) throw new EcsApiError('InvalidParameterException', 'The referenced task was not found.');
  host.stopTask(task, reason === undefined || reason === '' ? 'Task stopped by user' : reason);
  return { task: taskView(task) };
}
