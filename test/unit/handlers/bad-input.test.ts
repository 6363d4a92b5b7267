import { describe, expect, it } from 'vitest';
import { createHandler as containerInstanceHandler } from '../../../functions/handlers/container-instance-draining.js';
import { createHandler as deploymentHandler } from '../../../functions/handlers/deployment-event.js';
import { createHandler as pacerHandler } from '../../../functions/handlers/deployment-pacer.js';
import { createHandler as rebalanceHandler } from '../../../functions/handlers/rebalance-recommendation.js';
import { createHandler as spotHandler } from '../../../functions/handlers/spot-interruption.js';
import { createHandler as taskStoppedHandler } from '../../../functions/handlers/task-stopped.js';
import type { Deps } from '../../../functions/shared/deps.js';
import { OTHER_CLUSTER_ARN } from '../../support/deps.js';
import {
  containerInstanceStateChange,
  deploymentEvent,
  ec2SpotWarning,
  fargateSpotWarning,
  rebalanceRecommendation,
  taskStateChange,
  taskStopped,
} from '../../support/ecs-events.js';
import { countedMetrics, handlerTestDeps, sdkCallCount } from './handler-harness.js';

type HandlerFactory = (getDeps: () => Deps) => (event: unknown) => Promise<unknown>;

const handlers: Record<string, HandlerFactory> = {
  deployment: deploymentHandler,
  pacer: pacerHandler,
  spot: spotHandler,
  rebalance: rebalanceHandler,
  containerInstance: containerInstanceHandler,
  taskStopped: taskStoppedHandler,
};

function without<T extends Record<string, unknown>>(event: T, key: keyof T): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...event };
  delete copy[key as string];
  return copy;
}

const otherClusterTaskArn = 'arn:aws:ecs:us-east-1:111122223333:task/batch/a1b2c3d4e5f60718293a4b5c6d7e8f90';

const cases: [string, keyof typeof handlers, unknown, string][] = [
  ['a deployment event truncated before its detail', 'deployment', without(deploymentEvent(), 'detail'), 'detail'],
  ['a deployment event whose detail is a string', 'deployment', { ...deploymentEvent(), detail: 'IN_PROGRESS' }, 'detail'],
  ['a deployment in a cluster out of scope', 'deployment', deploymentEvent({}, 'arn:aws:ecs:us-east-1:111122223333:service/batch/chat'), 'not in scope'],
  ['a deployment in a cluster whose name only begins like the one in scope', 'deployment', deploymentEvent({ eventName: 'SERVICE_DEPLOYMENT_COMPLETED' }, 'arn:aws:ecs:us-east-1:111122223333:service/sessions-staging/chat'), 'cluster/sessions-staging is not in scope'],
  ['a deployment of a short-format service ARN', 'deployment', deploymentEvent({}, 'arn:aws:ecs:us-east-1:111122223333:service/chat'), 'short ARN'],
  ['a Fargate scale-in misrouted to the Spot handler', 'spot', fargateSpotWarning({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)' }), 'ServiceSchedulerInitiated'],
  ['a Fargate Spot warning in a cluster out of scope', 'spot', fargateSpotWarning({ clusterArn: OTHER_CLUSTER_ARN, taskArn: otherClusterTaskArn }), 'not in scope'],
  ['an event from a foreign source', 'spot', { ...ec2SpotWarning(), source: 'partner.example' }, 'partner.example'],
  ['a null event', 'spot', null, 'source null'],
  ['an EC2 Spot warning with a malformed instance id', 'spot', ec2SpotWarning({ 'instance-id': 'web-1' }), 'instance-id'],
  ['a rebalance recommendation without an instance id', 'rebalance', rebalanceRecommendation({ 'instance-id': undefined }), 'instance-id'],
  ['a Spot warning sent to the rebalance handler', 'rebalance', ec2SpotWarning(), 'detail-type'],
  ['a container instance that is ACTIVE', 'containerInstance', containerInstanceStateChange({ status: 'ACTIVE' }), 'status is ACTIVE'],
  ['a draining container instance in a cluster out of scope', 'containerInstance', containerInstanceStateChange({ clusterArn: OTHER_CLUSTER_ARN }), 'not in scope'],
  ['a container instance event with a negative version', 'containerInstance', containerInstanceStateChange({ version: -1 }), 'detail.version'],
  ['a task stop event for a task still running', 'taskStopped', fargateSpotWarning(), 'lastStatus is RUNNING'],
  ['a standalone task that is RUNNING', 'pacer', taskStateChange({ group: 'family:chat' }), 'is not a service\'s'],
  ['a RUNNING service task in a cluster out of scope', 'pacer', taskStateChange({ clusterArn: OTHER_CLUSTER_ARN, taskArn: otherClusterTaskArn }), 'not in scope'],
  ['a task stop sent to the pacer', 'pacer', taskStopped(), 'not RUNNING'],
  ['a stopped task in a cluster out of scope', 'taskStopped', taskStopped({ clusterArn: OTHER_CLUSTER_ARN, taskArn: otherClusterTaskArn }), 'not in scope'],
  ['a stopped task whose version is a string', 'taskStopped', taskStopped({ version: '7' }), 'detail.version'],
  ['a stopped task without detail.version (its order against newer events is unknown)', 'taskStopped', taskStopped({ version: undefined }), 'detail.version'],
  ['an empty object', 'taskStopped', {}, 'ECS Task State Change'],
  ['an array instead of an event', 'containerInstance', [containerInstanceStateChange()], 'not an object'],
];

describe('events a handler cannot use', () => {
  it.each(cases)('rejects %s: one log line with the reason, no SDK call, no throw', async (_name, which, event, expectedReason) => {
    const t = handlerTestDeps();
    const handler = handlers[which]!(t.getDeps);

    const outcome = await handler(event);

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining(expectedReason) });
    expect(sdkCallCount(t)).toBe(0);
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
    expect(t.spies.warn).toHaveBeenCalledWith('event rejected', { reason: expect.stringContaining(expectedReason) });
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
    expect(t.spies.publish).toHaveBeenCalledTimes(1);
  });
});
