import { deploymentConfigurationView, rollingDeploymentView, rollingServiceView } from './api-rolling.js';
import { AGENT_VERSION_INFO, CONTAINER_NAME, containerArn, containerInstanceAttributes, containerStatus, REGISTERED_RESOURCES, rolloutReason } from './events.js';
import type { TwinContainerInstance, TwinService, TwinTask } from './model.js';
import { isProtected } from './model.js';
import { containerNetworkBindings, containerNetworkInterfaces, taskAttachments } from './network.js';
import { strategyServiceView } from './strategies/views.js';
import { taskCounts } from './scheduler.js';
import type { TwinStore } from './store.js';

/*
 * API response shapes, as the JSON 1.1 protocol carries them: camelCase members, timestamps as
 * epoch seconds (the SDK turns them into Dates). Members ECS leaves out are left out.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html, API_Service.html,
 * API_Deployment.html, API_ContainerInstance.html, API_ProtectedTask.html
 */

export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function epoch(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : epochSeconds(date);
}

function defined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export function taskView(task: TwinTask): Record<string, unknown> {
  return defined({
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    containerInstanceArn: task.containerInstanceArn,
    group: task.group,
    startedBy: task.startedBy,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    launchType: task.launchType,
    capacityProviderName: task.capacityProviderName,
    platformVersion: task.launchType === 'FARGATE' ? '1.4.0' : undefined,
    platformFamily: task.launchType === 'FARGATE' ? 'Linux' : undefined,
    availabilityZone: task.availabilityZone,
    cpu: '1024',
    memory: '2048',
    version: task.version,
    connectivity: 'CONNECTED',
    createdAt: epoch(task.createdAt),
    pullStartedAt: epoch(task.pullStartedAt),
    pullStoppedAt: epoch(task.pullStoppedAt),
    startedAt: epoch(task.startedAt),
    stoppingAt: epoch(task.stoppingAt),
    executionStoppedAt: epoch(task.executionStoppedAt),
    stoppedAt: epoch(task.stoppedAt),
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    healthStatus: task.healthStatus ?? 'UNKNOWN',
    enableExecuteCommand: false,
    attachments: taskAttachments(task, 'ElasticNetworkInterface'),
    attributes: [],
    containers: [
      defined({
        containerArn: containerArn(task),
        taskArn: task.taskArn,
        name: CONTAINER_NAME,
        lastStatus: containerStatus(task),
        exitCode: task.exitCode,
        networkInterfaces: containerNetworkInterfaces(task),
        networkBindings: containerNetworkBindings(task),
        healthStatus: task.healthStatus ?? 'UNKNOWN',
        cpu: '0',
      }),
    ],
    overrides: { containerOverrides: [{ name: CONTAINER_NAME }], inferenceAcceleratorOverrides: [] },
    tags: [],
  });
}

export function protectedTaskView(task: TwinTask, now: Date): Record<string, unknown> {
  const enabled = isProtected(task, now);
  return defined({
    taskArn: task.taskArn,
    protectionEnabled: enabled,
    expirationDate: enabled ? epoch(task.protection.expiresAt) : undefined,
  });
}

function placement(service: TwinService): Record<string, unknown> {
  return service.capacityProvider === undefined
    ? { launchType: service.launchType, ...(service.launchType === 'FARGATE' ? { platformVersion: 'LATEST', platformFamily: 'Linux' } : {}) }
    : {
        capacityProviderStrategy: [{ capacityProvider: service.capacityProvider, weight: 1, base: 0 }],
        platformVersion: 'LATEST',
        platformFamily: 'Linux',
      };
}

export function serviceView(service: TwinService, store: TwinStore): Record<string, unknown> {
  const tasks = store.tasksOfService(service);
  const counts = taskCounts(tasks);
  return strategyServiceView(service, store, {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    clusterArn: service.clusterArn,
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: counts.runningCount,
    pendingCount: counts.pendingCount,
    ...placement(service),
    taskDefinition: service.deployments[0]?.taskDefinitionArn,
    deploymentConfiguration: deploymentConfigurationView(service),
    ...rollingServiceView(service),
    deployments: service.deployments.map((deployment) => {
      const own = taskCounts(tasks.filter((task) => task.deploymentId === deployment.id));
      return {
        id: deployment.id,
        status: deployment.status,
        taskDefinition: deployment.taskDefinitionArn,
        desiredCount: deployment.status === 'PRIMARY' ? service.desiredCount : own.desiredCount,
        pendingCount: own.pendingCount,
        runningCount: own.runningCount,
        createdAt: epochSeconds(deployment.createdAt),
        updatedAt: epochSeconds(deployment.updatedAt),
        ...placement(service),
        ...rollingDeploymentView(deployment),
        rolloutState: deployment.rolloutState,
        rolloutStateReason: rolloutReason(deployment),
      };
    }),
    events: [],
    createdAt: epochSeconds(service.createdAt),
    placementConstraints: [],
    placementStrategy: [],
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
    availabilityZoneRebalancing: 'DISABLED',
  });
}

export function containerInstanceView(instance: TwinContainerInstance, store: TwinStore): Record<string, unknown> {
  return {
    containerInstanceArn: instance.containerInstanceArn,
    ec2InstanceId: instance.ec2InstanceId,
    version: instance.version,
    versionInfo: AGENT_VERSION_INFO,
    remainingResources: REGISTERED_RESOURCES,
    registeredResources: REGISTERED_RESOURCES,
    status: instance.status,
    agentConnected: instance.agentConnected,
    ...store.instanceCounts(instance.containerInstanceArn),
    attributes: containerInstanceAttributes(instance),
    registeredAt: epochSeconds(instance.registeredAt),
    attachments: [],
    tags: [],
  };
}
