import { z } from 'zod';
import { clusterArnOfService, ServiceArn } from './arns.js';
import { accepted, type ParseResult, rejected, safeParse } from './parse.js';

/*
 * The payload ECS invokes a Lambda lifecycle hook with (deployment-lifecycle-hooks.html,
 * docs/ecs-deployment-strategies.md "Lambda hook: payload and response"). Only what the rollback
 * hook acts on is required; AWS adding fields breaks nothing.
 */

/** The stage a rollback runs hooks at once production traffic is back on blue. */
export const ROLLBACK_HOOK_STAGE = 'PRODUCTION_TRAFFIC_SHIFT';

const SERVICE_DEPLOYMENT_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/;
const SERVICE_REVISION_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-revision\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/(\d+)$/;

const Weights = z.record(z.string(), z.number().min(0).max(100));

export const LifecycleHookPayloadSchema = z.object({
  executionId: z.string().min(1).optional(),
  lifecycleStage: z.string().min(1),
  resourceArn: z.string().regex(SERVICE_DEPLOYMENT_ARN, 'must be a service deployment ARN'),
  executionDetails: z.object({
    serviceArn: ServiceArn,
    targetServiceRevisionArn: z.string().regex(SERVICE_REVISION_ARN, 'must be a service revision ARN'),
    testTrafficWeights: Weights.optional(),
    productionTrafficWeights: Weights.optional(),
  }),
  hookDetails: z.record(z.string(), z.unknown()).optional(),
});

export interface LifecycleHookInvocation {
  lifecycleStage: string;
  serviceDeploymentArn: string;
  serviceArn: string;
  clusterArn: string;
  /** The deployment that started green's tasks (their startedBy): `ecs-svc/<last segment of the target revision>`. */
  greenDeploymentId: string;
  /**
   * "If the targetServiceRevisionArn (green revision) has a weight of 0% and the other revision has
   * 100%, the deployment is rolling back" (deployment-lifecycle-hooks.html).
   */
  rollingBack: boolean;
  /** What the hook returned with its last IN_PROGRESS in this hook execution (merged by ECS). */
  hookDetails: Record<string, unknown>;
}

export function parseLifecycleHookInvocation(raw: unknown): ParseResult<LifecycleHookInvocation> {
  const parsed = safeParse(LifecycleHookPayloadSchema, raw, 'lifecycle hook payload');
  if (!parsed.ok) return parsed;
  const payload = parsed.event;
  const { serviceArn, targetServiceRevisionArn, productionTrafficWeights } = payload.executionDetails;
  const clusterArn = clusterArnOfService(serviceArn);
  if (clusterArn === undefined) return rejected(`lifecycle hook payload: service ${serviceArn} does not name its cluster`);
  const revision = SERVICE_REVISION_ARN.exec(targetServiceRevisionArn)?.[1] ?? '';
  const others = Object.entries(productionTrafficWeights ?? {}).filter(([arn]) => arn !== targetServiceRevisionArn);
  const rollingBack = productionTrafficWeights?.[targetServiceRevisionArn] === 0 && others.some(([, weight]) => weight === 100);
  return accepted({
    lifecycleStage: payload.lifecycleStage,
    serviceDeploymentArn: payload.resourceArn,
    serviceArn,
    clusterArn,
    greenDeploymentId: `ecs-svc/${revision}`,
    rollingBack,
    hookDetails: payload.hookDetails ?? {},
  });
}
