import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type AslDefinition, InvalidStateMachineError, layoutStateMachine, transitions } from '../../../console/graph-layout.js';

const DRAIN_ASL = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../statemachines/drain.asl.json', import.meta.url)), 'utf8')) as AslDefinition;

function overlap(a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('the drain workflow graph, laid out as the Step Functions console draws it', () => {
  it('places every state of drain.asl.json once, StartAt on top, and no two states on each other', () => {
    const layout = layoutStateMachine(DRAIN_ASL);

    expect(layout.states.map((state) => state.name).sort()).toEqual(Object.keys(DRAIN_ASL.States).sort());
    const start = layout.states.find((state) => state.name === DRAIN_ASL.StartAt);
    expect(start?.y).toBe(Math.min(...layout.states.map((state) => state.y)));
    const pairs = layout.states.flatMap((a, index) => layout.states.slice(index + 1).filter((b) => overlap(a, b)).map((b) => `${a.name} / ${b.name}`));
    expect(pairs).toEqual([]);
    for (const state of layout.states) {
      expect(state.x).toBeGreaterThanOrEqual(0);
      expect(state.x + state.width).toBeLessThanOrEqual(layout.width);
      expect(state.y + state.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it('draws each transition (Next, Choices, Default, Catch) as an arrow from the bottom of a state down to the top of the next', () => {
    const layout = layoutStateMachine(DRAIN_ASL);
    const box = new Map(layout.states.map((state) => [state.name, state]));

    expect(layout.edges.map(({ from, to, kind }) => ({ from, to, kind }))).toEqual(expect.arrayContaining(transitions(DRAIN_ASL)));
    expect(layout.edges).toHaveLength(transitions(DRAIN_ASL).length);
    expect(layout.edges).toContainEqual(expect.objectContaining({ from: 'Wait for sessions to drain', to: 'Deadline reached', kind: 'catch' }));
    expect(layout.edges).toContainEqual(expect.objectContaining({ from: 'Which outcome?', to: 'Drained', kind: 'choice' }));
    expect(layout.edges).toContainEqual(expect.objectContaining({ from: 'Which outcome?', to: 'Unknown outcome', kind: 'default' }));
    for (const edge of layout.edges) {
      const [from, to] = [box.get(edge.from)!, box.get(edge.to)!];
      const [first, last] = [edge.points[0]!, edge.points.at(-1)!];
      expect(first.y, `${edge.from} -> ${edge.to}`).toBe(from.y + from.height);
      expect(last.y, `${edge.from} -> ${edge.to}`).toBe(to.y);
      expect(first.x).toBeGreaterThanOrEqual(from.x);
      expect(first.x).toBeLessThanOrEqual(from.x + from.width);
      expect(last.x).toBeGreaterThanOrEqual(to.x);
      expect(last.x).toBeLessThanOrEqual(to.x + to.width);
      // Straight down: every point lower than the one before it.
      edge.points.slice(1).forEach((point, index) => expect(point.y).toBeGreaterThan(edge.points[index]!.y));
    }
  });

  it('routes a transition that loops back up the right side of the states it joins', () => {
    const definition: AslDefinition = {
      StartAt: 'Check',
      States: {
        Check: { Type: 'Task', Next: 'Done?' },
        'Done?': { Type: 'Choice', Choices: [{ Next: 'Finished' }], Default: 'Wait' },
        Wait: { Type: 'Wait', Next: 'Check' },
        Finished: { Type: 'Succeed' },
      },
    };

    const layout = layoutStateMachine(definition);

    const loop = layout.edges.find((edge) => edge.from === 'Wait' && edge.to === 'Check');
    const check = layout.states.find((state) => state.name === 'Check')!;
    const wait = layout.states.find((state) => state.name === 'Wait')!;
    expect(loop?.points[0]).toEqual({ x: wait.x + wait.width, y: wait.y + wait.height / 2 });
    expect(loop?.points.at(-1)).toEqual({ x: check.x + check.width, y: check.y + check.height / 2 });
    expect(Math.max(...loop!.points.map((point) => point.x))).toBeLessThanOrEqual(layout.width);
    expect(wait.y).toBeGreaterThan(check.y);
  });

  it('refuses a definition whose transition names a state it does not have, saying which', () => {
    const definition: AslDefinition = { StartAt: 'A', States: { A: { Type: 'Task', Next: 'B' } } };

    expect(() => layoutStateMachine(definition)).toThrow(InvalidStateMachineError);
    expect(() => layoutStateMachine(definition)).toThrow('state "A" goes to "B", which the definition does not have');
    expect(() => layoutStateMachine({ StartAt: 'Z', States: {} })).toThrow('StartAt "Z" is not a state of the definition');
  });
});
