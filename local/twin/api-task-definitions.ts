import type { ApiHost } from './api-host.js';
import { paginate } from './api-host.js';
import { asInput, clientException, invalidParameter, readString, readStringList, requireString } from './errors.js';
import { validateStopTimeout } from './records.js';
import type { TaskDefinitionRecord } from './task-definition-registry.js';
import { FAMILY } from './task-definition-registry.js';
import { epochSeconds } from './views.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions, ListClusters: what a person
 * types first (`aws ecs list-clusters`, `register-task-definition`, then `update-service
 * --task-definition family:2`). Shapes as the API reference gives them:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitions.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListClusters.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html
 */

/** The request members the twin keeps and gives back (it runs none of them: its tasks are simulated). */
const KEPT_MEMBERS = [
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
];
const LIST_PAGE = { defaultPage: 100, maxPage: 100 };

function readTags(input: Record<string, unknown>): { key: string; value: string }[] {
  const tags = input.tags;
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw invalidParameter('tags must be a list.');
  return tags.map((tag) => {
    const { key, value } = asInput(tag);
    if (typeof key !== 'string' || key === '') throw invalidParameter('Tag keys can not be null or empty.');
    return { key, value: typeof value === 'string' ? value : '' };
  });
}

/** Each container needs a name and an image (ContainerDefinition); Fargate caps stopTimeout at 120 s. */
function readContainers(input: Record<string, unknown>, fargate: boolean): Record<string, unknown>[] {
  const containers = input.containerDefinitions;
  if (!Array.isArray(containers) || containers.length === 0) throw clientException('Container list cannot be empty.');
  return containers.map((raw) => {
    const container = asInput(raw);
    if (typeof container.name !== 'string' || !FAMILY.test(container.name)) throw clientException('Container.name should not be null or empty, and may contain up to 255 letters, numbers, hyphens and underscores.');
    if (typeof container.image !== 'string' || container.image === '') throw clientException('Container.image should not be null or empty.');
    if (container.stopTimeout !== undefined) validateStopTimeout(fargate ? 'FARGATE' : 'EC2', Number(container.stopTimeout));
    return { essential: true, ...structuredClone(container) };
  });
}

export function registerTaskDefinition(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const family = requireString(input, 'family');
  if (!FAMILY.test(family)) throw clientException('Family contains invalid characters.');
  const requires = readStringList(input, 'requiresCompatibilities') ?? [];
  const fargate = requires.includes('FARGATE');
  const containerDefinitions = readContainers(input, fargate);
  const networkMode = readString(input, 'networkMode') ?? 'bridge';
  // "For Amazon ECS tasks on Fargate, the awsvpc network mode is required", and task-level cpu and memory (API_RegisterTaskDefinition).
  if (fargate && networkMode !== 'awsvpc') throw clientException('Fargate only supports network mode \u2018awsvpc\u2019.');
  if (fargate && (input.cpu === undefined || input.memory === undefined)) throw clientException('Fargate requires that \'cpu\' be defined at the task level.');
  const body: Record<string, unknown> = { containerDefinitions, networkMode };
  for (const member of KEPT_MEMBERS) {
    if (member === 'networkMode' || input[member] === undefined || input[member] === null) continue;
    // cpu and memory are strings in the TaskDefinition (units or "1 vCPU", "2 GB"), numbers are taken too.
    body[member] = member === 'cpu' || member === 'memory' ? String(input[member]) : structuredClone(input[member]);
  }
  const record = host.store.taskDefinitions.register(family, body, readTags(input), host.clock.now());
  return { taskDefinition: taskDefinitionView(record), tags: record.tags };
}

export function describeTaskDefinition(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const record = host.store.taskDefinitions.find(requireString(input, 'taskDefinition'));
  if (record === undefined) throw clientException('Unable to describe task definition.');
  const include = readStringList(input, 'include') ?? [];
  return { taskDefinition: taskDefinitionView(record), ...(include.includes('TAGS') ? { tags: record.tags } : {}) };
}

export function listTaskDefinitions(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const familyPrefix = readString(input, 'familyPrefix');
  const status = readString(input, 'status') ?? 'ACTIVE';
  const sort = readString(input, 'sort') ?? 'ASC';
  if (!['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'].includes(status)) throw invalidParameter('status must be one of ACTIVE, INACTIVE, DELETE_IN_PROGRESS.');
  if (sort !== 'ASC' && sort !== 'DESC') throw invalidParameter('sort must be ASC or DESC.');
  // Every revision the twin knows is ACTIVE: it has no DeregisterTaskDefinition. familyPrefix is "the full family name".
  const matching = status !== 'ACTIVE' ? [] : host.store.taskDefinitions.all().filter((record) => familyPrefix === undefined || record.family === familyPrefix);
  const ordered = sort === 'ASC' ? matching : [...matching].reverse();
  const { page, nextToken } = paginate('ListTaskDefinitions', ordered.map((record) => record.taskDefinitionArn), input, LIST_PAGE);
  return { taskDefinitionArns: page, ...definedOnly({ nextToken }) };
}

export function listClusters(host: ApiHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const arns = [...host.store.clusters.values()].map((cluster) => cluster.clusterArn);
  const { page, nextToken } = paginate('ListClusters', arns, input, LIST_PAGE);
  return { clusterArns: page, ...definedOnly({ nextToken }) };
}

/**
 * A TaskDefinition as DescribeTaskDefinition returns it. compatibilities is what ECS derives: EC2
 * always, FARGATE for an awsvpc definition with task-level cpu and memory.
 */
export function taskDefinitionView(record: TaskDefinitionRecord): Record<string, unknown> {
  const { body } = record;
  const fargate = body.networkMode === 'awsvpc' && body.cpu !== undefined && body.memory !== undefined;
  return {
    taskDefinitionArn: record.taskDefinitionArn,
    family: record.family,
    revision: record.revision,
    status: 'ACTIVE',
    volumes: [],
    placementConstraints: [],
    requiresAttributes: [],
    ...structuredClone(body),
    compatibilities: fargate ? ['EC2', 'FARGATE'] : ['EC2'],
    registeredAt: epochSeconds(record.registeredAt),
  };
}

/** The longest stopTimeout among a registered revision's containers, which is when ECS sends SIGKILL; undefined when none sets it. */
export function stopTimeoutOf(record: TaskDefinitionRecord | undefined): number | undefined {
  const containers = Array.isArray(record?.body.containerDefinitions) ? (record.body.containerDefinitions as Record<string, unknown>[]) : [];
  const timeouts = containers.map((container) => container.stopTimeout).filter((value): value is number => typeof value === 'number');
  return timeouts.length === 0 ? undefined : Math.max(...timeouts);
}
