import type { ScaledClock } from '../cloud/clock.js';
import { type DurationModel, SeededRandom, sessionDuration } from '../random.js';
import type { SessionLedger } from './session-ledger.js';
import { type RouteTarget, routeOrder } from './routing.js';
import type { AppTask, SimulatedApps } from './simulated-apps.js';

export interface WorkloadOptions {
  apps: SimulatedApps;
  ledger: SessionLedger;
  clock: ScaledClock;
  seed: number;
  /** Mean new sessions per scenario minute (Poisson arrivals). */
  arrivalsPerMinute: number;
  durations: DurationModel;
  /** Only tasks this accepts get sessions (one service of a shared cluster, say). */
  targets?: (task: AppTask) => boolean;
  /** Prefix of session ids, so that two workloads in one registry never collide. */
  idPrefix?: string;
  /**
   * The load balancer's target groups and their weights (the twin's trafficTarget): a new session
   * goes to a group picked by weight, so blue/green, linear and canary shifts reach the workload.
   * Absent: every accepting task is one group.
   */
  route?: (task: AppTask) => RouteTarget;
}

/**
 * Users arriving at a service: Poisson arrivals, seeded heavy-tailed durations, each new session
 * sent by a least-sessions load balancer to a task that is still accepting. A task the registry
 * refuses (it is draining) is skipped for the next one, as a health-checked balancer would.
 */
export class SessionWorkload {
  private readonly random: SeededRandom;
  private sequence = 0;
  private cancelNext: () => void = () => undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: WorkloadOptions) {
    this.random = new SeededRandom(options.seed);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleNext();
  }

  /** Stops new arrivals; sessions already open go on until they end or their task dies. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelNext();
    await Promise.all(this.inFlight);
  }

  /** Opens `count` sessions at once (a warm service at the start of a scenario). */
  async burst(count: number): Promise<number> {
    const opened = await Promise.all(Array.from({ length: count }, () => this.arrive()));
    return opened.filter(Boolean).length;
  }

  private scheduleNext(): void {
    if (!this.running || this.options.arrivalsPerMinute <= 0) return;
    const gapSeconds = this.random.exponential(60 / this.options.arrivalsPerMinute);
    this.cancelNext = this.options.clock.after(gapSeconds, () => {
      const arrival = this.arrive().then(() => undefined);
      this.inFlight.add(arrival);
      void arrival.finally(() => this.inFlight.delete(arrival));
      this.scheduleNext();
    });
  }

  private async arrive(): Promise<boolean> {
    this.sequence += 1;
    const id = `${this.options.idPrefix ?? 'session'}-${String(this.sequence).padStart(6, '0')}`;
    const plannedSeconds = sessionDuration(this.random, this.options.durations);
    const accepting = this.options.apps.acceptingTasks(this.options.targets);
    const tried = new Set<string>();
    if (await this.tryEach(this.options.route ? routeOrder(accepting, this.options.route, this.random) : accepting, id, plannedSeconds, tried)) return true;
    // Every task the balancer offered turned the user away (they began draining meanwhile): the user
    // reconnects once and the balancer offers what takes sessions now, by production weight but
    // without a new draw, so that both sides of a scenario keep drawing the same durations.
    const route = this.options.route;
    const now = this.options.apps.acceptingTasks(this.options.targets).filter((task) => !tried.has(task.taskArn) && (route === undefined || route(task).weight > 0));
    if (await this.tryEach(route ? [...now].sort((a, b) => route(b).weight - route(a).weight) : now, id, plannedSeconds, tried)) return true;
    this.options.ledger.rejected({ id, openedAt: Date.now(), plannedSeconds });
    return false;
  }

  private async tryEach(tasks: readonly AppTask[], id: string, plannedSeconds: number, tried: Set<string>): Promise<boolean> {
    for (const task of tasks) {
      tried.add(task.taskArn);
      try {
        if (await this.options.apps.open(task.taskArn, id, plannedSeconds)) {
          // Recorded before the close timer can fire: open() only arms it, it never runs it.
          this.options.ledger.opened({ id, taskArn: task.taskArn, openedAt: Date.now(), plannedSeconds });
          return true;
        }
      } catch {
        // A registry error is the balancer's problem only: try the next task.
      }
    }
    return false;
  }
}
