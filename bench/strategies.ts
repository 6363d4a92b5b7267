/**
 * What the benchmark compares: how each approach lets a rolling deployment replace tasks that
 * hold long sessions. The first three need nothing but ECS and a load balancer; the last two run
 * the drain workflow and differ only in how they wait for the last session.
 */

export type StrategyId = 'native' | 'dereg-300' | 'dereg-3600' | 'polling' | 'ours';

export interface Strategy {
  id: StrategyId;
  /** Column header and chart label. */
  label: string;
  /** In the ratio lines: "vs native 412". */
  short: string;
  description: string;
  /** How a task's end waits for its sessions: not at all (ECS alone), a polling workflow, or the event-driven one. */
  waits: 'none' | 'polling' | 'event';
  /** The target group's deregistration delay, scenario seconds (0: no load balancer in the way). */
  deregistrationDelaySeconds: number;
}

export const STRATEGIES: readonly Strategy[] = [
  {
    id: 'native',
    label: 'ECS rolling update',
    short: 'native',
    description: 'ECS native rolling update on Fargate: SIGTERM, SIGKILL after stopTimeout 120 s.',
    waits: 'none',
    deregistrationDelaySeconds: 0,
  },
  {
    id: 'dereg-300',
    label: 'LB dereg. delay 300 s',
    short: 'dereg 300 s',
    description:
      'Load-balancer deregistration delay 300 s (the default): no new connections, open ones kept until they close or the delay ends; then SIGTERM, SIGKILL after 120 s.',
    waits: 'none',
    deregistrationDelaySeconds: 300,
  },
  {
    id: 'dereg-3600',
    label: 'LB dereg. delay 3600 s',
    short: 'dereg 3600 s',
    description: 'The same with the longest delay a target group allows, 3600 s.',
    waits: 'none',
    deregistrationDelaySeconds: 3600,
  },
  {
    id: 'polling',
    label: 'Polling drain workflow',
    short: 'polling',
    description: 'This drain workflow, waiting by polling: Wait 30 s -> DynamoDB GetItem -> Choice (bench/polling-drain.asl.json).',
    waits: 'polling',
    deregistrationDelaySeconds: 0,
  },
  {
    id: 'ours',
    label: 'This orchestrator',
    short: 'ours',
    description: 'This orchestrator: the drain workflow waits on a task token that the registry stream completes.',
    waits: 'event',
    deregistrationDelaySeconds: 0,
  },
];

export function strategy(id: StrategyId): Strategy {
  const found = STRATEGIES.find((candidate) => candidate.id === id);
  if (found === undefined) throw new RangeError(`unknown strategy ${id}`);
  return found;
}
