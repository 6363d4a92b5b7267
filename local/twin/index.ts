/** The ECS twin's public surface: the twin, its types and errors, and the JSON protocol adapter. */
export { EcsTwin } from './twin.js';
export type { EcsTwinOptions, ServiceSpec } from './twin.js';
export { EcsApiError, TwinUsageError } from './errors.js';
export { ecsJsonResponse, ECS_TARGET_PREFIX } from './http.js';
export type { JsonResponse } from './http.js';
export { SUPPORTED_OPERATIONS } from './api.js';
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
