import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TASK_SORT_KEY, type TaskItem } from '../../functions/registry/model.js';
import type { Rehearsal } from '../rehearsal/rehearsal.js';
import { type DrainView, DrainViews } from './drain-views.js';
import { type DeploymentInProgress, fleetView, type ServiceView } from './fleet-view.js';
import { type AslDefinition, type GraphLayout, layoutStateMachine } from './graph-layout.js';

/**
 * Everything the console page shows, read from the local cloud's own objects: the ECS twin, the
 * session registry and the drain executions in moto (through the SDK, as an operator's tools
 * would read them), and the users' own count of how their sessions ended.
 */

/** How the users' sessions ended so far. */
export interface SessionTotals {
  open: number;
  endedByUser: number;
  /** Cut off by a stopping task: what the orchestrator exists to prevent. */
  dropped: number;
  /** No task would take them. */
  refused: number;
  /** Closed by a draining server asking the client to reconnect (real processes only: WebSocket 1012). */
  endedByServer?: number;
  droppedByCause: Record<string, number>;
}

export interface ConsoleState {
  /** ISO-8601, real time. */
  at: string;
  /** Real seconds per scenario second. */
  scale: number;
  sessions: SessionTotals;
  services: ServiceView[];
  deploymentsInProgress: DeploymentInProgress[];
  drains: DrainView[];
}

/** Sessions as the simulated users' ledger or, with real task processes, their WebSocket clients counted them. */
export function sessionTotals(rehearsal: Rehearsal): SessionTotals {
  if (rehearsal.processes) {
    const counts = rehearsal.processes.clients.summary();
    return { open: counts.open, endedByUser: counts.client, dropped: counts.abnormal, refused: counts.turnedAway, endedByServer: counts.graceful, droppedByCause: {} };
  }
  const summary = rehearsal.ledger.summary();
  return { open: summary.open, endedByUser: summary.endedByUser, dropped: summary.dropped, refused: summary.rejected, droppedByCause: summary.droppedByCause };
}

export class ConsoleStateReader {
  private readonly drains: DrainViews;
  private graph: Promise<GraphLayout> | undefined;

  constructor(private readonly rehearsal: Rehearsal) {
    this.drains = new DrainViews(rehearsal.sfn, rehearsal.stateMachineArn);
  }

  async read(): Promise<ConsoleState> {
    const { rehearsal } = this;
    const [items, drains] = await Promise.all([registryTasks(rehearsal.writer.ddb, rehearsal.writer.tableName), this.drains.read()]);
    const fleet = fleetView(rehearsal.twin.snapshot(), items, (taskArn) => rehearsal.twin.targetHealthState(taskArn));
    return { at: new Date().toISOString(), scale: rehearsal.clock.scale, sessions: sessionTotals(rehearsal), ...fleet, drains };
  }

  /** The drain workflow's graph, laid out once from the definition the local cloud deployed (statemachines/drain.asl.json). */
  stateGraph(): Promise<GraphLayout> {
    if (this.graph === undefined) {
      const graph = this.rehearsal.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: this.rehearsal.stateMachineArn })).then((described) => layoutStateMachine(JSON.parse(described.definition ?? '{}') as AslDefinition));
      // A failed read is not kept: the next page load tries again.
      graph.catch(() => (this.graph = undefined));
      this.graph = graph;
    }
    return this.graph;
  }
}

/** The registry's task items (not its session items), by task ARN. */
async function registryTasks(ddb: DynamoDBDocumentClient, tableName: string): Promise<Map<string, TaskItem>> {
  const items = new Map<string, TaskItem>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: tableName, FilterExpression: 'sk = :task', ExpressionAttributeValues: { ':task': TASK_SORT_KEY }, ExclusiveStartKey: startKey }));
    for (const item of (page.Items ?? []) as TaskItem[]) items.set(item.taskArn, item);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
