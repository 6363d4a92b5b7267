import { DescribeExecutionCommand, ListExecutionsCommand, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { executionHistory, type Rehearsal } from '@ecs-session-drain/local';
import type { BenchConfig } from './config.js';
import { POLLING_ASL_PATH, readDefinition, withPollSeconds } from './polling-asl.js';
import { definedOnly } from '../functions/shared/optional.js';

/** The drain workflow side of a bench run: swapping in the polling workflow, and reading what the executions did. */

export interface StateEntry {
  name: string;
  type: string;
  /** Real epoch ms. */
  at: number;
}

export interface ExecutionObservation {
  name: string;
  status: string;
  taskArn?: string;
  outcome?: string;
  states: StateEntry[];
}

export class BenchRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchRunError';
  }
}

/**
 * Real seconds of the polling workflow's Wait in a run. Step Functions takes whole seconds only,
 * and moto's interpreter spends a noticeable share of a CPU per poll (see the calibration run),
 * so the comparison run polls every `pollRealSeconds`, longer than the scaled 30 s; its latency
 * and transitions are converted to a 30 s poll (metrics.ts), and the calibration run measures
 * a true 30 s poll.
 */
export function pollRealSeconds(config: BenchConfig): number {
  return Math.max(1, Math.round(config.pollRealSeconds ?? config.pollSeconds * config.scale));
}

export async function usePollingWorkflow(rehearsal: Rehearsal, seconds: number): Promise<void> {
  const stack = rehearsal.cloud.stack;
  const text = JSON.stringify(withPollSeconds(readDefinition(POLLING_ASL_PATH), seconds)).replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, key: string) => {
    if (key === 'RegistryTableName') return stack.tableName;
    const fn = key.endsWith('Arn') ? stack.functions[key.slice(0, -'Arn'.length)] : undefined;
    if (fn === undefined) throw new BenchRunError(`polling-drain.asl.json refers to \${${key}}, which the stack does not define`);
    return fn.arn;
  });
  await rehearsal.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: rehearsal.stateMachineArn, definition: text }));
}

export async function observeExecutions(rehearsal: Rehearsal): Promise<ExecutionObservation[]> {
  const executions = await rehearsal.drainExecutions();
  const observed: ExecutionObservation[] = [];
  for (const execution of executions) {
    const history = await executionHistory(rehearsal.sfn, execution.executionArn);
    const states = history
      .filter((event) => event.stateEnteredEventDetails?.name !== undefined)
      .map((event) => ({ name: event.stateEnteredEventDetails?.name ?? '', type: String(event.type ?? ''), at: event.timestamp?.getTime() ?? 0 }));
    observed.push({
      name: execution.name,
      status: execution.status,
      ...definedOnly({ taskArn: execution.taskArn, outcome: execution.outcome }),
      states,
    });
  }
  return observed;
}

/** The first failed drain execution, described; undefined when none failed. */
export async function failedDrain(rehearsal: Rehearsal): Promise<string | undefined> {
  const page = await rehearsal.sfn.send(new ListExecutionsCommand({ stateMachineArn: rehearsal.stateMachineArn, statusFilter: 'FAILED', maxResults: 1 }));
  const first = page.executions?.[0];
  if (first?.executionArn === undefined) return undefined;
  const described = await rehearsal.sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
  return `${first.name ?? first.executionArn}: ${described.error ?? ''} ${described.cause ?? ''}`.trim().slice(0, 500);
}
