/* ecs/: the ECS reads the rooms share (tasks, services, container instances) and which ECS errors are worth a retry; may import shared/ only. */
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  paginateListContainerInstances,
  paginateListTasks,
  type ContainerInstance,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import type { Deps } from '../../shared/deps.js';
import { batchesOf } from '../../shared/batches.js';
import { ownInput } from '../../shared/pages.js';
import { asRetryable } from './errors.js';
import { definedOnly } from '../../shared/optional.js';

/** DescribeTasks accepts at most this many tasks per call. */
export const DESCRIBE_TASKS_BATCH_SIZE = 100;

type EcsDeps = Pick<Deps, 'ecs'>;

async function callEcs<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asRetryable(error, what);
  }
}

/** ARNs of the running tasks of a service or on a container instance, across all pages. */
export async function listRunningTaskArns(
  deps: EcsDeps,
  filter: { clusterArn: string; serviceName?: string; containerInstanceArn?: string },
): Promise<string[]> {
  const pages = paginateListTasks(
    { client: deps.ecs, withCommand: ownInput },
    {
      cluster: filter.clusterArn,
      ...definedOnly({ serviceName: filter.serviceName, containerInstance: filter.containerInstanceArn }),
      desiredStatus: 'RUNNING',
    },
  );
  return callEcs('ListTasks', async () => {
    const arns: string[] = [];
    for await (const page of pages) arns.push(...(page.taskArns ?? []));
    return arns;
  });
}

/** DescribeTasks in batches of 100; tasks ECS no longer knows are left out. */
export async function describeTasks(deps: EcsDeps, clusterArn: string, taskArns: readonly string[]): Promise<Task[]> {
  return inBatches(taskArns, DESCRIBE_TASKS_BATCH_SIZE, async (batch) => {
    const page = await callEcs('DescribeTasks', () => deps.ecs.send(new DescribeTasksCommand({ cluster: clusterArn, tasks: batch })));
    return page.tasks ?? [];
  });
}

/** A Describe call that takes a bounded list of names, made once per batch, the answers in order. */
async function inBatches<T>(names: readonly string[], size: number, describe: (batch: string[]) => Promise<T[]>): Promise<T[]> {
  const found: T[] = [];
  for (const batch of batchesOf(names, size)) found.push(...(await describe(batch)));
  return found;
}

export async function describeService(deps: EcsDeps, clusterArn: string, serviceArn: string): Promise<Service | undefined> {
  const page = await callEcs('DescribeServices', () =>
    deps.ecs.send(new DescribeServicesCommand({ cluster: clusterArn, services: [serviceArn] })),
  );
  return page.services?.find((service) => service.serviceArn === serviceArn) ?? page.services?.[0];
}

export async function describeContainerInstance(
  deps: EcsDeps,
  clusterArn: string,
  containerInstanceArn: string,
): Promise<ContainerInstance | undefined> {
  return (await describeContainerInstances(deps, clusterArn, [containerInstanceArn]))[0];
}

/** DescribeContainerInstances accepts at most this many container instances per call. */
export const DESCRIBE_CONTAINER_INSTANCES_BATCH_SIZE = 100;

/** DescribeContainerInstances in batches of 100; instances ECS no longer knows are left out. */
export async function describeContainerInstances(deps: EcsDeps, clusterArn: string, containerInstanceArns: readonly string[]): Promise<ContainerInstance[]> {
  return inBatches(containerInstanceArns, DESCRIBE_CONTAINER_INSTANCES_BATCH_SIZE, async (batch) => {
    const page = await callEcs('DescribeContainerInstances', () =>
      deps.ecs.send(new DescribeContainerInstancesCommand({ cluster: clusterArn, containerInstances: batch })),
    );
    return page.containerInstances ?? [];
  });
}

export interface LocatedInstance {
  clusterArn: string;
  containerInstanceArn: string;
}

/** ARNs of the cluster's container instances that are DRAINING, across all pages. */
export async function listDrainingContainerInstances(deps: EcsDeps, clusterArn: string): Promise<string[]> {
  const pages = paginateListContainerInstances({ client: deps.ecs, withCommand: ownInput }, { cluster: clusterArn, status: 'DRAINING' });
  return callEcs('ListContainerInstances', async () => {
    const arns: string[] = [];
    for await (const page of pages) arns.push(...(page.containerInstanceArns ?? []));
    return arns;
  });
}

/**
 * EC2 events name an instance, not a cluster: ask each cluster in scope whether the instance is
 * one of its container instances. Undefined means the instance is not ours.
 */
export async function findContainerInstance(
  deps: Pick<Deps, 'ecs' | 'config'>,
  ec2InstanceId: string,
): Promise<LocatedInstance | undefined> {
  for (const clusterArn of deps.config.clusterArns) {
    const page = await callEcs('ListContainerInstances', () =>
      deps.ecs.send(new ListContainerInstancesCommand({ cluster: clusterArn, filter: `ec2InstanceId == ${ec2InstanceId}` })),
    );
    const containerInstanceArn = page.containerInstanceArns?.[0];
    if (containerInstanceArn !== undefined) return { clusterArn, containerInstanceArn };
  }
  return undefined;
}
