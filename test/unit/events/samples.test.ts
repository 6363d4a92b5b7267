import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { parseEc2SpotWarning, parseRebalanceRecommendation } from '../../../functions/events/ec2.js';
import {
  parseContainerInstanceDraining,
  parseDeploymentEvent,
  parseFargateSpotWarning,
  parsePauseHookAwaiting,
  parseServiceTaskRunning,
  parseTaskStopped,
} from '../../../functions/events/ecs.js';
import type { ParseResult } from '../../../functions/events/parse.js';
import { createHandler as containerInstanceHandler } from '../../../functions/handlers/container-instance-draining.js';
import { createHandler as deploymentHandler } from '../../../functions/handlers/deployment-event.js';
import { createHandler as hookHandler } from '../../../functions/handlers/deployment-hook.js';
import { createHandler as pacerHandler } from '../../../functions/handlers/deployment-pacer.js';
import { createHandler as rebalanceHandler } from '../../../functions/handlers/rebalance-recommendation.js';
import { createHandler as spotHandler } from '../../../functions/handlers/spot-interruption.js';
import { createHandler as taskStoppedHandler } from '../../../functions/handlers/task-stopped.js';
import type { Deps } from '../../../functions/shared/deps.js';
import { handlerTestDeps, type HandlerTestDeps } from '../handlers/handler-harness.js';
import { registryItem } from '../handlers/fixtures.js';

/*
 * The AWS-shaped samples in events/ (also used with `sam local invoke`) must be what the
 * parsers and handlers accept, and the negative ones what they refuse.
 */
const EVENTS_DIR = join(import.meta.dirname, '../../../events');

function readSample(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

type Handler = (getDeps: () => Deps) => (event: unknown) => Promise<unknown>;

/** Which parser and handler a positive sample is for, by detail-type (and status, for task changes). */
function routeOf(sample: Record<string, unknown>): { parse: (raw: unknown) => ParseResult<unknown>; handler: Handler } | undefined {
  const detail = sample.detail as Record<string, unknown>;
  switch (sample['detail-type']) {
    case 'ECS Deployment State Change':
      return { parse: parseDeploymentEvent, handler: deploymentHandler };
    case 'ECS Hook State Change':
      return { parse: parsePauseHookAwaiting, handler: hookHandler };
    case 'ECS Task State Change':
      if (detail.lastStatus === 'STOPPED') return { parse: parseTaskStopped, handler: taskStoppedHandler };
      if (detail.desiredStatus === 'RUNNING') return { parse: parseServiceTaskRunning, handler: pacerHandler };
      return { parse: parseFargateSpotWarning, handler: spotHandler };
    case 'ECS Container Instance State Change':
      return { parse: parseContainerInstanceDraining, handler: containerInstanceHandler };
    case 'EC2 Spot Instance Interruption Warning':
      return { parse: parseEc2SpotWarning, handler: spotHandler };
    case 'EC2 Instance Rebalance Recommendation':
      return { parse: parseRebalanceRecommendation, handler: rebalanceHandler };
    default:
      return undefined;
  }
}

const positiveSamples = readdirSync(EVENTS_DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, sample: readSample(join(EVENTS_DIR, name)) }))
  .filter(({ sample }) => sample.source === 'aws.ecs' || sample.source === 'aws.ec2');

const negativeDir = join(EVENTS_DIR, 'negative');
const negativeSamples = readdirSync(negativeDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, sample: readSample(join(negativeDir, name)) }));

/** An AWS that answers every call the handlers make with a plausible, in-scope state. */
function arrangeAwsFor(t: HandlerTestDeps, sample: Record<string, unknown>) {
  const detail = sample.detail as Record<string, unknown>;
  const resources = sample.resources as string[];
  // A deployment event names its deployment, a task its deployment in startedBy: the service's PRIMARY one.
  // A lifecycle hook pauses a blue/green deployment.
  const deploymentId = (detail.deploymentId ?? detail.startedBy ?? 'ecs-svc/7309481726354819201') as string;
  const strategy = sample['detail-type'] === 'ECS Hook State Change' ? 'BLUE_GREEN' : 'ROLLING';
  t.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: resources[0],
        serviceName: 'chat-gateway',
        deploymentConfiguration: { strategy },
        deployments: [{ id: deploymentId, status: 'PRIMARY', taskDefinition: 'td:2' }],
      },
    ],
  });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  t.mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ status: 'DRAINING' }] });
  t.mocks.ecs
    .on(ListContainerInstancesCommand)
    .resolves({ containerInstanceArns: ['arn:aws:ecs:us-east-1:111122223333:container-instance/sessions/6d7a2f1e9c8b4a3d2e1f0a9b8c7d6e5f'] });
  const taskArn = (detail.taskArn as string | undefined) ?? 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
  t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(taskArn, { status: 'DRAINING', sessionCount: 1 }) });
  // Task items are registered; a paused hook is what the hook handler recorded (no blue task left); the pace item does not exist yet.
  t.mocks.ddb.on(GetCommand).callsFake((input: { Key: { sk: string } }) => {
    if (input.Key.sk === 'TASK') return { Item: registryItem(taskArn, { status: 'DRAINING', sessionCount: 1 }) };
    if (input.Key.sk === 'BLUE_GREEN_HOOK') return { Item: { ...input.Key, hookId: detail.hookId, serviceDeploymentArn: detail.serviceDeploymentArn, blueTaskArns: [] } };
    return {};
  });
  t.mocks.ddb.on(QueryCommand).resolves({ Items: [] });
  t.mocks.ddb.on(TransactWriteCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
  t.mocks.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
}

describe('samples in events/', () => {
  it('include a sample for every ECS and EC2 rule', () => {
    const detailTypes = new Set(positiveSamples.map(({ sample }) => sample['detail-type']));

    expect([...detailTypes].sort()).toEqual([
      'EC2 Instance Rebalance Recommendation',
      'EC2 Spot Instance Interruption Warning',
      'ECS Container Instance State Change',
      'ECS Deployment State Change',
      'ECS Hook State Change',
      'ECS Task State Change',
    ]);
  });

  it.each(positiveSamples)('$name parses and its handler acts on it', async ({ sample }) => {
    const route = routeOf(sample);
    expect(route).toBeDefined();
    const parsed = route!.parse(sample);
    expect(parsed).toMatchObject({ ok: true });
    const t = handlerTestDeps();
    arrangeAwsFor(t, sample);

    const outcome = await route!.handler(t.getDeps)(sample);

    expect(outcome).toMatchObject({ status: 'done' });
  });

  it.each(negativeSamples)('negative/$name is refused by every handler without an SDK call', async ({ sample }) => {
    for (const handler of [deploymentHandler, pacerHandler, hookHandler, spotHandler, rebalanceHandler, containerInstanceHandler, taskStoppedHandler]) {
      const t = handlerTestDeps();

      const outcome = await handler(t.getDeps)(sample);

      expect(outcome).toMatchObject({ status: 'rejected' });
      expect(Object.values(t.mocks).every((mock) => mock.calls().length === 0)).toBe(true);
    }
  });
});
