import { readFileSync } from 'node:fs';
import type { RegistryWriter } from '@ecs-session-drain/agent/registry';
import { type EcsTwin, type TwinDeployment } from '@ecs-session-drain/local';

/**
 * Recorders the benchmark attaches to a running rehearsal. They only watch: the twin's change
 * feed (deployments), the tasks' registry client (which writes a task makes), and the CPU the
 * processes and threads spent (where the time goes).
 */

export interface DeploymentRecord {
  serviceArn: string;
  deploymentId: string;
  rolloutState: TwinDeployment['rolloutState'];
  /** Real epoch ms. */
  at: number;
}

export function recordDeployments(twin: EcsTwin): { records: DeploymentRecord[]; stop: () => void } {
  const records: DeploymentRecord[] = [];
  const stop = twin.onChange((change) => {
    if (change.kind === 'deployment') records.push({ serviceArn: change.serviceArn, deploymentId: change.deploymentId, rolloutState: change.rolloutState, at: Date.now() });
  });
  return { records, stop };
}

/** The four writes of the registry contract (README, "How a task integrates"). */
export type TaskWrite = 'register' | 'open' | 'close' | 'heartbeat';
export type TaskWriteCounts = Record<TaskWrite, number>;

/** Which of the contract's writes a DynamoDB request input is; undefined for reads. */
export function classifyTaskWrite(input: unknown): TaskWrite | undefined {
  const request = input as { TransactItems?: Array<{ Update?: { UpdateExpression?: string } }>; UpdateExpression?: string } | undefined;
  if (request?.TransactItems !== undefined) {
    const update = request.TransactItems.find((item) => item.Update !== undefined)?.Update?.UpdateExpression ?? '';
    return /:minusOne|-\s*:one/.test(update) ? 'close' : 'open';
  }
  if (typeof request?.UpdateExpression === 'string') return /^SET heartbeatAt = :now$/.test(request.UpdateExpression.trim()) ? 'heartbeat' : 'register';
  return undefined;
}

/** Counts every request the simulated tasks send to the registry, by kind (SDK retries are not requests of their own). */
export function countTaskWrites(writer: RegistryWriter): TaskWriteCounts {
  const counts: TaskWriteCounts = { register: 0, open: 0, close: 0, heartbeat: 0 };
  writer.ddb.middlewareStack.add(
    (next) => async (args) => {
      const kind = classifyTaskWrite(args.input);
      if (kind !== undefined) counts[kind] += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchTaskWriteCounter' },
  );
  return counts;
}

export interface CpuSample {
  /** CPU seconds (user + system) of the moto server process. */
  moto: number;
  /** CPU seconds of this process's main thread: gateway, ECS twin, simulated tasks, event plumbing. */
  nodeMain: number;
  /** CPU seconds of this process's other threads: the function workers (handlers), plus V8 and libuv helpers. */
  nodeOther: number;
}

const TICKS_PER_SECOND = 100;

/** utime + stime of a /proc stat line, in seconds (fields 14 and 15; the name in parentheses may hold spaces). */
export function cpuSecondsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function readCpu(path: string): number {
  try {
    return cpuSecondsOfStat(readFileSync(path, 'utf8'));
  } catch {
    return 0;
  }
}

/** Linux only (reads /proc); elsewhere the moto and main-thread figures are 0. */
export function sampleCpu(motoPid: number): CpuSample {
  const usage = process.cpuUsage();
  // All threads of this process, those that ended included; the main thread's share from /proc.
  const total = (usage.user + usage.system) / 1e6;
  const nodeMain = readCpu(`/proc/self/task/${process.pid}/stat`);
  return { moto: readCpu(`/proc/${motoPid}/stat`), nodeMain, nodeOther: Math.max(0, total - nodeMain) };
}

export function cpuDelta(before: CpuSample, after: CpuSample): CpuSample {
  return { moto: after.moto - before.moto, nodeMain: after.nodeMain - before.nodeMain, nodeOther: after.nodeOther - before.nodeOther };
}

export function countsDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const change = value - (before[key] ?? 0);
    if (change !== 0) delta[key] = change;
  }
  return delta;
}
