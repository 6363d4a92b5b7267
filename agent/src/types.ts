import type { DrainReason, TaskStatus } from './registry-contract.js';

/** Who this process is, as the ECS task metadata endpoint (and the agent's settings) tell it. */
export interface TaskIdentity {
  taskArn: string;
  /** Always an ARN: a short cluster name from the metadata is expanded with the task ARN's region and account. */
  clusterArn: string;
  serviceName?: string;
  taskDefinitionArn?: string;
  availabilityZone?: string;
  launchType?: string;
  capacityProviderName?: string;
}

export type AgentState = 'active' | 'draining' | 'terminating' | 'stopped';

/**
 * Why the task stopped accepting sessions. `source` says how the agent learnt it: the registry
 * item left ACTIVE, or SIGTERM arrived first.
 */
export interface DrainNotice {
  source: 'registry' | 'sigterm';
  /** The item's status when the notice was raised (`ACTIVE` or unknown when SIGTERM came first). */
  status?: TaskStatus;
  /** The item's drainReason (DEPLOYMENT, SCALE_IN, SPOT, INSTANCE, MANUAL), when the orchestrator set one. */
  reason?: DrainReason | string;
  /** The item's drainDeadline: after it the orchestrator stops the task whatever its sessions. */
  deadline?: Date;
}

/** A hard deadline: sessions still open then are cut. Close them gracefully a little before. */
export interface DeadlineNotice {
  deadline: Date;
  reason?: DrainReason | string;
  /**
   * `drain`: the item's drainDeadline; `spot`: a Spot drain without one (first sight + 120 s);
   * `sigterm`: SIGTERM time + the configured stopTimeoutSeconds (ECS sends SIGKILL then).
   */
  source: 'drain' | 'spot' | 'sigterm';
}

export interface TerminationNotice {
  /** True when the registry item was DRAINING or STOPPING at SIGTERM: the orchestrator stopped the task. */
  orchestrated: boolean;
  /** The item's drainReason, when there is one. */
  reason?: string;
  /** The earliest hard deadline known at SIGTERM. */
  deadline?: Date;
}

export interface AgentHealth {
  healthy: boolean;
  state: AgentState;
  sessions: number;
}

export type OpenOutcome = 'opened' | 'refused' | 'opened-unregistered';
