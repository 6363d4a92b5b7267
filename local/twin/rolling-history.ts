import { createHash } from 'node:crypto';
import type { ScaledClock } from '../cloud/clock.js';
import { EcsApiError } from './errors.js';
import type { TwinDeployment, TwinService } from './model.js';
import { deploymentConfigurationView } from './api-rolling.js';
import { taskCounts } from './scheduler.js';
import type { TwinStore } from './store.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * The service deployments of rolling (ECS controller, ROLLING strategy) services, as
 * ListServiceDeployments / DescribeServiceDeployments report them and StopServiceDeployment stops
 * them. ECS creates one when a service is created, when it is forced to deploy and when a change
 * needs a deployment (service-deployment.html). Its status follows the deployment it runs (its
 * target): IN_PROGRESS, then SUCCESSFUL once the service is steady; STOPPED when a newer deployment
 * supersedes it or it fails without a rollback; ROLLBACK_IN_PROGRESS once a rollback (the circuit
 * breaker's, or StopServiceDeployment's) starts, ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED as the
 * rollback's own deployment ends. The rollback is this service deployment's, not a new one: it
 * names the revision it returns to (API_Rollback). The ECS deployment events are the twin's as
 * ever (rollout.ts: SERVICE_DEPLOYMENT_IN_PROGRESS for the rollback, with a reason naming both ids).
 * BLUE_GREEN / LINEAR / CANARY deployments have their own records (strategies/run.ts).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html
 */

export type RollingDeploymentStatus = 'IN_PROGRESS' | 'SUCCESSFUL' | 'STOPPED' | 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED';

interface RollingRecord {
  serviceDeploymentArn: string;
  service: TwinService;
  target: TwinDeployment;
  /** The deployments whose tasks it replaces (API_ServiceDeployment sourceServiceRevisions). */
  sources: TwinDeployment[];
  status: RollingDeploymentStatus;
  statusReason?: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
  rollback?: { reason: string; startedAt: Date; to: TwinDeployment };
}

export interface RollingHistoryHost {
  clock: ScaledClock;
  store: TwinStore;
  /** StopServiceDeployment ROLLBACK of the deployment in progress (rollout.ts); throws ConflictException when there is nothing to roll back to. */
  rollBack(service: TwinService, deployment: TwinDeployment): void;
}

const FINISHED = new Set<RollingDeploymentStatus>(['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);

/** A service deployment's key: 21 letters and digits, derived from the ECS deployment id so that seeded runs name it alike. */
function serviceDeploymentKey(deploymentId: string, createdAt: Date): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const digest = createHash('sha256').update(`${deploymentId}:${createdAt.getTime()}`).digest();
  return [...digest.subarray(0, 21)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export function isRollingService(service: TwinService): boolean {
  return (service.deploymentController ?? 'ECS') === 'ECS' && service.deploymentStrategy === undefined;
}

export class RollingHistory {
  /** Newest first, per service ARN. */
  private readonly byService = new Map<string, RollingRecord[]>();
  /** The record each ECS deployment id moves now: as its target, or as the deployment its rollback runs. */
  private readonly tracking = new Map<string, RollingRecord>();

  constructor(private readonly host: RollingHistoryHost) {}

  /** Every deployment state change of the twin (the SERVICE_DEPLOYMENT_* events). */
  deploymentChanged(service: TwinService, deployment: TwinDeployment): void {
    if (!isRollingService(service)) return;
    if (deployment.rolloutState === 'IN_PROGRESS' && deployment.status === 'PRIMARY') return this.started(service, deployment);
    const record = this.tracking.get(deployment.id);
    if (record === undefined || FINISHED.has(record.status)) return;
    const asRollback = record.rollback?.to.id === deployment.id;
    if (deployment.rolloutState === 'COMPLETED') this.finish(record, asRollback ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL');
    else if (deployment.rolloutState === 'FAILED') this.finish(record, asRollback ? 'ROLLBACK_FAILED' : 'STOPPED', deployment.rolloutStateReason);
  }

  /** StopServiceDeployment ROLLBACK of a rolling service deployment; false when the ARN is not one. */
  stop(serviceDeploymentArn: string): boolean {
    const record = this.find(serviceDeploymentArn);
    if (record === undefined) return false;
    // stop-service-deployment.html: a deployment already rolling back "continues the rollback operation".
    if (record.status === 'ROLLBACK_IN_PROGRESS') return true;
    const current = record.service.deployments.find((deployment) => deployment.id === record.target.id);
    if (record.status !== 'IN_PROGRESS' || current === undefined) {
      throw new EcsApiError('ConflictException', `The service deployment is ${record.status} and cannot be stopped.`);
    }
    this.host.rollBack(record.service, current);
    return true;
  }

  deploymentsOf(service: TwinService): readonly RollingRecord[] {
    return this.byService.get(service.serviceArn) ?? [];
  }

  find(serviceDeploymentArn: string): RollingRecord | undefined {
    for (const records of this.byService.values()) {
      const found = records.find((record) => record.serviceDeploymentArn === serviceDeploymentArn);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** API_ServiceDeployment. */
  view(record: RollingRecord): Record<string, unknown> {
    return {
      ...this.brief(record),
      updatedAt: epoch(record.updatedAt),
      sourceServiceRevisions: record.sources.map((deployment) => this.revisionView(record, deployment)),
      targetServiceRevision: this.revisionView(record, record.target),
      deploymentConfiguration: { ...deploymentConfigurationView(record.service), strategy: 'ROLLING' },
      ...(record.rollback === undefined
        ? {}
        : { rollback: { reason: record.rollback.reason, startedAt: epoch(record.rollback.startedAt), serviceRevisionArn: revisionArn(this.host.store, record.service, record.rollback.to.id) } }),
    };
  }

  /** API_ServiceDeploymentBrief (ListServiceDeployments). */
  brief(record: RollingRecord): Record<string, unknown> {
    return {
      serviceDeploymentArn: record.serviceDeploymentArn,
      serviceArn: record.service.serviceArn,
      clusterArn: record.service.clusterArn,
      startedAt: epoch(record.createdAt),
      createdAt: epoch(record.createdAt),
      ...definedOnly({ finishedAt: epoch(record.finishedAt) }),
      targetServiceRevisionArn: revisionArn(this.host.store, record.service, record.target.id),
      status: record.status,
      ...definedOnly({ statusReason: record.statusReason }),
    };
  }

  private started(service: TwinService, deployment: TwinDeployment): void {
    const now = this.host.clock.now();
    const rolledBack = deployment.rollbackOf === undefined ? undefined : this.tracking.get(deployment.rollbackOf);
    if (rolledBack !== undefined && (rolledBack.status === 'IN_PROGRESS' || rolledBack.status === 'STOPPED')) {
      Object.assign(rolledBack, { status: 'ROLLBACK_IN_PROGRESS', updatedAt: now });
      delete rolledBack.finishedAt;
      rolledBack.rollback = { reason: deployment.rolloutStateReason ?? '', startedAt: now, to: deployment };
      this.tracking.set(deployment.id, rolledBack);
      return;
    }
    // A newer deployment supersedes the one in progress (or its rollback): that one stops.
    for (const earlier of this.deploymentsOf(service)) if (!FINISHED.has(earlier.status)) this.finish(earlier, 'STOPPED');
    const record: RollingRecord = {
      serviceDeploymentArn: `${this.host.store.arnPrefix}:service-deployment/${clusterNameOf(service)}/${service.serviceName}/${serviceDeploymentKey(deployment.id, now)}`,
      service,
      target: deployment,
      sources: service.deployments.filter((other) => other.id !== deployment.id && this.host.store.tasksOfService(service).some((task) => task.deploymentId === other.id && task.lastStatus !== 'STOPPED')),
      status: 'IN_PROGRESS',
      createdAt: now,
      updatedAt: now,
    };
    this.byService.set(service.serviceArn, [record, ...this.deploymentsOf(service)]);
    this.tracking.set(deployment.id, record);
  }

  private finish(record: RollingRecord, status: RollingDeploymentStatus, reason?: string): void {
    const now = this.host.clock.now();
    Object.assign(record, { status, updatedAt: now, finishedAt: now });
    if (reason !== undefined) record.statusReason = reason;
  }

  private revisionView(record: RollingRecord, deployment: TwinDeployment): Record<string, unknown> {
    const counts = taskCounts(this.host.store.tasksOfService(record.service).filter((task) => task.deploymentId === deployment.id));
    return {
      arn: revisionArn(this.host.store, record.service, deployment.id),
      requestedTaskCount: deployment.id === record.target.id && !FINISHED.has(record.status) ? record.service.desiredCount : counts.desiredCount,
      runningTaskCount: counts.runningCount,
      pendingTaskCount: counts.pendingCount,
    };
  }
}

function clusterNameOf(service: TwinService): string {
  return service.clusterArn.split('/').pop() ?? '';
}

/** A service revision's ARN: the service's, and the ECS deployment's id (strategies/engine.ts names them alike). */
export function revisionArn(store: TwinStore, service: TwinService, deploymentId: string): string {
  return `${store.arnPrefix}:service-revision/${clusterNameOf(service)}/${service.serviceName}/${deploymentId.replace(/^ecs-svc\//, '')}`;
}

function epoch(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : date.getTime() / 1000;
}
