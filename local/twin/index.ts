/** The ECS twin's public surface: the twin, its types and errors, and the JSON protocol adapter. */
export { EcsTwin } from './twin.js';
export { AutoScalingTwin, AutoScalingValidationError, type LifecycleActionRecord, type LifecycleHookSpec } from './autoscaling/groups.js';
export { autoScalingQueryResponse, AUTOSCALING_API_VERSION } from './autoscaling/query-api.js';
export type { EcsTwinOptions, ServiceSpec, StrategyServiceSpec, TargetHealthDescription, TargetHealthState, TargetRequest, TrafficTarget } from './twin.js';
export { EcsApiError, TwinUsageError } from './errors.js';
export { ecsJsonResponse, ECS_TARGET_PREFIX } from './http.js';
export { answersQuery, ELB_API_VERSION, ELB_NAMESPACE, elbQueryResponse, queryAction } from './elb.js';
export type { TargetHealthSource } from './elb.js';
export type { JsonResponse } from './http.js';
export { SUPPORTED_OPERATIONS } from './api.js';
export type { CircuitBreakerSettings, ThresholdConfiguration } from './circuit-breaker.js';
export type { TaskHealthStatus } from './health.js';
export type { RollingServiceChange } from './rolling-settings.js';
export type { RollbackMode } from './rollout.js';
export type { TaskDefinitionBehaviour } from './task-definitions.js';
export type {
  EventBridgeEnvelope,
  KillCause,
  SigtermReason,
  StopInfo,
  TaskRuntime,
  ThrottlingOptions,
  TwinChange,
  TwinContainerInstance,
  TwinDeployment,
  TwinService,
  TwinServiceSnapshot,
  TwinSnapshot,
  TwinTask,
} from './model.js';
