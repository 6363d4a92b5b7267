/**
 * The drain workflow's state graph laid out as the Step Functions console draws it: states top to
 * bottom in layers, each transition an arrow from a state to the next. Pure: ASL in, boxes and
 * polylines out; the page (static/console.js) only draws them and colours the states an execution
 * visited.
 *
 * A layered layout (Sugiyama's): a state's layer is its longest path from StartAt over the
 * transitions that do not loop back; a transition that skips layers passes through a bend point in
 * each layer it crosses, so that ordering can route it around the states; states in a layer are
 * ordered by the mean position of their neighbours (a few sweeps down and up), then moved towards
 * their neighbours as far as spacing allows.
 */

import { NamedError } from '../../functions/shared/errors.js';

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch';

export interface LaidOutState {
  name: string;
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidOutEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** From the bottom of `from` to the top of `to` (or up the side, for a transition that loops back). */
  points: Array<{ x: number; y: number }>;
}

export interface GraphLayout {
  startAt: string;
  width: number;
  height: number;
  states: LaidOutState[];
  edges: LaidOutEdge[];
}

interface AslState {
  Type?: string;
  Next?: string;
  Default?: string;
  Choices?: Array<{ Next?: string }>;
  Catch?: Array<{ Next?: string }>;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

export class InvalidStateMachineError extends NamedError {
  override readonly name = 'InvalidStateMachineError';
}

export const STATE_WIDTH = 170;
export const STATE_HEIGHT = 44;
const LAYER_GAP = 46;
const STATE_GAP = 22;
const BEND_WIDTH = 12;
const MARGIN = 16;
const SWEEPS = 6;

/** The transitions of a definition's top level, in the order the ASL lists them, duplicates kept once. */
export function transitions(definition: AslDefinition): Array<{ from: string; to: string; kind: EdgeKind }> {
  const edges: Array<{ from: string; to: string; kind: EdgeKind }> = [];
  const seen = new Set<string>();
  const add = (from: string, to: string | undefined, kind: EdgeKind) => {
    if (to === undefined || seen.has(`${from}\u0000${to}`)) return;
    if (definition.States[to] === undefined) throw new InvalidStateMachineError(`state "${from}" goes to "${to}", which the definition does not have`);
    seen.add(`${from}\u0000${to}`);
    edges.push({ from, to, kind });
  };
  for (const [name, state] of Object.entries(definition.States)) {
    add(name, state.Next, 'next');
    for (const choice of state.Choices ?? []) add(name, choice.Next, 'choice');
    add(name, state.Default, 'default');
    for (const handler of state.Catch ?? []) add(name, handler.Next, 'catch');
  }
  return edges;
}

interface Vertex {
  id: string;
  /** A bend point of a transition that crosses this layer, not a state. */
  bend: boolean;
  layer: number;
  order: number;
  x: number;
  width: number;
}

export function layoutStateMachine(definition: AslDefinition): GraphLayout {
  if (definition.States[definition.StartAt] === undefined) throw new InvalidStateMachineError(`StartAt "${definition.StartAt}" is not a state of the definition`);
  const edges = transitions(definition);
  const { forward, back } = splitLoops(definition, edges);
  const layers = longestPathLayers(definition, forward);

  // Vertices: the states, plus one bend point per layer a forward transition crosses.
  const vertices = new Map<string, Vertex>();
  for (const name of Object.keys(definition.States)) vertices.set(name, { id: name, bend: false, layer: layers.get(name) ?? 0, order: 0, x: 0, width: STATE_WIDTH });
  const chains = forward.map((edge) => {
    const chain = [edge.from];
    for (let layer = (layers.get(edge.from) ?? 0) + 1; layer < (layers.get(edge.to) ?? 0); layer += 1) {
      const id = `${edge.from}\u0000${edge.to}\u0000${layer}`;
      vertices.set(id, { id, bend: true, layer, order: 0, x: 0, width: BEND_WIDTH });
      chain.push(id);
    }
    chain.push(edge.to);
    return { edge, chain };
  });
  const below = new Map<string, string[]>();
  const above = new Map<string, string[]>();
  for (const { chain } of chains) {
    for (let index = 0; index + 1 < chain.length; index += 1) {
      const [upper, lower] = [chain[index] as string, chain[index + 1] as string];
      below.set(upper, [...(below.get(upper) ?? []), lower]);
      above.set(lower, [...(above.get(lower) ?? []), upper]);
    }
  }

  const rows = orderLayers([...vertices.values()], above, below);
  placeHorizontally(rows, vertices, above, below);

  const left = Math.min(...[...vertices.values()].map((vertex) => vertex.x - vertex.width / 2));
  for (const vertex of vertices.values()) vertex.x += MARGIN - left;
  const width = Math.max(...[...vertices.values()].map((vertex) => vertex.x + vertex.width / 2)) + MARGIN;
  const top = (layer: number) => MARGIN + layer * (STATE_HEIGHT + LAYER_GAP);
  const height = top(rows.length) - LAYER_GAP + MARGIN;

  const states = Object.entries(definition.States).map(([name, state]) => {
    const vertex = vertices.get(name) as Vertex;
    return { name, type: state.Type ?? 'Task', x: round(vertex.x - STATE_WIDTH / 2), y: top(vertex.layer), width: STATE_WIDTH, height: STATE_HEIGHT };
  });
  const laidOut: LaidOutEdge[] = chains.map(({ edge, chain }) => ({
    ...edge,
    points: chain.map((id, index) => {
      const vertex = vertices.get(id) as Vertex;
      const y = index === 0 ? top(vertex.layer) + STATE_HEIGHT : index === chain.length - 1 ? top(vertex.layer) : top(vertex.layer) + STATE_HEIGHT / 2;
      return { x: round(vertex.x), y };
    }),
  }));
  // A loop goes back up along the right side of the states it leaves and enters.
  for (const edge of back) {
    const [from, to] = [vertices.get(edge.from) as Vertex, vertices.get(edge.to) as Vertex];
    const side = Math.max(from.x, to.x) + STATE_WIDTH / 2 + STATE_GAP / 2;
    laidOut.push({
      ...edge,
      points: [
        { x: round(from.x + STATE_WIDTH / 2), y: top(from.layer) + STATE_HEIGHT / 2 },
        { x: round(side), y: top(from.layer) + STATE_HEIGHT / 2 },
        { x: round(side), y: top(to.layer) + STATE_HEIGHT / 2 },
        { x: round(to.x + STATE_WIDTH / 2), y: top(to.layer) + STATE_HEIGHT / 2 },
      ],
    });
  }
  return { startAt: definition.StartAt, width: round(width + (back.length > 0 ? STATE_GAP : 0)), height, states, edges: laidOut };
}

/** Splits transitions into those that go forward from StartAt (a depth-first walk) and those that loop back. */
function splitLoops(definition: AslDefinition, edges: ReturnType<typeof transitions>) {
  const out = new Map<string, typeof edges>();
  for (const edge of edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge]);
  const state = new Map<string, 'open' | 'done'>();
  const back = new Set<(typeof edges)[number]>();
  const visit = (name: string): void => {
    state.set(name, 'open');
    for (const edge of out.get(name) ?? []) {
      if (state.get(edge.to) === 'open') back.add(edge);
      else if (!state.has(edge.to)) visit(edge.to);
    }
    state.set(name, 'done');
  };
  visit(definition.StartAt);
  // States nothing reaches (a definition error Step Functions would refuse) still get a place.
  for (const name of Object.keys(definition.States)) if (!state.has(name)) visit(name);
  return { forward: edges.filter((edge) => !back.has(edge)), back: edges.filter((edge) => back.has(edge)) };
}

function longestPathLayers(definition: AslDefinition, forward: ReturnType<typeof transitions>): Map<string, number> {
  const layers = new Map<string, number>(Object.keys(definition.States).map((name) => [name, 0]));
  // Forward transitions form no cycle: relaxing them once per state settles every layer.
  for (let round = 0; round < layers.size; round += 1) {
    let changed = false;
    for (const edge of forward) {
      const candidate = (layers.get(edge.from) ?? 0) + 1;
      if (candidate > (layers.get(edge.to) ?? 0)) {
        layers.set(edge.to, candidate);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layers;
}

function orderLayers(vertices: Vertex[], above: Map<string, string[]>, below: Map<string, string[]>): Vertex[][] {
  const rows: Vertex[][] = [];
  for (const vertex of vertices) (rows[vertex.layer] ??= []).push(vertex);
  for (let index = 0; index < rows.length; index += 1) rows[index] ??= [];
  const renumber = (row: Vertex[]) => row.forEach((vertex, order) => (vertex.order = order));
  rows.forEach(renumber);
  const byId = new Map(vertices.map((vertex) => [vertex.id, vertex]));
  const meanOrder = (ids: string[] | undefined, fallback: number) => {
    if (ids === undefined || ids.length === 0) return fallback;
    return ids.reduce((sum, id) => sum + (byId.get(id)?.order ?? 0), 0) / ids.length;
  };
  for (let sweep = 0; sweep < SWEEPS; sweep += 1) {
    const down = sweep % 2 === 0;
    const sequence = down ? rows.map((_, index) => index).slice(1) : rows.map((_, index) => index).slice(0, -1).reverse();
    for (const layer of sequence) {
      const row = rows[layer] as Vertex[];
      const keys = new Map(row.map((vertex) => [vertex, meanOrder((down ? above : below).get(vertex.id), vertex.order)]));
      row.sort((a, b) => (keys.get(a) ?? 0) - (keys.get(b) ?? 0) || a.order - b.order);
      renumber(row);
    }
  }
  return rows;
}

/** Places each layer left to right, then pulls every vertex towards its neighbours' mean x, keeping order and spacing. */
function placeHorizontally(rows: Vertex[][], vertices: Map<string, Vertex>, above: Map<string, string[]>, below: Map<string, string[]>): void {
  const gap = (a: Vertex, b: Vertex) => (a.width + b.width) / 2 + (a.bend && b.bend ? 4 : STATE_GAP);
  for (const row of rows) {
    let x = 0;
    row.forEach((vertex, index) => {
      x += index === 0 ? 0 : gap(row[index - 1] as Vertex, vertex);
      vertex.x = x;
    });
    const middle = x / 2;
    for (const vertex of row) vertex.x -= middle;
  }
  const meanX = (ids: string[]) => ids.reduce((sum, id) => sum + (vertices.get(id)?.x ?? 0), 0) / ids.length;
  for (let sweep = 0; sweep < SWEEPS * 2; sweep += 1) {
    const down = sweep % 2 === 0;
    const order = down ? rows : [...rows].reverse();
    for (const row of order) {
      for (const vertex of row) {
        const neighbours = [...(above.get(vertex.id) ?? []), ...(below.get(vertex.id) ?? [])];
        if (neighbours.length > 0) vertex.x = meanX(neighbours);
      }
      // Restore spacing both ways (push right from the left end, push left from the right end) and
      // take the mean: each pass keeps order and spacing, so their mean does too, and neither side wins.
      const wanted = row.map((vertex) => vertex.x);
      const rightwards = [...wanted];
      for (let index = 1; index < row.length; index += 1) rightwards[index] = Math.max(wanted[index] as number, (rightwards[index - 1] as number) + gap(row[index - 1] as Vertex, row[index] as Vertex));
      const leftwards = [...wanted];
      for (let index = row.length - 2; index >= 0; index -= 1) leftwards[index] = Math.min(wanted[index] as number, (leftwards[index + 1] as number) - gap(row[index] as Vertex, row[index + 1] as Vertex));
      row.forEach((vertex, index) => (vertex.x = ((rightwards[index] as number) + (leftwards[index] as number)) / 2));
    }
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
