import { GetExecutionHistoryCommand, type HistoryEvent, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { definedOnly } from '../../functions/shared/optional.js';

/**
 * The drain workflow's executions as the Step Functions console shows them: each one's status, the
 * state it is in, how each state it visited went, and its event history, read from the local
 * cloud's Step Functions (moto) through the SDK. An execution that has ended never changes again:
 * its history is read once and kept, so a refresh costs one ListExecutions and one
 * GetExecutionHistory per running drain.
 */

/**
 * As the Step Functions console colours a state: succeeded, in progress, failed, or caught (it
 * failed and a Catch moved the execution on: how a drain's wait ends on a deadline or a lost heartbeat).
 */
export type StateStatus = 'succeeded' | 'in-progress' | 'failed' | 'caught';

export interface StateVisit {
  state: string;
  /** Real epoch milliseconds. */
  enteredAt: number;
  /** Absent while the execution is still in the state. */
  leftAt?: number;
  status: StateStatus;
}

export interface HistoryRow {
  id: number;
  type: string;
  /** ISO-8601. */
  timestamp: string;
  state?: string;
  detail?: string;
}

export interface DrainView {
  executionArn: string;
  name: string;
  status: string;
  /** ISO-8601. */
  startDate?: string;
  stopDate?: string;
  taskArn?: string;
  reason?: string;
  outcome?: string;
  sessionsAtStart?: number;
  /** The state the execution is in (running) or ended in. */
  currentState?: string;
  /** How each state it visited went, for colouring the graph. */
  states: Record<string, StateStatus>;
  visits: StateVisit[];
  events: HistoryRow[];
}

export class DrainViews {
  private readonly ended = new Map<string, DrainView>();

  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  /** Every drain, newest first. */
  async read(): Promise<DrainView[]> {
    const listed: Array<{ executionArn: string; name: string; status: string; startDate?: Date; stopDate?: Date }> = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
      for (const item of page.executions ?? []) {
        listed.push({ executionArn: item.executionArn ?? '', name: item.name ?? '', status: item.status ?? 'UNKNOWN', ...definedOnly({ startDate: item.startDate, stopDate: item.stopDate }) });
      }
      nextToken = page.nextToken;
    } while (nextToken);
    const views: DrainView[] = [];
    for (const execution of listed) {
      const known = this.ended.get(execution.executionArn);
      if (known) {
        views.push(known);
        continue;
      }
      const view = drainView(execution, await this.history(execution.executionArn));
      if (view.status !== 'RUNNING') this.ended.set(view.executionArn, view);
      views.push(view);
    }
    return views.sort((a, b) => Date.parse(b.startDate ?? '') - Date.parse(a.startDate ?? ''));
  }

  private async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }
}

/** One execution's view from its listing and its history (pure, for tests). */
export function drainView(execution: { executionArn: string; name: string; status: string; startDate?: Date; stopDate?: Date }, events: readonly HistoryEvent[]): DrainView {
  const visits = visitsOf(events, execution.status, execution.stopDate);
  const states: Record<string, StateStatus> = {};
  for (const visit of visits) states[visit.state] = visit.status;
  const input = jsonOf(events.find((event) => event.executionStartedEventDetails)?.executionStartedEventDetails?.input);
  const output = jsonOf(events.find((event) => event.executionSucceededEventDetails)?.executionSucceededEventDetails?.output);
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const taskArn = text(output.taskArn) ?? text(input.taskArn);
  const reason = text(output.reason) ?? text(input.reason);
  const outcome = text(output.outcome);
  const currentState = visits.at(-1)?.state;
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    status: execution.status,
    ...definedOnly({
      startDate: execution.startDate?.toISOString(),
      stopDate: execution.stopDate?.toISOString(),
      taskArn,
      reason,
      outcome,
      sessionsAtStart: typeof output.sessionsAtStart === 'number' ? output.sessionsAtStart : undefined,
      currentState,
    }),
    states,
    visits,
    events: events.map(historyRow),
  };
}

/**
 * The states an execution went through, from its history: a state is left when it exits or when
 * the next one is entered (a caught failure may have no exit); a failure marks it failed until a
 * retry of it succeeds, and caught once the execution moves on. An ended execution's last state
 * ends with it.
 */
export function visitsOf(events: readonly HistoryEvent[], status: string, stopDate?: Date): StateVisit[] {
  const visits: StateVisit[] = [];
  const leave = (visit: StateVisit | undefined, at: number) => {
    if (visit === undefined || visit.leftAt !== undefined) return;
    visit.leftAt = at;
    if (visit.status === 'failed') visit.status = 'caught';
    else if (visit.status === 'in-progress') visit.status = 'succeeded';
  };
  for (const event of events) {
    const at = event.timestamp?.getTime() ?? 0;
    const last = visits.at(-1);
    const entered = event.stateEnteredEventDetails?.name;
    const exited = event.stateExitedEventDetails?.name;
    if (entered !== undefined) {
      leave(last, at);
      visits.push({ state: entered, enteredAt: at, status: 'in-progress' });
    } else if (exited !== undefined) {
      const visit = visits.findLast((candidate) => candidate.state === exited && candidate.leftAt === undefined);
      // A failed state that exits was caught: an uncaught failure ends the execution without an exit.
      leave(visit, at);
    } else if (last && last.leftAt === undefined && (event.taskFailedEventDetails || event.lambdaFunctionFailedEventDetails || event.taskTimedOutEventDetails || event.lambdaFunctionTimedOutEventDetails)) {
      last.status = 'failed';
    } else if (last && last.leftAt === undefined && last.status === 'failed' && (event.taskSucceededEventDetails || event.lambdaFunctionSucceededEventDetails)) {
      last.status = 'in-progress';
    }
  }
  const last = visits.at(-1);
  if (status !== 'RUNNING' && last && last.leftAt === undefined) {
    last.leftAt = stopDate?.getTime() ?? events.at(-1)?.timestamp?.getTime() ?? last.enteredAt;
    if (last.status === 'in-progress') last.status = status === 'SUCCEEDED' ? 'succeeded' : 'failed';
  }
  return visits;
}

function historyRow(event: HistoryEvent): HistoryRow {
  const state = event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name;
  const failure =
    event.taskFailedEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.executionFailedEventDetails ??
    event.taskTimedOutEventDetails ??
    event.executionAbortedEventDetails ??
    event.executionTimedOutEventDetails;
  const detail = failure ? [failure.error, failure.cause].filter(Boolean).join(': ') : event.taskScheduledEventDetails ? `${event.taskScheduledEventDetails.resourceType}:${event.taskScheduledEventDetails.resource}` : undefined;
  return {
    id: event.id ?? 0,
    type: event.type ?? 'Unknown',
    timestamp: (event.timestamp ?? new Date(0)).toISOString(),
    ...definedOnly({ state, detail: detail !== undefined && detail.length > 300 ? `${detail.slice(0, 300)}…` : detail }),
  };
}

function jsonOf(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
