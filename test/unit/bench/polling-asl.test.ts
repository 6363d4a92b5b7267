import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import {
  type AslDefinition,
  DRAIN_ASL_PATH,
  POLL_CHECK,
  POLL_CHOICE,
  POLL_WAIT,
  POLLING_ASL_PATH,
  PollingDerivationError,
  pollingDefinition,
  pollingDefinitionText,
  readDefinition,
  withPollSeconds,
} from '../../../bench/polling-asl.js';
import { readFileSync } from 'node:fs';

/** The definition with its ${...} substitutions filled in, as `sam deploy` would. */
function substituted(definition: AslDefinition): object {
  const text = JSON.stringify(definition)
    .replace(/\$\{(\w+)FunctionArn\}/g, (_, name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`)
    .replaceAll('${RegistryTableName}', 'SessionRegistry');
  expect(text).not.toMatch(/\$\{/);
  return JSON.parse(text) as object;
}

function successors(state: Record<string, unknown>): string[] {
  const choices = (state.Choices as Array<{ Next: string }> | undefined) ?? [];
  const catches = (state.Catch as Array<{ Next: string }> | undefined) ?? [];
  return [state.Next, state.Default, ...choices.map((choice) => choice.Next), ...catches.map((rule) => rule.Next)].filter((next): next is string => typeof next === 'string');
}

const committed = readDefinition(POLLING_ASL_PATH);

describe('polling drain workflow (benchmark strategy 3)', () => {
  it('is valid Amazon States Language once its substitutions are filled in', () => {
    const { isValid, errorsText } = aslValidator(substituted(committed));

    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('is the derivation of the current drain workflow (regenerate with: npx tsx bench/polling-asl.ts)', () => {
    expect(readFileSync(POLLING_ASL_PATH, 'utf8')).toBe(pollingDefinitionText());
  });

  it('waits by polling: Mark task draining -> Wait 30 s -> GetItem -> Choice, looping until a verdict', () => {
    const states = committed.States;

    expect(states['Mark task draining']?.Next).toBe(POLL_WAIT);
    expect(states[POLL_WAIT]).toMatchObject({ Type: 'Wait', Seconds: 30, Next: POLL_CHECK });
    expect(states[POLL_CHECK]).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::dynamodb:getItem', Next: POLL_CHOICE });
    expect(states[POLL_CHOICE]?.Default).toBe(POLL_WAIT);
    expect(successors(states[POLL_CHOICE] as Record<string, unknown>)).toEqual(
      expect.arrayContaining(['Task is gone', 'Drain was cancelled', 'Operator forced a stop', 'Sessions drained', 'Deadline reached']),
    );
    expect(Object.values(states).map((state) => String(state.Resource ?? ''))).not.toContainEqual(expect.stringContaining('waitForTaskToken'));
  });

  it('keeps the drain workflow\'s other states, their Retry and Catch, and reaches every state it has', () => {
    const drain = readDefinition(DRAIN_ASL_PATH);
    for (const name of ['Record drain', 'Launch replacement', 'Release protection and stop task', 'Release replacement capacity', 'Drained', 'Deadline forced']) {
      expect(committed.States[name], name).toEqual(drain.States[name]);
    }
    expect(committed.States[POLL_CHECK]?.Retry).toEqual(drain.States['Mark task draining']?.Retry);
    const reached = new Set<string>();
    const queue = [committed.StartAt];
    while (queue.length > 0) {
      const name = queue.pop() as string;
      if (reached.has(name)) continue;
      reached.add(name);
      queue.push(...successors(committed.States[name] as Record<string, unknown>));
    }
    expect([...reached].sort()).toEqual(Object.keys(committed.States).sort());
  });

  it('sets the Wait in whole seconds only, as Step Functions does', () => {
    expect(withPollSeconds(committed, 5).States[POLL_WAIT]?.Seconds).toBe(5);
    expect(committed.States[POLL_WAIT]?.Seconds).toBe(30);
    expect(() => withPollSeconds(committed, 0.12)).toThrow(PollingDerivationError);
  });

  it('refuses a drain workflow whose wait it cannot find', () => {
    const drain = readDefinition(DRAIN_ASL_PATH);
    const changed = { ...drain, States: { ...drain.States, 'Mark task draining': { ...drain.States['Mark task draining'], Type: 'Task', Next: 'Elsewhere' } } };

    expect(() => pollingDefinition(changed)).toThrow(/leads to "Elsewhere"/);
  });
});
