import { clientException, invalidParameter } from './errors.js';
import type { FargateCapacityProvider, IdSource, LaunchType, TwinContainerInstance, TwinService } from './model.js';
import { FARGATE_MAX_STOP_TIMEOUT_SECONDS } from './model.js';
import type { RollingServiceSpec } from './rolling-settings.js';
import { rollingFieldsOf } from './rolling-settings.js';
import type { TwinStore } from './store.js';
import { definedOnly } from '../../functions/shared/optional.js';

/** New services and container instances, validated as CreateService / RegisterContainerInstance would. */

export interface ServiceSpec extends RollingServiceSpec {
  cluster: string;
  name: string;
  desiredCount: number;
  taskDefinition: string;
  launchType?: LaunchType;
  capacityProvider?: FargateCapacityProvider;
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  /** Scenario seconds from SIGTERM to SIGKILL (30; at most 120 on Fargate). */
  stopTimeoutSeconds?: number;
  /** Scenario seconds from PROVISIONING to RUNNING (60). */
  startupSeconds?: number;
  /** Behind a load balancer: the target group's deregistration delay in scenario seconds (0 to 3600; default none). */
  deregistrationDelaySeconds?: number;
}

export const NAME = /^[A-Za-z0-9_-]{1,255}$/;
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;
/** Fargate tasks take about a minute from PROVISIONING (ENI, image pull) to RUNNING; half of it is spent PENDING. */
export const DEFAULT_STARTUP_SECONDS = 60;
/** Elastic Load Balancing allows a target group deregistration delay of 0 to 3600 s (default 300). */
export const MAX_DEREGISTRATION_DELAY_SECONDS = 3600;

/** Fargate caps ContainerDefinition.stopTimeout at 120 s; EC2 has no cap the twin models. */
export function validateStopTimeout(launchType: LaunchType, seconds: number): void {
  if (!(seconds >= 0)) throw clientException(`Invalid stopTimeout value: ${seconds}.`);
  if (launchType === 'FARGATE' && seconds > FARGATE_MAX_STOP_TIMEOUT_SECONDS) {
    throw clientException(
      `Invalid stopTimeout value: ${seconds}. For tasks using the Fargate launch type, the max stopTimeout value is ${FARGATE_MAX_STOP_TIMEOUT_SECONDS} seconds.`,
    );
  }
}

/** The service without deployments; the caller adds the first one. */
export function buildService(store: TwinStore, spec: ServiceSpec, now: Date): TwinService {
  const cluster = store.resolveCluster(spec.cluster);
  if (!NAME.test(spec.name)) throw invalidParameter(`Invalid service name: ${spec.name}`);
  const serviceArn = `${store.arnPrefix}:service/${cluster.clusterName}/${spec.name}`;
  // The name of an INACTIVE (deleted) service may be taken again; that of an ACTIVE or DRAINING one may not (API_DeleteService).
  if ((store.services.get(serviceArn)?.status ?? 'INACTIVE') !== 'INACTIVE') throw invalidParameter('Creation of service was not idempotent.');
  if (spec.launchType === 'EC2' && spec.capacityProvider !== undefined) {
    throw invalidParameter('Specifying both a launch type and capacity provider strategy is not supported.');
  }
  const launchType = spec.launchType ?? 'FARGATE';
  const stopTimeoutSeconds = spec.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS;
  validateStopTimeout(launchType, stopTimeoutSeconds);
  const minimumHealthyPercent = spec.minimumHealthyPercent ?? 100;
  const maximumPercent = spec.maximumPercent ?? 200;
  if (!Number.isInteger(spec.desiredCount) || spec.desiredCount < 0) throw invalidParameter('desiredCount must be a non-negative integer.');
  if (minimumHealthyPercent < 0 || minimumHealthyPercent > 100 || maximumPercent < 100) {
    throw invalidParameter('deploymentConfiguration needs 0 <= minimumHealthyPercent <= 100 and maximumPercent >= 100.');
  }
  const delay = spec.deregistrationDelaySeconds;
  if (delay !== undefined && !(delay >= 0 && delay <= MAX_DEREGISTRATION_DELAY_SECONDS)) {
    throw invalidParameter(`deregistration_delay.timeout_seconds must be between 0 and ${MAX_DEREGISTRATION_DELAY_SECONDS}, got ${delay}.`);
  }
  store.rememberTaskDefinition(spec.taskDefinition, now);
  return {
    serviceArn,
    serviceName: spec.name,
    clusterArn: cluster.clusterArn,
    status: 'ACTIVE',
    desiredCount: spec.desiredCount,
    launchType,
    ...definedOnly({ capacityProvider: spec.capacityProvider }),
    minimumHealthyPercent,
    maximumPercent,
    stopTimeoutSeconds,
    startupSeconds: spec.startupSeconds ?? DEFAULT_STARTUP_SECONDS,
    ...(delay ? { deregistrationDelaySeconds: delay } : {}),
    ...rollingFieldsOf(spec),
    deployments: [],
    createdAt: now,
  };
}

export function buildContainerInstance(store: TwinStore, ids: IdSource, cluster: string, ec2InstanceId: string | undefined, now: Date): TwinContainerInstance {
  const found = store.resolveCluster(cluster);
  const instanceId = ec2InstanceId ?? ids.ec2InstanceId();
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId)) throw invalidParameter(`Invalid EC2 instance id: ${instanceId}`);
  if (store.findInstanceByEc2Id(instanceId) !== undefined) throw invalidParameter(`${instanceId} is already registered.`);
  return {
    containerInstanceArn: `${store.arnPrefix}:container-instance/${found.clusterName}/${ids.hex(32)}`,
    clusterArn: found.clusterArn,
    ec2InstanceId: instanceId,
    status: 'ACTIVE',
    agentConnected: true,
    version: 1,
    registeredAt: now,
    updatedAt: now,
  };
}
