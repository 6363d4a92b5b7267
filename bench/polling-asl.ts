import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Strategy 3 of the benchmark: the same drain workflow, but waiting by polling. The event-driven
 * "Wait for sessions to drain" (waitForTaskToken) becomes a loop: Wait 30 s -> read the task's
 * registry item (DynamoDB GetItem, optimized integration) -> Choice. Everything else (Retry, Catch,
 * outcome states) is the drain workflow's own, so the two differ only in how they wait.
 *
 * The heartbeat-lost path is left out: a JSONPath Choice cannot compare the item's epoch
 * heartbeat with the current time, and the reconciler ends only token-based waits.
 */

export const DRAIN_ASL_PATH = fileURLToPath(new URL('../statemachines/drain.asl.json', import.meta.url));
export const POLLING_ASL_PATH = fileURLToPath(new URL('./polling-drain.asl.json', import.meta.url));
export const POLL_SECONDS = 30;

const EVENT_WAIT = 'Wait for sessions to drain';
export const POLL_WAIT = 'Wait before checking';
export const POLL_CHECK = 'Check sessions';
export const POLL_CHOICE = 'Drained yet?';
/** States entered once per poll: Wait, GetItem, Choice. */
export const STATES_PER_POLL = 3;
const REMOVED = ['Heartbeats stopped', 'Heartbeat lost'];

type State = Record<string, unknown> & { Type: string; Next?: string; Retry?: unknown[]; Choices?: Array<Record<string, unknown>> };
export interface AslDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, State>;
  [key: string]: unknown;
}

export class PollingDerivationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PollingDerivationError';
  }
}

function requireState(definition: AslDefinition, name: string): State {
  const state = definition.States[name];
  if (state === undefined) throw new PollingDerivationError(`drain.asl.json has no state "${name}"; the polling variant cannot be derived`);
  return state;
}

const item = '$.check.Item';

/** The polling variant of the drain workflow, from the drain workflow itself. */
export function pollingDefinition(drain: AslDefinition, pollSeconds = POLL_SECONDS): AslDefinition {
  const states = structuredClone(drain.States);
  const mark = requireState(drain, 'Mark task draining');
  if (mark.Next !== EVENT_WAIT) throw new PollingDerivationError(`"Mark task draining" leads to "${String(mark.Next)}", not "${EVENT_WAIT}"`);
  requireState(drain, EVENT_WAIT);
  const dynamoRetry = mark.Retry;
  const table = (mark.Parameters as { TableName?: unknown } | undefined)?.TableName;
  delete states[EVENT_WAIT];
  for (const name of REMOVED) delete states[name];
  const outcome = states['Which outcome?'];
  if (outcome?.Choices) outcome.Choices = outcome.Choices.filter((choice) => !REMOVED.includes(String(choice.Next)));

  (states['Mark task draining'] as State).Next = POLL_WAIT;
  const polling: Record<string, State> = {
    [POLL_WAIT]: {
      Type: 'Wait',
      Comment: `Polls: the drain workflow's waitForTaskToken replaced by a ${pollSeconds} s wait and a read of the task's registry item.`,
      Seconds: pollSeconds,
      Next: POLL_CHECK,
    },
    [POLL_CHECK]: {
      Type: 'Task',
      Comment: "Reads the task's status, session count and operator control.",
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: {
        TableName: table,
        Key: { pk: { 'S.$': '$.drain.taskArn' }, sk: { S: 'TASK' } },
        ConsistentRead: true,
        ProjectionExpression: '#status, sessionCount, drainControl',
        ExpressionAttributeNames: { '#status': 'status' },
      },
      ResultPath: '$.check',
      Next: POLL_CHOICE,
      ...(dynamoRetry === undefined ? {} : { Retry: structuredClone(dynamoRetry) }),
    },
    [POLL_CHOICE]: {
      Type: 'Choice',
      Comment: 'Same verdicts as the event-driven wait, in the same order; otherwise wait again.',
      Choices: [
        { Variable: item, IsPresent: false, Next: 'Task is gone' },
        { Or: ['STOPPING', 'STOPPED'].map((status) => ({ Variable: `${item}.status.S`, StringEquals: status })), Next: 'Task is gone' },
        { Variable: `${item}.drainControl.S`, StringEquals: 'CANCEL', Next: 'Drain was cancelled' },
        { Variable: `${item}.drainControl.S`, StringEquals: 'FORCE_STOP', Next: 'Operator forced a stop' },
        { Variable: `${item}.status.S`, StringEquals: 'ACTIVE', Next: 'Drain was cancelled' },
        { Variable: `${item}.sessionCount.N`, IsPresent: false, Next: 'Sessions drained' },
        { Variable: `${item}.sessionCount.N`, StringEquals: '0', Next: 'Sessions drained' },
        { Variable: '$$.State.EnteredTime', TimestampGreaterThanEqualsPath: '$.drain.deadline', Next: 'Deadline reached' },
      ],
      Default: POLL_WAIT,
    },
  };
  return {
    ...structuredClone(drain),
    Comment: `Benchmark strategy 3 (polling), derived from statemachines/drain.asl.json by bench/polling-asl.ts. ${drain.Comment ?? ''}`.trim(),
    States: { ...states, ...polling },
  };
}

export function readDefinition(path: string): AslDefinition {
  return JSON.parse(readFileSync(path, 'utf8')) as AslDefinition;
}

/** The committed file's text: what `npx tsx bench/polling-asl.ts` writes. */
export function pollingDefinitionText(drain: AslDefinition = readDefinition(DRAIN_ASL_PATH)): string {
  return `${JSON.stringify(pollingDefinition(drain), null, 2)}\n`;
}

/** The deployable text with its Wait set to `seconds` (Step Functions takes whole seconds only). */
export function withPollSeconds(definition: AslDefinition, seconds: number): AslDefinition {
  if (!Number.isInteger(seconds) || seconds < 1) throw new PollingDerivationError(`a Wait lasts a whole number of seconds >= 1, got ${seconds}`);
  const copy = structuredClone(definition);
  const wait = copy.States[POLL_WAIT];
  if (wait === undefined) throw new PollingDerivationError(`the polling definition has no "${POLL_WAIT}" state`);
  wait.Seconds = seconds;
  return copy;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(POLLING_ASL_PATH, pollingDefinitionText());
  console.log(`wrote ${POLLING_ASL_PATH}`);
}
