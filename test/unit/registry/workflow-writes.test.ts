import { describe, expect, it } from 'vitest';
import { TASK_SORT_KEY } from '../../../functions/registry/model.js';
import { MARK_DRAINING, RECORD_TASK_GONE, RETURN_TO_SERVICE } from '../../../functions/registry/tasks/endings.js';
import { rawDrainDefinition } from '../../support/drain-asl.js';

/*
 * The drain workflow writes the task item itself in three states (no Lambda between). Their
 * expressions are the registry's: these tests hold statemachines/drain.asl.json to the constants
 * functions/registry/tasks/endings.ts exports, so a change on either side fails here.
 */

interface State {
  Resource?: string;
  Parameters?: Record<string, unknown>;
}

const states = rawDrainDefinition().States as Record<string, State>;

/** An ASL AttributeValue as the repository writes it: a literal string, or the context path it comes from. */
function plain(value: unknown): unknown {
  const attribute = value as { S?: string; 'S.$'?: string };
  if (attribute['S.$'] !== undefined) return { path: attribute['S.$'] };
  return attribute.S;
}

/** The parts of a state's UpdateItem the repository owns, in the repository's shape. */
function writeOf(stateName: string) {
  const parameters = states[stateName]?.Parameters ?? {};
  const values = (parameters.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  return {
    UpdateExpression: parameters.UpdateExpression,
    ConditionExpression: parameters.ConditionExpression,
    ...(parameters.ExpressionAttributeNames === undefined ? {} : { ExpressionAttributeNames: parameters.ExpressionAttributeNames }),
    ExpressionAttributeValues: Object.fromEntries(Object.entries(values).map(([name, value]) => [name, plain(value)])),
  };
}

const WRITES = {
  'Mark task draining': MARK_DRAINING,
  'Record task gone': RECORD_TASK_GONE,
  'Return task to service': RETURN_TO_SERVICE,
} as const;

describe("the drain workflow's own registry writes", () => {
  it.each(Object.entries(WRITES))('"%s" writes the expressions, names and values of the registry\'s transition', (stateName, transition) => {
    // prepare
    const expected = { ...transition };

    // act
    const written = writeOf(stateName);

    // assert
    expect(written).toEqual(expected);
  });

  it.each(Object.keys(WRITES))('"%s" updates the task item of the drain it runs for', (stateName) => {
    const key = states[stateName]?.Parameters?.Key;

    expect(states[stateName]?.Resource).toBe('arn:aws:states:::dynamodb:updateItem');
    expect(key).toEqual({ pk: { 'S.$': '$.drain.taskArn' }, sk: { S: TASK_SORT_KEY } });
  });

  it('has no other DynamoDB state, so every registry write of the workflow is checked here', () => {
    const dynamoStates = Object.entries(states)
      .filter(([, state]) => state.Resource?.startsWith('arn:aws:states:::dynamodb:') === true)
      .map(([name]) => name);

    expect(dynamoStates.sort()).toEqual(Object.keys(WRITES).sort());
  });
});
