import { join } from 'node:path';
import type { ScaledClock } from '../cloud/clock.js';
import { definedOnly } from '../../functions/shared/optional.js';
import type { TwinTask } from '../twin/index.js';
import { LoadBalancer, type LoadBalancerOptions } from './load-balancer.js';
import { type ProcessCloud, ProcessTasks, type ProcessTasksOptions } from './process-tasks.js';
import { SessionClients } from './session-clients.js';
import { buildSessionServer } from './session-server-build.js';
import { preparePythonApp } from './sidecar-pair.js';
import { TaskEndpoints, type TwinForEndpoints } from './task-endpoints.js';

export interface ProcessModeOptions {
  /** Agent and server timing, in scenario seconds (see ProcessTasksOptions). */
  heartbeatSeconds?: number;
  drainPollSeconds?: number;
  closeLeadSeconds?: number;
  /** Load balancer health checks, in scenario seconds and counts. */
  healthChecks?: Omit<LoadBalancerOptions, 'clock'>;
  /** Clients reconnect elsewhere after a graceful 1012 close. */
  reconnect?: boolean;
  /**
   * What each task runs: 'node' (default) the WebSocket example with the agent library in one
   * process; 'python' the Python example with the session sidecar, two processes (issue 13). A
   * function chooses per task (per service), so that one rehearsal can run both.
   */
  app?: SessionApp | ((task: TwinTask) => SessionApp);
}

export type SessionApp = 'node' | 'python';

/** Real task processes, the load balancer in front of them, and the users' clients. */
export interface ProcessMode {
  tasks: ProcessTasks;
  balancer: LoadBalancer;
  clients: SessionClients;
  stop(): Promise<void>;
}

/**
 * Starts what a process-mode rehearsal needs before its twin exists: the twin is only asked for
 * (through `twin()`) once a task starts, which is after the twin has been built with `tasks` as
 * its runtime.
 */
export async function startProcessMode(context: {
  clock: ScaledClock;
  cloud: ProcessCloud;
  logDir: string;
  twin: () => TwinForEndpoints & {
    containerExited(taskArn: string, exitCode: number): void;
    trafficTarget?(taskArn: string): { group: string; weight: number };
    targetHealthState?(taskArn: string): string | undefined;
  };
  options: ProcessModeOptions;
  onError: (what: string, error: unknown) => void;
}): Promise<ProcessMode> {
  const { clock, options } = context;
  const build = await buildSessionServer();
  const endpoints = await TaskEndpoints.start({
    snapshot: () => context.twin().snapshot(),
    api: { handle: (operation, input) => context.twin().api.handle(operation, input) },
  });
  const taskOptions: ProcessTasksOptions = {
    clock,
    cloud: context.cloud,
    build,
    ...(options.app === undefined || options.app === 'node' ? {} : { python: { build: preparePythonApp(), runs: typeof options.app === 'function' ? options.app : () => 'python' as const } }),
    endpoints: { environmentFor: (task: TwinTask) => endpoints.environmentFor(task) },
    logDir: join(context.logDir, 'tasks'),
    onError: context.onError,
    ...definedOnly({ heartbeatSeconds: options.heartbeatSeconds, drainPollSeconds: options.drainPollSeconds, closeLeadSeconds: options.closeLeadSeconds }),
  };
  const tasks = new ProcessTasks(taskOptions);
  tasks.attach((taskArn, exitCode) => {
    try {
      context.twin().containerExited(taskArn, exitCode);
    } catch (error) {
      context.onError(`exit of ${taskArn}`, error);
    }
  });
  const balancer = new LoadBalancer({
    clock,
    intervalSeconds: 10,
    healthyThreshold: 2,
    ...options.healthChecks,
    route: (taskArn) => context.twin().trafficTarget?.(taskArn) ?? { group: 'default', weight: 100 },
    targetHealth: (taskArn) => context.twin().targetHealthState?.(taskArn),
  });
  tasks.onListening((task) => balancer.register(task));
  const clients = new SessionClients({ balancer, clock, ...(options.reconnect ? { reconnect: true } : {}) });
  return {
    tasks,
    balancer,
    clients,
    stop: async () => {
      clients.terminateAll();
      balancer.stop();
      await tasks.stop();
      await endpoints.close();
    },
  };
}
