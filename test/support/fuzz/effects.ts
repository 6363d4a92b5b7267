import { DescribeContainerInstancesCommand, DescribeServicesCommand, ListContainerInstancesCommand } from '@aws-sdk/client-ecs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { BenignWorld } from './world.js';

/*
 * What an accepted event must make its handler do, read from the raw event with plain property
 * access: an oracle that shares nothing with the handler's zod parser, so that a parser that
 * accepted an event and then acted on the wrong resource (or on nothing) fails the property.
 * Each names the first AWS call the handler makes for the resource the event names.
 */

type Raw = Record<string, unknown> & { detail: Record<string, unknown>; resources?: unknown[] };
export type EffectOracle = (raw: unknown, world: BenignWorld) => void;

const asRaw = (raw: unknown): Raw => raw as Raw;

function describedServices(world: BenignWorld): unknown[] {
  return world.mocks.ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input);
}

/** The deployment's service is read, in the cluster its ARN names (service/<cluster>/<name>). */
export const deploymentEventEffect: EffectOracle = (raw, world) => {
  const serviceArn = String(asRaw(raw).resources?.[0]);
  const [prefix = '', path = ''] = [serviceArn.slice(0, serviceArn.indexOf(':service/')), serviceArn.slice(serviceArn.indexOf(':service/') + ':service/'.length)];
  const cluster = `${prefix}:cluster/${path.split('/')[0]}`;
  expect(describedServices(world)[0]).toEqual({ cluster, services: [serviceArn] });
};

/** The service the task's group names is read in the task's cluster. */
export const serviceTaskRunningEffect: EffectOracle = (raw, world) => {
  const { clusterArn, group } = asRaw(raw).detail;
  expect(describedServices(world)[0]).toEqual({ cluster: clusterArn, services: [String(group).slice('service:'.length)] });
};

/** The hook's service is read in its cluster. */
export const pauseHookEffect: EffectOracle = (raw, world) => {
  const { clusterArn, serviceArn } = asRaw(raw).detail;
  expect(describedServices(world)[0]).toEqual({ cluster: clusterArn, services: [serviceArn] });
};

/** Fargate: the task the event names is marked DRAINING and its drain started. EC2: its instance is looked up. */
export const spotWarningEffect: EffectOracle = (raw, world) => {
  const event = asRaw(raw);
  if (event.source === 'aws.ec2') {
    const filters = world.mocks.ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input.filter);
    expect(filters[0]).toBe(`ec2InstanceId == ${String(event.detail['instance-id'])}`);
    return;
  }
  const taskArn = event.detail.taskArn;
  const marks = world.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key?.pk);
  expect(marks[0]).toBe(taskArn);
  const started = world.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => (JSON.parse(String(call.args[0].input.input)) as { taskArn: unknown }).taskArn);
  expect(started).toEqual([taskArn]);
};

/** The instance is looked up by its EC2 id in the clusters in scope. */
export const rebalanceEffect: EffectOracle = (raw, world) => {
  const filters = world.mocks.ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input.filter);
  expect(filters[0]).toBe(`ec2InstanceId == ${String(asRaw(raw).detail['instance-id'])}`);
};

/** The instance the lifecycle action holds is looked up by its EC2 id in the clusters in scope. */
export const lifecycleTerminateEffect: EffectOracle = (raw, world) => {
  const filters = world.mocks.ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input.filter);
  expect(filters[0]).toBe(`ec2InstanceId == ${String(asRaw(raw).detail.EC2InstanceId)}`);
};

/** Each instance the Health event names is looked up by its EC2 id in the clusters in scope. */
export const scheduledMaintenanceEffect: EffectOracle = (raw, world) => {
  const filters = world.mocks.ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input.filter);
  const entities = (asRaw(raw).detail.affectedEntities as Array<{ entityValue?: unknown }> | undefined) ?? [];
  const named = entities.map((entity) => entity.entityValue).filter((value) => typeof value === 'string' && /^i-[0-9a-f]{8,17}$/.test(value));
  expect(filters[0]).toBe(`ec2InstanceId == ${String(named[0] ?? (asRaw(raw).resources ?? [])[0])}`);
};

/** ECS is asked whether the instance the event names still drains. */
export const containerInstanceEffect: EffectOracle = (raw, world) => {
  const { clusterArn, containerInstanceArn } = asRaw(raw).detail;
  const asked = world.mocks.ecs.commandCalls(DescribeContainerInstancesCommand).map((call) => call.args[0].input);
  expect(asked[0]).toEqual({ cluster: clusterArn, containerInstances: [containerInstanceArn] });
};

/** The stopped task's own item is closed, ordered by the event's version. */
export const taskStoppedEffect: EffectOracle = (raw, world) => {
  const { taskArn, version } = asRaw(raw).detail;
  const writes = world.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
  expect(writes[0]?.Key).toEqual({ pk: taskArn, sk: 'TASK' });
  expect(Object.values(writes[0]?.ExpressionAttributeValues ?? {})).toContain(version);
};
