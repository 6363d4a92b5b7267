import { z } from 'zod';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { ClusterArn, ExecutionArn, TaskArn } from './arns.js';
import { accepted, type ParseResult, rejected, safeParse } from './parse.js';

/*
 * "Step Functions Execution Status Change", which Step Functions sends to the default bus for
 * every status change of a Standard workflow's execution, best effort (EventBridge reference,
 * events-ref-states.html). Its detail, as the Step Functions guide documents it (cw-events.html):
 * executionArn, stateMachineArn, name, status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED,
 * PENDING_REDRIVE), startDate and stopDate (epoch milliseconds; stopDate null while running),
 * input and output (JSON strings, null when absent), inputDetails / outputDetails ({ included }),
 * and error / cause for a failed execution. Only what the orchestrator acts on is required.
 */

/** The statuses of an execution that has ended; RUNNING and PENDING_REDRIVE have not. */
export const ENDED_EXECUTION_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type EndedExecutionStatus = (typeof ENDED_EXECUTION_STATUSES)[number];

export const ExecutionStatusChangeSchema = EventBridgeSchema.extend({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: ExecutionArn,
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.string().min(1),
    startDate: z.number().nullish(),
    stopDate: z.number().nullish(),
    input: z.string().nullish(),
    inputDetails: z.object({ included: z.boolean() }).partial().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

/** The part of the drain workflow's input (docs/design.md "Starting a drain") that names the task. */
const DrainInputSchema = z.object({ cluster: ClusterArn, taskArn: TaskArn });

export interface ExecutionEnded {
  executionArn: string;
  stateMachineArn: string;
  status: EndedExecutionStatus;
  clusterArn: string;
  taskArn: string;
  /** Step Functions' error name for a failed execution (States.TaskFailed, States.Runtime, ...). */
  error?: string;
  /** How long the execution ran, from startDate and stopDate (epoch milliseconds), when both are given. */
  ranSeconds?: number;
}

/**
 * An ended execution of a drain workflow, with the task its input names. Any other status, or an
 * input that does not name a task (left out above 256 KB, inputDetails.included false; a
 * hand-started execution), is refused: the reconciler's check of drains whose workflow may be
 * gone covers those.
 */
export function parseExecutionEnded(raw: unknown): ParseResult<ExecutionEnded> {
  const parsed = safeParse(ExecutionStatusChangeSchema, raw, 'Step Functions Execution Status Change');
  if (!parsed.ok) return parsed;
  const { detail } = parsed.event;
  const status = ENDED_EXECUTION_STATUSES.find((ended) => ended === detail.status);
  if (status === undefined) return rejected(`Step Functions Execution Status Change: status ${detail.status} is not an ended execution`);
  if (detail.input === undefined || detail.input === null) {
    return rejected('Step Functions Execution Status Change: the event carries no input (inputDetails.included false?)');
  }
  let input: unknown;
  try {
    input = JSON.parse(detail.input);
  } catch {
    return rejected('Step Functions Execution Status Change: the input is not JSON');
  }
  const drain = DrainInputSchema.safeParse(input);
  if (!drain.success) return rejected('Step Functions Execution Status Change: the input names no cluster and task (not a drain workflow input)');
  return accepted({
    executionArn: detail.executionArn,
    stateMachineArn: detail.stateMachineArn,
    status,
    clusterArn: drain.data.cluster,
    taskArn: drain.data.taskArn,
    ...(typeof detail.error === 'string' ? { error: detail.error } : {}),
    ...(typeof detail.startDate === 'number' && typeof detail.stopDate === 'number' ? { ranSeconds: Math.max(0, (detail.stopDate - detail.startDate) / 1000) } : {}),
  });
}
