/** Deployment strategies and controllers: the configuration types, their defaults and validation (docs/ecs-deployment-strategies.md). */
import { asInput, invalidParameter } from '../errors.js';

export type DeploymentControllerType = 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
export type TrafficStrategy = 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
export type StrategyName = 'ROLLING' | TrafficStrategy;

/** Every stage a BLUE_GREEN / LINEAR / CANARY deployment goes through, in order (API_ServiceDeployment lifecycleStage). */
export const LIFECYCLE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
  'BAKE_TIME',
  'CLEAN_UP',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** Stages a hook may be configured at (deployment-lifecycle-hooks.html, "Supported stages by hook type"). */
export const LAMBDA_HOOK_STAGES: readonly LifecycleStage[] = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
];
/** Pause hooks are refused at the two stages ECS also runs during a rollback. */
export const PAUSE_HOOK_STAGES: readonly LifecycleStage[] = LAMBDA_HOOK_STAGES.filter((stage) => stage !== 'TEST_TRAFFIC_SHIFT' && stage !== 'PRODUCTION_TRAFFIC_SHIFT');

export interface HookTimeout {
  timeoutInMinutes: number;
  action: 'ROLLBACK' | 'CONTINUE';
}

export interface LifecycleHookConfig {
  targetType: 'AWS_LAMBDA' | 'PAUSE';
  hookTargetArn?: string;
  roleArn?: string;
  lifecycleStages: LifecycleStage[];
  hookDetails?: Record<string, unknown>;
  timeoutConfiguration: HookTimeout;
}

export interface StrategyConfig {
  strategy: TrafficStrategy;
  bakeTimeInMinutes: number;
  linearConfiguration?: { stepPercent: number; stepBakeTimeInMinutes: number };
  canaryConfiguration?: { canaryPercent: number; canaryBakeTimeInMinutes: number };
  lifecycleHooks: LifecycleHookConfig[];
}

/** What createService takes beyond the rolling service spec: deploymentController and deploymentConfiguration, as the API spells them. */
export interface StrategySpec {
  deploymentController?: DeploymentControllerType;
  /** deploymentConfiguration members beyond minimumHealthyPercent / maximumPercent: strategy, bakeTimeInMinutes, lifecycleHooks, linearConfiguration, canaryConfiguration. */
  deploymentConfiguration?: Record<string, unknown>;
}

export const MAX_BAKE_MINUTES = 1440;
export const LAMBDA_HOOK_MAX_TIMEOUT_MINUTES = 1440;
export const PAUSE_HOOK_MAX_TIMEOUT_MINUTES = 20160;
export const DEFAULT_HOOK_TIMEOUT_MINUTES = 1440;
export const MAX_HOOKS_PER_TYPE = 10;
/** IN_PROGRESS without callBackDelay: ECS invokes the function again after 30 s. */
export const DEFAULT_CALLBACK_DELAY_SECONDS = 30;
/** A lifecycle stage (and each traffic shift step) may last up to 24 hours; then ECS fails the deployment and rolls back. */
export const STAGE_LIMIT_MINUTES = 1440;

const DEPLOYMENT_CONTROLLERS = new Set(['ECS', 'CODE_DEPLOY', 'EXTERNAL']);
const STRATEGIES = new Set(['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY']);

export function readController(value: unknown): DeploymentControllerType {
  if (value === undefined || value === null) return 'ECS';
  const type = typeof value === 'string' ? value : asInput(value).type;
  if (typeof type !== 'string' || !DEPLOYMENT_CONTROLLERS.has(type)) throw invalidParameter('deploymentController.type must be one of ECS, CODE_DEPLOY, EXTERNAL.');
  return type as DeploymentControllerType;
}

/** The strategy part of a deploymentConfiguration; undefined for ROLLING (the rolling scheduler's business). */
export function readStrategy(configuration: Record<string, unknown>, controller: DeploymentControllerType): StrategyConfig | undefined {
  const strategy = configuration.strategy ?? 'ROLLING';
  if (typeof strategy !== 'string' || !STRATEGIES.has(strategy)) throw invalidParameter('deploymentConfiguration.strategy must be one of ROLLING, BLUE_GREEN, LINEAR, CANARY.');
  // ROLLING stays with the rolling scheduler; the twin models no lifecycle hooks for it.
  if (strategy === 'ROLLING') return undefined;
  if (controller !== 'ECS') throw invalidParameter(`The ${strategy} deployment strategy needs the ECS deployment controller.`);
  const bake = minutes(configuration.bakeTimeInMinutes, 'bakeTimeInMinutes', MAX_BAKE_MINUTES);
  // API_DeploymentConfiguration: "You must provide this parameter when you use the BLUE_GREEN deployment strategy."
  if (bake === undefined && strategy === 'BLUE_GREEN') throw invalidParameter('bakeTimeInMinutes must be provided for the BLUE_GREEN deployment strategy.');
  const config: StrategyConfig = { strategy: strategy as TrafficStrategy, bakeTimeInMinutes: bake ?? 0, lifecycleHooks: readHooks(configuration.lifecycleHooks) };
  if (strategy === 'LINEAR') {
    const linear = asInput(configuration.linearConfiguration);
    const stepPercent = percent(linear.stepPercent, 'linearConfiguration.stepPercent', 3) ?? 10;
    config.linearConfiguration = { stepPercent, stepBakeTimeInMinutes: minutes(linear.stepBakeTimeInMinutes, 'linearConfiguration.stepBakeTimeInMinutes', MAX_BAKE_MINUTES) ?? 6 };
  } else if (configuration.linearConfiguration !== undefined) {
    throw invalidParameter('linearConfiguration is only valid with the LINEAR deployment strategy.');
  }
  if (strategy === 'CANARY') {
    const canary = asInput(configuration.canaryConfiguration);
    const canaryPercent = percent(canary.canaryPercent, 'canaryConfiguration.canaryPercent', 0.1) ?? 5;
    config.canaryConfiguration = {
      canaryPercent,
      canaryBakeTimeInMinutes: minutes(canary.canaryBakeTimeInMinutes, 'canaryConfiguration.canaryBakeTimeInMinutes', MAX_BAKE_MINUTES) ?? 10,
    };
  } else if (configuration.canaryConfiguration !== undefined) {
    throw invalidParameter('canaryConfiguration is only valid with the CANARY deployment strategy.');
  }
  return config;
}

function readHooks(value: unknown): LifecycleHookConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParameter('lifecycleHooks must be a list.');
  const hooks = value.map((raw) => readHook(asInput(raw)));
  for (const type of ['AWS_LAMBDA', 'PAUSE'] as const) {
    if (hooks.filter((hook) => hook.targetType === type).length > MAX_HOOKS_PER_TYPE) {
      throw invalidParameter(`A service can have at most ${MAX_HOOKS_PER_TYPE} ${type === 'PAUSE' ? 'pause' : 'Lambda'} hooks.`);
    }
  }
  return hooks;
}

function readHook(input: Record<string, unknown>): LifecycleHookConfig {
  const targetType = input.targetType ?? 'AWS_LAMBDA';
  if (targetType !== 'AWS_LAMBDA' && targetType !== 'PAUSE') throw invalidParameter('lifecycleHooks.targetType must be AWS_LAMBDA or PAUSE.');
  const stages = input.lifecycleStages;
  if (!Array.isArray(stages) || stages.length === 0) throw invalidParameter('lifecycleHooks.lifecycleStages must be provided.');
  const allowed = targetType === 'PAUSE' ? PAUSE_HOOK_STAGES : LAMBDA_HOOK_STAGES;
  for (const stage of stages) {
    if (!allowed.includes(stage as LifecycleStage)) throw invalidParameter(`A ${targetType} hook cannot be configured at lifecycle stage ${String(stage)}.`);
  }
  const hook: LifecycleHookConfig = {
    targetType,
    lifecycleStages: [...new Set(stages as LifecycleStage[])],
    timeoutConfiguration: readTimeout(input.timeoutConfiguration, targetType === 'PAUSE' ? PAUSE_HOOK_MAX_TIMEOUT_MINUTES : LAMBDA_HOOK_MAX_TIMEOUT_MINUTES),
  };
  if (targetType === 'AWS_LAMBDA') {
    if (typeof input.hookTargetArn !== 'string' || !/^arn:aws[a-z-]*:lambda:/.test(input.hookTargetArn)) {
      throw invalidParameter('hookTargetArn must be the ARN of a Lambda function for an AWS_LAMBDA lifecycle hook.');
    }
    hook.hookTargetArn = input.hookTargetArn;
    if (typeof input.roleArn === 'string') hook.roleArn = input.roleArn;
    if (input.hookDetails !== undefined && input.hookDetails !== null) {
      const details = typeof input.hookDetails === 'string' ? (JSON.parse(input.hookDetails) as unknown) : input.hookDetails;
      hook.hookDetails = { ...asInput(details) };
    }
  } else if (input.hookTargetArn !== undefined || input.roleArn !== undefined) {
    throw invalidParameter('Pause hooks do not use hookTargetArn or roleArn.');
  }
  return hook;
}

function readTimeout(value: unknown, maxMinutes: number): HookTimeout {
  const input = asInput(value);
  const timeoutInMinutes = input.timeoutInMinutes ?? DEFAULT_HOOK_TIMEOUT_MINUTES;
  if (typeof timeoutInMinutes !== 'number' || !Number.isInteger(timeoutInMinutes) || timeoutInMinutes < 1 || timeoutInMinutes > maxMinutes) {
    throw invalidParameter(`timeoutConfiguration.timeoutInMinutes must be an integer from 1 to ${maxMinutes}.`);
  }
  const action = input.action ?? 'ROLLBACK';
  if (action !== 'ROLLBACK' && action !== 'CONTINUE') throw invalidParameter('timeoutConfiguration.action must be ROLLBACK or CONTINUE.');
  return { timeoutInMinutes, action };
}

function minutes(value: unknown, field: string, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw invalidParameter(`${field} must be an integer from 0 to ${max}.`);
  return value;
}

/** Percentages are multiples of 0.1 between `min` and 100. */
function percent(value: unknown, field: string, min: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const tenths = typeof value === 'number' ? Math.round(value * 10) : Number.NaN;
  if (!Number.isFinite(tenths) || Math.abs(tenths - (value as number) * 10) > 1e-6 || tenths < min * 10 || tenths > 1000) {
    throw invalidParameter(`${field} must be a multiple of 0.1 from ${min} to 100.`);
  }
  return tenths / 10;
}

/** The configuration as DescribeServices returns it (deploymentConfiguration members). */
export function strategyView(config: StrategyConfig): Record<string, unknown> {
  return {
    strategy: config.strategy,
    bakeTimeInMinutes: config.bakeTimeInMinutes,
    ...(config.linearConfiguration ? { linearConfiguration: { ...config.linearConfiguration } } : {}),
    ...(config.canaryConfiguration ? { canaryConfiguration: { ...config.canaryConfiguration } } : {}),
    ...(config.lifecycleHooks.length > 0
      ? {
          lifecycleHooks: config.lifecycleHooks.map((hook) => ({
            targetType: hook.targetType,
            ...(hook.hookTargetArn ? { hookTargetArn: hook.hookTargetArn } : {}),
            ...(hook.roleArn ? { roleArn: hook.roleArn } : {}),
            lifecycleStages: [...hook.lifecycleStages],
            ...(hook.hookDetails ? { hookDetails: { ...hook.hookDetails } } : {}),
            timeoutConfiguration: { ...hook.timeoutConfiguration },
          })),
        }
      : {}),
  };
}

/** Production weights of the green revision at each traffic shift step, in percent. */
export function productionSteps(config: StrategyConfig): number[] {
  if (config.strategy === 'CANARY') {
    const canary = config.canaryConfiguration?.canaryPercent ?? 5;
    return canary >= 100 ? [100] : [canary, 100];
  }
  if (config.strategy === 'LINEAR') {
    const step = config.linearConfiguration?.stepPercent ?? 10;
    const steps: number[] = [];
    for (let tenths = Math.round(step * 10); tenths < 1000; tenths += Math.round(step * 10)) steps.push(tenths / 10);
    return [...steps, 100];
  }
  return [100];
}

/** Scenario seconds to wait after a production step that did not reach 100% (the last step's bake time is skipped). */
export function stepBakeSeconds(config: StrategyConfig): number {
  if (config.strategy === 'LINEAR') return (config.linearConfiguration?.stepBakeTimeInMinutes ?? 6) * 60;
  if (config.strategy === 'CANARY') return (config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10) * 60;
  return 0;
}

/** A task set of an EXTERNAL (or CODE_DEPLOY) service (API_TaskSet). */
export interface TwinTaskSet {
  /** "ecs-svc/<19 digits>", the form ECS gives task set ids; also the startedBy of its tasks. */
  id: string;
  taskSetArn: string;
  status: 'PRIMARY' | 'ACTIVE' | 'DRAINING';
  taskDefinitionArn: string;
  /** Percent of the service's desiredCount (API_Scale, unit PERCENT). */
  scale: number;
  externalId?: string;
  /** "CODE_DEPLOY" for a task set CodeDeploy created; unused for EXTERNAL ones. */
  startedBy?: string;
  createdAt: Date;
  updatedAt: Date;
}
