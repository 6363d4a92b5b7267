import type { EventBridgeEnvelope } from '../../../twin/index.js';
import { ACCOUNT, CLUSTER, REGION, runningOf, startTwin, taskDefinition, tasksOf, type TwinHarness, waitFor } from './support.js';

/* Helpers for BLUE_GREEN / LINEAR / CANARY and task set scenarios: a recording hook Lambda and service shortcuts. */

export const HOOK_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:deployment-hook`;
export const HOOK_ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-lambda-invoke-role`;

export interface HookCall {
  at: number;
  functionArn: string;
  payload: {
    executionId: string;
    lifecycleStage: string;
    resourceArn: string;
    executionDetails: { serviceArn: string; targetServiceRevisionArn: string; testTrafficWeights: Record<string, number>; productionTrafficWeights: Record<string, number> };
    hookDetails?: Record<string, unknown>;
  };
}

/** A hook Lambda: records every invocation and answers with `answer` (SUCCEEDED when it returns undefined). */
export function recordingHook(answer: (call: HookCall, calls: HookCall[]) => unknown = () => undefined): { calls: HookCall[]; invokeHook: (functionArn: string, payload: unknown) => Promise<unknown> } {
  const calls: HookCall[] = [];
  return {
    calls,
    invokeHook: async (functionArn, payload) => {
      const call = { at: Date.now(), functionArn, payload: payload as HookCall['payload'] };
      calls.push(call);
      return answer(call, calls) ?? { hookStatus: 'SUCCEEDED' };
    },
  };
}

export function lambdaHook(stages: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { hookTargetArn: HOOK_ARN, roleArn: HOOK_ROLE, lifecycleStages: stages, ...extra };
}

/** Creates a service with the given deploymentConfiguration and waits until its first deployment completed. */
export async function startStrategyService(harness: TwinHarness, name: string, desiredCount: number, deploymentConfiguration: Record<string, unknown>): Promise<string> {
  const serviceArn = harness.twin.createService({ cluster: CLUSTER, name, desiredCount, taskDefinition: taskDefinition(1), deploymentConfiguration });
  await waitFor(`${name} to run ${desiredCount} tasks`, () => runningOf(harness.twin, name).length === desiredCount);
  await waitFor(`${name}'s first deployment to complete`, () => primaryOf(harness, name)?.rolloutState === 'COMPLETED', 5000);
  return serviceArn;
}

export function primaryOf(harness: TwinHarness, name: string) {
  return harness.twin.snapshot().services.find((service) => service.serviceName === name)?.deployments[0];
}

export function deploymentEvents(events: EventBridgeEnvelope[], deploymentId?: string): { eventName: unknown; eventType: unknown; deploymentId: unknown; reason: unknown }[] {
  return events
    .filter((event) => event['detail-type'] === 'ECS Deployment State Change' && (deploymentId === undefined || event.detail.deploymentId === deploymentId))
    .map((event) => ({ eventName: event.detail.eventName, eventType: event.detail.eventType, deploymentId: event.detail.deploymentId, reason: event.detail.reason }));
}

/** The service revision ARN ECS derives from a deployment id (ecs-svc/<n> -> service-revision/<cluster>/<service>/<n>). */
export function revisionArn(service: string, deploymentId: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/${CLUSTER}/${service}/${deploymentId.replace('ecs-svc/', '')}`;
}

export function tasksOfDeployment(harness: TwinHarness, name: string, deploymentId: string) {
  return tasksOf(harness.twin, name).filter((task) => task.startedBy === deploymentId);
}

export { startTwin };
