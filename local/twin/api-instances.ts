import type { ApiHost } from './api-host.js';
import { describeEach, paginate } from './api-host.js';
import { asInput, invalidParameter, readString, readStringList, requireString } from './errors.js';
import type { TwinContainerInstance } from './model.js';
import { containerInstanceView } from './views.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * ListContainerInstances, DescribeContainerInstances, UpdateContainerInstancesState.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListContainerInstances.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerInstancesState.html
 * The filter speaks a subset of the cluster query language
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html):
 * `ec2InstanceId == i-...`, `ec2InstanceId in [i-..., i-...]`, and `agentConnected == true|false`.
 */

const LIST_STATUSES = new Set(['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED']);
const DESCRIBE_MAX = 100;
const UPDATE_STATE_MAX = 10;

type InstancePredicate = (instance: TwinContainerInstance) => boolean;

export function parseInstanceFilter(filter: string): InstancePredicate {
  const trimmed = filter.trim();
  const equals = /^ec2InstanceId\s*==\s*(\S+)$/.exec(trimmed);
  if (equals !== null) return (instance) => instance.ec2InstanceId === equals[1];
  const within = /^ec2InstanceId\s+in\s*\[([^\]]*)\]$/.exec(trimmed);
  if (within !== null) {
    const ids = new Set((within[1] ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''));
    return (instance) => ids.has(instance.ec2InstanceId);
  }
  const agent = /^agentConnected\s*==\s*(true|false)$/.exec(trimmed);
  if (agent !== null) return (instance) => instance.agentConnected === (agent[1] === 'true');
  throw invalidParameter(`The filter expression "${filter}" is not valid.`);
}

export function listContainerInstances(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const filter = readString(input, 'filter');
  const status = readString(input, 'status');
  if (status !== undefined && !LIST_STATUSES.has(status)) throw invalidParameter(`status must be one of ${[...LIST_STATUSES].join(', ')}.`);
  const predicate = filter === undefined || filter === '' ? () => true : parseInstanceFilter(filter);
  const matching = [...host.store.instances.values()].filter(
    (instance) =>
      instance.clusterArn === cluster.clusterArn &&
      // Without a status filter ECS lists every status but INACTIVE.
      (status === undefined ? instance.status !== 'INACTIVE' : instance.status === status) &&
      predicate(instance),
  );
  const { page, nextToken } = paginate(
    'ListContainerInstances',
    matching.map((instance) => instance.containerInstanceArn),
    input,
    { defaultPage: 100, maxPage: 100 },
  );
  return { containerInstanceArns: page, ...definedOnly({ nextToken }) };
}

export function describeContainerInstances(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const { described, failures } = describeEach(
    readStringList(input, 'containerInstances') ?? [],
    { max: DESCRIBE_MAX, emptyMessage: 'containerInstances can not be null or empty.', tooManyMessage: `containerInstances can have at most ${DESCRIBE_MAX} items.` },
    (ref) => host.store.findInstance(cluster, ref),
    (instance) => containerInstanceView(instance, host.store),
  );
  return { containerInstances: described, failures };
}

export function updateContainerInstancesState(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(readString(input, 'cluster'));
  const refs = readStringList(input, 'containerInstances') ?? [];
  const status = requireString(input, 'status');
  if (refs.length === 0) throw invalidParameter('containerInstances can not be null or empty.');
  if (refs.length > UPDATE_STATE_MAX) throw invalidParameter(`containerInstances can have at most ${UPDATE_STATE_MAX} items.`);
  if (status !== 'ACTIVE' && status !== 'DRAINING') {
    throw invalidParameter('Container instance status can only be updated to ACTIVE or DRAINING.');
  }
  const containerInstances: Record<string, unknown>[] = [];
  const failures: { arn: string; reason: string; detail?: string }[] = [];
  for (const ref of refs) {
    const instance = host.store.findInstance(cluster, ref);
    if (instance === undefined) {
      failures.push({ arn: ref, reason: 'MISSING' });
    } else if (instance.status === 'INACTIVE') {
      failures.push({ arn: instance.containerInstanceArn, reason: 'INACTIVE', detail: 'The container instance is deregistered.' });
    } else {
      host.setInstanceStatus(instance, status);
      containerInstances.push(containerInstanceView(instance, host.store));
    }
  }
  return { containerInstances, failures };
}
