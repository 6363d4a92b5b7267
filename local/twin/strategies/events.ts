/** EventBridge events of strategy deployments beyond the deployment state changes events.ts builds: ECS Hook State Change (pause hooks). */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEnvelope } from '../model.js';
import type { HookDetail } from './hooks.js';

export interface StrategyEventContext {
  region: string;
  accountId: string;
  now: Date;
  clusterArn: string;
  serviceArn: string;
}

function envelope(context: StrategyEventContext, detailType: string, detail: Record<string, unknown>): EventBridgeEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.ecs',
    account: context.accountId,
    time: context.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources: [context.serviceArn],
    detail,
  };
}

/** pause-lifecycle-hooks.html, "EventBridge events": HOOK_AWAITING_ACTION, HOOK_SUCCEEDED, HOOK_FAILED, HOOK_TIMED_OUT. */
export function hookStateChangeEvent(context: StrategyEventContext, eventName: string, hook: HookDetail, serviceDeploymentArn: string): EventBridgeEnvelope {
  return envelope(context, 'ECS Hook State Change', {
    eventType: 'INFO',
    eventName,
    hookId: hook.hookId,
    hookType: hook.targetType === 'PAUSE' ? 'PAUSE' : 'AWS_LAMBDA',
    expiresAt: hook.expiresAt.toISOString(),
    lifecycleStage: hook.lifecycleStage,
    clusterArn: context.clusterArn,
    serviceArn: context.serviceArn,
    serviceDeploymentArn,
    updatedAt: context.now.toISOString(),
  });
}
