import {
  DescribeExecutionCommand,
  type HistoryEvent,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/** One drain workflow execution as the Step Functions console lists it, with its summary output. */
export interface DrainExecution {
  executionArn: string;
  name: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  /** From the workflow's output: DRAINED, DEADLINE_FORCED, TASK_GONE, CANCELLED, ... */
  outcome?: string;
  taskArn?: string;
  reason?: string;
  sessionsAtStart?: number;
  secondsDrained?: number | null;
}

export async function listDrainExecutions(sfn: SFNClient, stateMachineArn: string): Promise<DrainExecution[]> {
  const executions: DrainExecution[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
    for (const item of page.executions ?? []) {
      executions.push({
        executionArn: item.executionArn ?? '',
        name: item.name ?? '',
        status: item.status ?? 'UNKNOWN',
        ...(item.startDate ? { startDate: item.startDate } : {}),
        ...(item.stopDate ? { stopDate: item.stopDate } : {}),
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  for (const execution of executions) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
    // A running drain has no output yet; its input already names the task and the reason.
    Object.assign(execution, parseOutput(described.input), parseOutput(described.output));
  }
  return executions;
}

function parseOutput(output: string | undefined): Partial<DrainExecution> {
  if (output === undefined) return {};
  try {
    const value = JSON.parse(output) as Record<string, unknown>;
    return {
      ...(typeof value.outcome === 'string' ? { outcome: value.outcome } : {}),
      ...(typeof value.taskArn === 'string' ? { taskArn: value.taskArn } : {}),
      ...(typeof value.reason === 'string' ? { reason: value.reason } : {}),
      ...(typeof value.sessionsAtStart === 'number' ? { sessionsAtStart: value.sessionsAtStart } : {}),
      ...(typeof value.secondsDrained === 'number' || value.secondsDrained === null ? { secondsDrained: value.secondsDrained as number | null } : {}),
    };
  } catch {
    return {};
  }
}

export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

export interface StateVisit {
  state: string;
  enteredAt: Date;
  /** Seconds from the execution's start to entering the state. */
  offsetSeconds: number;
  /** Seconds spent in the state, once it was left. */
  lastedSeconds?: number;
  result: 'entered' | 'exited' | 'failed';
  detail?: string;
}

/** The states an execution went through, in order, as the console's "Events" view shows them. */
export function stateByState(events: readonly HistoryEvent[]): StateVisit[] {
  const start = events[0]?.timestamp?.getTime() ?? 0;
  const visits: StateVisit[] = [];
  for (const event of events) {
    const offsetSeconds = ((event.timestamp?.getTime() ?? start) - start) / 1000;
    if (event.stateEnteredEventDetails?.name) {
      visits.push({ state: event.stateEnteredEventDetails.name, enteredAt: event.timestamp ?? new Date(start), offsetSeconds, result: 'entered' });
    } else if (event.stateExitedEventDetails?.name) {
      const open = [...visits].reverse().find((visit) => visit.state === event.stateExitedEventDetails?.name && visit.result === 'entered');
      if (open) {
        open.result = 'exited';
        open.lastedSeconds = offsetSeconds - open.offsetSeconds;
      }
    } else {
      const failure = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails ?? event.executionFailedEventDetails;
      const timedOut = event.taskTimedOutEventDetails;
      const last = visits.at(-1);
      if (last && (failure || timedOut)) {
        last.result = 'failed';
        last.detail = failure ? `${failure.error ?? ''} ${failure.cause ?? ''}`.trim() : `${timedOut?.error ?? 'States.Timeout'}`;
      }
    }
  }
  return visits;
}
