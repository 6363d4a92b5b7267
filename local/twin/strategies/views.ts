/** API shapes of strategy services: DescribeServices additions (controller, strategy, task sets) and API_ServiceDeployment. */
import type { TwinService } from '../model.js';
import { taskCounts } from '../scheduler.js';
import type { TwinStore } from '../store.js';
import { strategyView } from './config.js';
import type { StrategyEngine } from './engine.js';
import type { DeploymentRun } from './run.js';
import { taskSetView } from './task-sets.js';

function epoch(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : date.getTime() / 1000;
}

/** The rolling service view with what a strategy or a task-set controller changes in it. */
export function strategyServiceView(service: TwinService, store: TwinStore, view: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...view, deploymentController: { type: service.deploymentController ?? 'ECS' } };
  if (service.deploymentStrategy !== undefined) {
    out.deploymentConfiguration = { ...(view.deploymentConfiguration as Record<string, unknown>), ...strategyView(service.deploymentStrategy) };
  }
  if (service.deploymentController === 'EXTERNAL' || service.deploymentController === 'CODE_DEPLOY') {
    const sets = service.taskSets ?? [];
    out.taskSets = sets.map((set) => taskSetView(store, service, set));
    out.deployments = [];
    const primary = sets.find((set) => set.status === 'PRIMARY');
    if (primary === undefined) delete out.taskDefinition;
    else out.taskDefinition = primary.taskDefinitionArn;
  }
  return out;
}

function revisionCounts(engine: StrategyEngine, store: TwinStore, service: TwinService, run: DeploymentRun, deploymentId: string): Record<string, unknown> {
  const counts = taskCounts(store.tasksOfService(service).filter((task) => task.deploymentId === deploymentId));
  return {
    arn: engine.revisionArn(service, deploymentId),
    requestedTaskCount: run.done ? counts.desiredCount : run.desiredFor(deploymentId),
    runningTaskCount: counts.runningCount,
    pendingTaskCount: counts.pendingCount,
  };
}

/** API_ServiceDeployment; lifecycleHookDetails lists the hooks active now. */
export function serviceDeploymentView(engine: StrategyEngine, store: TwinStore, service: TwinService, run: DeploymentRun): Record<string, unknown> {
  const { record } = run;
  const active = record.hooks.filter((hook) => hook.status === 'AWAITING_ACTION' || hook.status === 'IN_PROGRESS');
  return {
    serviceDeploymentArn: record.serviceDeploymentArn,
    serviceArn: service.serviceArn,
    clusterArn: service.clusterArn,
    createdAt: epoch(record.createdAt),
    startedAt: epoch(record.startedAt),
    updatedAt: epoch(record.updatedAt),
    ...(record.finishedAt ? { finishedAt: epoch(record.finishedAt) } : {}),
    sourceServiceRevisions: run.blue ? [revisionCounts(engine, store, service, run, run.blue.id)] : [],
    targetServiceRevision: revisionCounts(engine, store, service, run, run.green.id),
    status: record.status,
    ...(record.statusReason ? { statusReason: record.statusReason } : {}),
    ...(record.lifecycleStage ? { lifecycleStage: record.lifecycleStage } : {}),
    deploymentConfiguration: { ...strategyView(run.config), maximumPercent: service.maximumPercent, minimumHealthyPercent: service.minimumHealthyPercent },
    ...(record.rollback
      ? { rollback: { reason: record.rollback.reason, startedAt: epoch(record.rollback.startedAt), ...(record.rollback.serviceRevisionArn ? { serviceRevisionArn: record.rollback.serviceRevisionArn } : {}) } }
      : {}),
    ...(active.length > 0
      ? {
          lifecycleHookDetails: active.map((hook) => ({
            hookId: hook.hookId,
            targetType: hook.targetType,
            ...(hook.targetArn ? { targetArn: hook.targetArn } : {}),
            status: hook.status,
            expiresAt: epoch(hook.expiresAt),
            timeoutAction: hook.timeoutAction,
          })),
        }
      : {}),
  };
}

/** API_ServiceDeploymentBrief (ListServiceDeployments). */
export function serviceDeploymentBrief(engine: StrategyEngine, service: TwinService, run: DeploymentRun): Record<string, unknown> {
  const { record } = run;
  return {
    serviceDeploymentArn: record.serviceDeploymentArn,
    serviceArn: service.serviceArn,
    clusterArn: service.clusterArn,
    startedAt: epoch(record.startedAt),
    createdAt: epoch(record.createdAt),
    ...(record.finishedAt ? { finishedAt: epoch(record.finishedAt) } : {}),
    targetServiceRevisionArn: engine.revisionArn(service, run.green.id),
    status: record.status,
    ...(record.statusReason ? { statusReason: record.statusReason } : {}),
  };
}
