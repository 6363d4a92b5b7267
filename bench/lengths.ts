import { Rehearsal, runningTasks } from '@ecs-session-drain/local';
import { BENCH_IAM, CLUSTER, taskDefinitionArn } from './config.js';
import { drainTransitions, readyAt, stopLatencySeconds } from './metrics.js';
import { cpuDelta, sampleCpu } from './observe.js';
import { type ExecutionObservation, observeExecutions, usePollingWorkflow } from './workflow.js';
import type { Strategy } from './strategies.js';
import { definedOnly } from '../functions/shared/optional.js';

/**
 * How a drain's cost grows with its length: a service of one task per length, each holding one
 * session of exactly that length, deployed at once, so each drain lasts its session. Run at
 * 1 scenario second = 1/30 real second, where the polling workflow's shortest Wait (1 s) is
 * exactly 30 scenario seconds: the polling strategy as it would run on AWS.
 */

export const PROBE_SERVICE = 'probe';
export const PROBE_SCALE = 1 / 30;

export interface ProbeDrain {
  /** The session's length, scenario seconds. */
  sessionSeconds: number;
  /** Scenario seconds from the drain's first wait to the session's close. */
  waitedSeconds?: number;
  outcome?: string;
  transitions: number;
  polls: number;
  latencySeconds?: number;
}

export interface LengthProbe {
  strategy: Strategy;
  drains: ProbeDrain[];
  /** CPU seconds moto spent from the deploy call to the end of the last drain. */
  motoCpuSeconds: number;
  wallMs: number;
}

export async function runLengthProbe(strategy: Strategy, lengths: readonly number[], pollSeconds: number, log: (line: string) => void = () => undefined): Promise<LengthProbe> {
  const started = Date.now();
  const longest = Math.max(...lengths);
  const drainSeconds = String(Math.max(60, Math.round((longest + 1800) * PROBE_SCALE)));
  const rehearsal = await Rehearsal.start({
    scale: PROBE_SCALE,
    clusterNames: [CLUSTER],
    parameters: { DefaultDrainSeconds: drainSeconds, MaxDrainSeconds: drainSeconds, HeartbeatTimeoutSeconds: '30' },
    iam: BENCH_IAM,
  });
  try {
    if (strategy.waits === 'polling') await usePollingWorkflow(rehearsal, Math.round(pollSeconds * PROBE_SCALE));
    const { twin, cloud } = rehearsal;
    const td = (revision: number) => taskDefinitionArn(cloud.stack.region, cloud.stack.accountId, revision, PROBE_SERVICE);
    const clusterArn = twin.createCluster(CLUSTER);
    twin.createService({ cluster: clusterArn, name: PROBE_SERVICE, desiredCount: lengths.length, taskDefinition: td(1), stopTimeoutSeconds: 120 });
    const tasks = await rehearsal.waitFor('the probe tasks to accept sessions', () => {
      const accepting = rehearsal.apps.acceptingTasks((task) => task.clusterArn === clusterArn);
      return accepting.length >= lengths.length && accepting;
    });
    const byTask = new Map<string, number>();
    for (const [index, seconds] of lengths.entries()) {
      const task = tasks[index];
      if (task === undefined) continue;
      await rehearsal.openSessions(task.taskArn, 1, seconds, `probe-${seconds}`);
      byTask.set(task.taskArn, seconds);
    }
    await rehearsal.waitFor('the probe tasks to be protected', () => runningTasks(twin, PROBE_SERVICE, CLUSTER).every((task) => task.protection.enabled));
    const cpuBefore = sampleCpu(cloud.moto.pid);
    const deployStartedAt = Date.now();
    twin.deploy(clusterArn, PROBE_SERVICE, td(2));
    log(`${strategy.short}: drains of ${lengths.map((seconds) => `${seconds / 60} min`).join(', ')} (1 scenario second = ${(PROBE_SCALE * 1000).toFixed(1)} ms)`);
    await rehearsal.waitFor(
      'every probe drain to end',
      async () => {
        const executions = await rehearsal.drainExecutions();
        return executions.length >= lengths.length && executions.every((execution) => execution.status !== 'RUNNING');
      },
      rehearsal.clock.ms(longest + 1800) + 120_000,
      1000,
    );
    const motoCpuSeconds = cpuDelta(cpuBefore, sampleCpu(cloud.moto.pid)).moto;
    const executions: ExecutionObservation[] = await observeExecutions(rehearsal);
    const snapshot = twin.snapshot();
    const sessions = rehearsal.ledger.records();
    const lane = {
      strategy,
      clusterArn,
      desiredCount: lengths.length,
      oldTaskDefinition: td(1),
      deployStartedAt,
      tasks: snapshot.tasks.filter((task) => task.clusterArn === clusterArn),
      sessions,
      executions,
    };
    const transitions = drainTransitions(lane, PROBE_SCALE, pollSeconds);
    const drains = [...byTask.entries()].map(([taskArn, sessionSeconds]): ProbeDrain => {
      const execution = executions.find((candidate) => candidate.taskArn === taskArn);
      const counted = transitions.find((candidate) => candidate.taskArn === taskArn);
      const task = lane.tasks.find((candidate) => candidate.taskArn === taskArn);
      const ready = readyAt(sessions.filter((record) => record.taskArn === taskArn), deployStartedAt);
      const latency =
        ready === undefined || task?.stoppingAt === undefined || strategy.waits === 'none'
          ? undefined
          : stopLatencySeconds(strategy.waits, ready, new Date(task.stoppingAt).getTime(), execution, pollSeconds);
      return {
        sessionSeconds,
        ...definedOnly({ waitedSeconds: counted?.waitedSeconds }),
        ...definedOnly({ outcome: execution?.outcome }),
        transitions: counted?.measured ?? 0,
        polls: counted?.polls ?? 0,
        ...definedOnly({ latencySeconds: latency }),
      };
    });
    log(`${strategy.short}: ${drains.map((drain) => `${drain.sessionSeconds / 60} min -> ${drain.transitions} transitions (${drain.outcome ?? '?'})`).join(', ')}`);
    return { strategy, drains, motoCpuSeconds, wallMs: Date.now() - started };
  } finally {
    await rehearsal.stop();
  }
}
