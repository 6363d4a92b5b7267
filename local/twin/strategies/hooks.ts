/** Lifecycle hooks: Lambda hooks invoked (and re-invoked while IN_PROGRESS) and pause hooks awaiting ContinueServiceDeployment, as ECS runs them at a stage. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ScaledClock } from '../../cloud/clock.js';
import type { EventBridgeEnvelope } from '../model.js';
import { DEFAULT_CALLBACK_DELAY_SECONDS, type LifecycleHookConfig, type LifecycleStage } from './config.js';
import { hookStateChangeEvent, type StrategyEventContext } from './events.js';

export type HookStatus = 'AWAITING_ACTION' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

/** One hook execution, as DescribeServiceDeployments lists it in lifecycleHookDetails. */
export interface HookDetail {
  hookId: string;
  targetType: 'AWS_LAMBDA' | 'PAUSE';
  targetArn?: string;
  status: HookStatus;
  expiresAt: Date;
  timeoutAction: 'ROLLBACK' | 'CONTINUE';
  lifecycleStage: LifecycleStage;
  /** Lambda hooks: how many times the function was invoked for this execution. */
  invocations?: number;
}

export type HookOutcome = { result: 'CONTINUE' } | { result: 'ROLLBACK'; reason: string };

export interface HookHost {
  clock: ScaledClock;
  /** Lambda Invoke (RequestResponse) of the hook target: resolves with the function's result, rejects when the function fails. */
  invokeHook: ((functionArn: string, payload: unknown) => Promise<unknown>) | undefined;
  emit(event: EventBridgeEnvelope): void;
  eventContext(): StrategyEventContext;
  reportError(error: unknown, where: string): void;
  /** Pause hooks waiting for ContinueServiceDeployment, by hookId. */
  paused: Map<string, (action: 'CONTINUE' | 'ROLLBACK') => void>;
}

/** What a stage's hooks are told: everything of the payload but the per-execution fields. */
export interface StageContext {
  stage: LifecycleStage;
  /** The service deployment ARN (payload resourceArn). */
  resourceArn: string;
  executionDetails: () => Record<string, unknown>;
  /** Where the twin lists hook executions for DescribeServiceDeployments. */
  details: HookDetail[];
  signal: AbortSignal;
}

/** Runs every hook configured at the stage, in parallel; the deployment goes on only if all of them let it. */
export async function runStageHooks(host: HookHost, hooks: readonly LifecycleHookConfig[], context: StageContext): Promise<HookOutcome> {
  const atStage = hooks.filter((hook) => hook.lifecycleStages.includes(context.stage));
  if (atStage.length === 0) return { result: 'CONTINUE' };
  const outcomes = await Promise.all(atStage.map((hook) => (hook.targetType === 'PAUSE' ? runPauseHook(host, hook, context) : runLambdaHook(host, hook, context))));
  return outcomes.find((outcome) => outcome.result === 'ROLLBACK') ?? { result: 'CONTINUE' };
}

/** Resolves after the scenario seconds, or rejects with the signal's reason once it aborts. */
export function sleep(clock: ScaledClock, seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      cancel();
      reject(signal.reason);
    };
    const cancel = clock.after(seconds, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function hookId(prefix: string): string {
  return `${prefix}-${randomBytes(32).toString('base64url').slice(0, 43)}`;
}

async function runLambdaHook(host: HookHost, hook: LifecycleHookConfig, context: StageContext): Promise<HookOutcome> {
  const targetArn = hook.hookTargetArn ?? '';
  const timeoutSeconds = hook.timeoutConfiguration.timeoutInMinutes * 60;
  const detail: HookDetail = {
    hookId: hookId('ecs-lambda'),
    targetType: 'AWS_LAMBDA',
    targetArn,
    status: 'IN_PROGRESS',
    expiresAt: new Date(host.clock.now().getTime() + host.clock.ms(timeoutSeconds)),
    timeoutAction: hook.timeoutConfiguration.action,
    lifecycleStage: context.stage,
    invocations: 0,
  };
  context.details.push(detail);
  const timedOut = new AbortController();
  const cancelTimeout = host.clock.after(timeoutSeconds, () => timedOut.abort('TIMED_OUT'));
  const signal = AbortSignal.any([context.signal, timedOut.signal]);
  const executionId = randomUUID();
  let runtimeDetails: Record<string, unknown> = {};
  try {
    for (;;) {
      const hookDetails = { ...hook.hookDetails, ...runtimeDetails };
      const payload = {
        executionId,
        lifecycleStage: context.stage,
        resourceArn: context.resourceArn,
        executionDetails: context.executionDetails(),
        ...(Object.keys(hookDetails).length > 0 ? { hookDetails } : {}),
      };
      detail.invocations = (detail.invocations ?? 0) + 1;
      let response: unknown;
      try {
        if (host.invokeHook === undefined) throw new Error('the twin was built without invokeHook: no Lambda can be invoked');
        response = await abortable(host.invokeHook(targetArn, payload), signal);
      } catch (error) {
        if (signal.aborted) throw error;
        detail.status = 'FAILED';
        host.reportError(error, `lifecycle hook ${targetArn} at ${context.stage}`);
        return { result: 'ROLLBACK', reason: `lifecycle hook ${targetArn} failed at ${context.stage}: ${(error as Error).message}` };
      }
      const answer = parseResponse(response);
      if (answer.hookStatus === 'SUCCEEDED') {
        detail.status = 'SUCCEEDED';
        return { result: 'CONTINUE' };
      }
      if (answer.hookStatus !== 'IN_PROGRESS') {
        detail.status = 'FAILED';
        const why = answer.hookStatus === 'FAILED' ? 'returned hookStatus FAILED' : `returned no valid hookStatus (${JSON.stringify(response)?.slice(0, 200)})`;
        return { result: 'ROLLBACK', reason: `lifecycle hook ${targetArn} ${why} at ${context.stage}` };
      }
      if (answer.hookDetails !== undefined) runtimeDetails = { ...runtimeDetails, ...answer.hookDetails };
      await sleep(host.clock, answer.callBackDelay ?? DEFAULT_CALLBACK_DELAY_SECONDS, signal);
    }
  } catch (error) {
    if (!timedOut.signal.aborted || context.signal.aborted) throw error;
    detail.status = 'TIMED_OUT';
    return hook.timeoutConfiguration.action === 'CONTINUE'
      ? { result: 'CONTINUE' }
      : { result: 'ROLLBACK', reason: `lifecycle hook ${targetArn} timed out at ${context.stage}` };
  } finally {
    cancelTimeout();
    // Abandoned (the deployment rolls back or was superseded): no longer active.
    if (detail.status === 'IN_PROGRESS') detail.status = 'FAILED';
  }
}

async function runPauseHook(host: HookHost, hook: LifecycleHookConfig, context: StageContext): Promise<HookOutcome> {
  const timeoutSeconds = hook.timeoutConfiguration.timeoutInMinutes * 60;
  const detail: HookDetail = {
    hookId: hookId('ecs-pause'),
    targetType: 'PAUSE',
    status: 'AWAITING_ACTION',
    expiresAt: new Date(host.clock.now().getTime() + host.clock.ms(timeoutSeconds)),
    timeoutAction: hook.timeoutConfiguration.action,
    lifecycleStage: context.stage,
  };
  context.details.push(detail);
  const announce = (eventName: string) => host.emit(hookStateChangeEvent(host.eventContext(), eventName, detail, context.resourceArn));
  announce('HOOK_AWAITING_ACTION');
  let cancelTimeout: () => void = () => undefined;
  try {
    const action = await abortable(
      new Promise<'CONTINUE' | 'ROLLBACK' | 'TIMED_OUT'>((resolve) => {
        host.paused.set(detail.hookId, resolve);
        cancelTimeout = host.clock.after(timeoutSeconds, () => resolve('TIMED_OUT'));
      }),
      context.signal,
    );
    if (action === 'TIMED_OUT') {
      detail.status = 'TIMED_OUT';
      announce('HOOK_TIMED_OUT');
      return hook.timeoutConfiguration.action === 'CONTINUE' ? { result: 'CONTINUE' } : { result: 'ROLLBACK', reason: `pause hook ${detail.hookId} timed out at ${context.stage}` };
    }
    detail.status = action === 'CONTINUE' ? 'SUCCEEDED' : 'FAILED';
    announce(action === 'CONTINUE' ? 'HOOK_SUCCEEDED' : 'HOOK_FAILED');
    return action === 'CONTINUE' ? { result: 'CONTINUE' } : { result: 'ROLLBACK', reason: `ContinueServiceDeployment ROLLBACK on pause hook ${detail.hookId} at ${context.stage}` };
  } finally {
    cancelTimeout();
    host.paused.delete(detail.hookId);
    if (detail.status === 'AWAITING_ACTION') detail.status = 'FAILED';
  }
}

function parseResponse(response: unknown): { hookStatus?: unknown; callBackDelay?: number; hookDetails?: Record<string, unknown> } {
  let value = response;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return {};
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const record = value as Record<string, unknown>;
  const delay = record.callBackDelay;
  const details = record.hookDetails;
  return {
    hookStatus: record.hookStatus,
    ...(typeof delay === 'number' && delay >= 0 ? { callBackDelay: delay } : {}),
    ...(details !== null && typeof details === 'object' && !Array.isArray(details) ? { hookDetails: details as Record<string, unknown> } : {}),
  };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
