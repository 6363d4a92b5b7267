import { request } from 'node:http';
import type { ScaledClock } from '../cloud/clock.js';
import { SeededRandom } from '../random.js';
import { type RouteTarget, routeOrder } from '../workload/routing.js';
import type { ListeningTask } from './process-tasks.js';

export interface LoadBalancerOptions {
  clock: ScaledClock;
  /** Scenario seconds between health checks of a target (an ALB's default is 30). */
  intervalSeconds?: number;
  /** Consecutive passed checks before a new target gets traffic (an ALB's default is 5). */
  healthyThreshold?: number;
  /** Consecutive failed checks before a target gets no more new sessions (an ALB's default is 2). */
  unhealthyThreshold?: number;
  /** Health checks never come faster than this, in real milliseconds. */
  minIntervalMs?: number;
  healthPath?: string;
  /** Target groups and their weights (the ECS twin's trafficTarget); absent: all targets are one group. */
  route?: (taskArn: string) => RouteTarget;
  /**
   * The target's state in the ECS twin's target group (targetHealthState). Where it answers (the
   * task's service has a load balancer), the twin's `healthy` takes the place of this balancer's
   * healthy threshold, so that routing and ECS agree on when a new task takes sessions; a target
   * whose probes fail (a draining server answers 503) or that turned a client away still gets
   * none until it passes again. Undefined: this balancer's own checks decide.
   */
  targetHealth?: (taskArn: string) => string | undefined;
}

export interface Target extends ListeningTask {
  healthy: boolean;
  /** Sessions this balancer has open on the target. */
  connections: number;
}

interface TargetState {
  target: Target;
  passes: number;
  failures: number;
  /** The last probe failed past the unhealthy threshold, or a client was turned away, and no probe passed since. */
  failing: boolean;
  cancelChecks: () => void;
}

const CHECK_TIMEOUT_MS = 2000;

/**
 * An application load balancer's part in a drain, for task processes: health checks against the
 * session server's /healthz decide which targets get new sessions (least outstanding connections
 * first), while sessions already open stay where they are. A draining server answers 503 and so
 * stops getting new sessions, exactly as behind a real ALB.
 */
export class LoadBalancer {
  private readonly targets = new Map<string, TargetState>();
  private readonly random = new SeededRandom(1);
  private stopped = false;

  constructor(private readonly options: LoadBalancerOptions) {}

  register(task: ListeningTask): void {
    if (this.stopped || this.targets.has(task.taskArn)) return;
    const state: TargetState = { target: { ...task, healthy: false, connections: 0 }, passes: 0, failures: 0, failing: false, cancelChecks: () => undefined };
    this.targets.set(task.taskArn, state);
    const everyMs = Math.max(this.options.clock.ms(this.options.intervalSeconds ?? 30), this.options.minIntervalMs ?? 100);
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      void this.check(state).then(() => {
        if (this.targets.get(task.taskArn) === state) timer = setTimeout(check, everyMs);
      });
    };
    state.cancelChecks = () => clearTimeout(timer);
    check();
  }

  /** The healthy target with the fewest sessions, among those the filter allows (in a group picked by weight, with `route`). */
  pick(filter: (target: Target) => boolean = () => true): Target | undefined {
    const route = this.options.route;
    if (route !== undefined) {
      const healthy = [...this.targets.values()].filter((state) => this.eligible(state) && filter(state.target)).map((state) => state.target);
      healthy.sort((a, b) => a.connections - b.connections);
      return routeOrder(healthy, (target) => route(target.taskArn), this.random)[0];
    }
    let best: Target | undefined;
    for (const state of this.targets.values()) {
      const { target } = state;
      if (!this.eligible(state) || !filter(target)) continue;
      if (best === undefined || target.connections < best.connections) best = target;
    }
    return best;
  }

  /** Whether the target gets new sessions: the twin's target health where it has one, else this balancer's checks. */
  private eligible(state: TargetState): boolean {
    const health = this.options.targetHealth?.(state.target.taskArn);
    if (health === undefined) return state.target.healthy;
    return health === 'healthy' && !state.failing;
  }

  connectionOpened(taskArn: string): void {
    const state = this.targets.get(taskArn);
    if (state) state.target.connections += 1;
  }

  connectionClosed(taskArn: string): void {
    const state = this.targets.get(taskArn);
    if (state) state.target.connections = Math.max(0, state.target.connections - 1);
  }

  /** A target whose check just failed gets no new session until it passes again. */
  markUnhealthy(taskArn: string): void {
    const state = this.targets.get(taskArn);
    if (state === undefined) return;
    state.target.healthy = false;
    state.passes = 0;
    state.failing = true;
  }

  /** The targets, `healthy` meaning: gets new sessions now. */
  snapshot(): Target[] {
    return [...this.targets.values()].map((state) => ({ ...state.target, healthy: this.eligible(state) }));
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.targets.values()) state.cancelChecks();
    this.targets.clear();
  }

  private async check(state: TargetState): Promise<void> {
    const result = await probe(state.target.port, this.options.healthPath ?? '/healthz');
    if (result === 'healthy') {
      state.failures = 0;
      state.failing = false;
      state.passes += 1;
      if (state.passes >= (this.options.healthyThreshold ?? 5)) state.target.healthy = true;
      return;
    }
    state.passes = 0;
    state.failures += 1;
    if (state.failures >= (this.options.unhealthyThreshold ?? 2)) {
      state.target.healthy = false;
      state.failing = true;
    }
    // A process that is gone is deregistered: nothing will ever listen on its port again.
    if (result === 'unreachable' && state.failures >= (this.options.unhealthyThreshold ?? 2)) {
      state.cancelChecks();
      this.targets.delete(state.target.taskArn);
    }
  }
}

function probe(port: number, path: string): Promise<'healthy' | 'unhealthy' | 'unreachable'> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: CHECK_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? 'healthy' : 'unhealthy');
    });
    req.on('timeout', () => req.destroy(new Error('health check timed out')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'unreachable' : 'unhealthy'));
    req.end();
  });
}
