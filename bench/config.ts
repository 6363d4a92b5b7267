import { type DurationModel } from '@ecs-session-drain/local';

/**
 * The benchmark's scenario, in scenario seconds unless a name says otherwise. Every strategy runs
 * this same scenario with the same seed: a warm Fargate service of 20 tasks, users arriving and
 * leaving on a heavy-tailed schedule, and a rolling deployment in the middle.
 */
export interface BenchConfig {
  seed: number;
  /** Real seconds per scenario second. */
  scale: number;
  tasks: number;
  /** Sessions open per task once the service is warm (Little's law sets the arrival rate). */
  sessionsPerTask: number;
  durations: DurationModel;
  /** From the warm-up burst to the deployment. */
  warmupSeconds: number;
  /**
   * Scenario seconds from a new task's launch to RUNNING (the twin's ServiceSpec.startupSeconds,
   * set explicitly so the bench does not follow the twin's default). The load balancer's health
   * check comes on top: a task takes no session before it is RUNNING and healthy.
   */
  startupSeconds: number;
  stopTimeoutSeconds: number;
  /** The drain workflows' deadline (DefaultDrainSeconds and MaxDrainSeconds), scenario seconds. */
  drainDeadlineSeconds: number;
  /** Strategy 3's Wait, scenario seconds (what it would be on AWS). */
  pollSeconds: number;
  /** Strategy 3's Wait in the comparison run, real seconds (default: pollSeconds scaled, at least 1). */
  pollRealSeconds?: number;
  /** Real ms between a simulated task's heartbeats, at least: the agent's 30 s would be 120 ms at 0.004. */
  minHeartbeatMs: number;
  /** Real seconds: a draining task silent this long is force-stopped (well above minHeartbeatMs). */
  heartbeatTimeoutRealSeconds: number;
}

/** 40 minutes median; sigma 1.0 gives one session in ten over 2.4 h and one in a hundred over 6.9 h, cut at 8 h. */
export const SESSION_DURATIONS: DurationModel = { medianSeconds: 40 * 60, sigma: 1.0, maxSeconds: 8 * 3600 };

export const DEFAULT_CONFIG: BenchConfig = {
  seed: 7,
  // 1 scenario second = 4 ms: an 8-hour drain lasts about 2 minutes.
  scale: 0.004,
  tasks: 20,
  sessionsPerTask: 10,
  durations: SESSION_DURATIONS,
  warmupSeconds: 15 * 60,
  // A Fargate task's image pull and container start: a minute, often more.
  startupSeconds: 60,
  stopTimeoutSeconds: 120,
  drainDeadlineSeconds: 8 * 3600,
  pollSeconds: 30,
  pollRealSeconds: 5,
  minHeartbeatMs: 2000,
  heartbeatTimeoutRealSeconds: 30,
};

/**
 * The local cloud's IAM emulation stays off in every bench run: strategy 3's workflow reads the
 * registry (dynamodb:GetItem), which the template's state machine role rightly does not grant,
 * and enforcement would only add the same gateway work to every strategy.
 */
export const BENCH_IAM = 'off' as const;

export const CLUSTER = 'sessions';
export const SERVICE = 'chat';

export function taskDefinitionArn(region: string, accountId: string, revision: number, family = SERVICE): string {
  return `arn:aws:ecs:${region}:${accountId}:task-definition/${family}:${revision}`;
}
