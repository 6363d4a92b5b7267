import fc from 'fast-check';
import { cloneJson, defineOwn, deleteAt, getAt, isRecord, isWithin, type Path, pathsOf, setAt } from './json-paths.js';

/*
 * Mutations of events. A mutation is a plan (plain data, so fast-check can shrink it) that is
 * applied to a fresh clone of a sample. Paths are chosen by index into the paths of the value as
 * it is when the step applies, so that a plan stays meaningful after earlier steps changed the shape.
 */

const HUGE = 70_000;
/** Values that have broken parsers elsewhere: numbers JSON can carry but JS cannot hold exactly, NaN-like text, control and bidi characters. */
export const NASTY_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1.5, -0.5, 1e308, -1e308, 2 ** 53, 2 ** 63, Number.MAX_VALUE, Number.MIN_VALUE,
  '', ' ', 'NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '0x1F', 'null', 'undefined', 'true', '[object Object]',
  '{', '{"detail":', '[', '"', '\\', '\u0000', '\u202Etask', '\u200B', '🙂', '\uD800', 'ＡＲＮ', '<script>alert(1)</script>',
  "'; DROP TABLE registry; --", '../../etc/passwd', '%s%n%x', '${jndi:ldap://x}', 'a'.repeat(HUGE), '🙂'.repeat(HUGE / 4),
  `arn:aws:ecs:us-east-1:111122223333:task/sessions/${'a'.repeat(HUGE)}`, [], {}, [null], [[[]]], { '': '' },
];

/** Any JSON value an invoker could send, plus the nasty ones above. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_VALUES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
const UNICODE_INSERTS = ['\u0000', '\u202E', '\u200B', '\uFEFF', '🙂', '\uD800', 'é', '\n', '\t', ' ', '/', ':', '#'] as const;

export type MutationStep =
  | { op: 'delete'; at: number }
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'wrap-in-array'; at: number }
  | { op: 'truncate-string'; at: number; keep: number }
  | { op: 'truncated-json'; at: number; keep: number }
  | { op: 'proto-key'; at: number; key: (typeof PROTO_KEYS)[number] }
  | { op: 'unicode'; at: number; position: number; insert: string }
  | { op: 'extra-key'; at: number; key: string; value: unknown }
  | { op: 'drop-half'; at: number };

const at = fc.nat();
export const mutationStep: fc.Arbitrary<MutationStep> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at }),
  fc.record({ op: fc.constant('replace' as const), at, value: junkValue }),
  fc.record({ op: fc.constant('wrap-in-array' as const), at }),
  fc.record({ op: fc.constant('truncate-string' as const), at, keep: fc.nat() }),
  fc.record({ op: fc.constant('truncated-json' as const), at, keep: fc.nat() }),
  fc.record({ op: fc.constant('proto-key' as const), at, key: fc.constantFrom(...PROTO_KEYS) }),
  fc.record({ op: fc.constant('unicode' as const), at, position: fc.nat(), insert: fc.constantFrom(...UNICODE_INSERTS) }),
  fc.record({ op: fc.constant('extra-key' as const), at, key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...PROTO_KEYS)), value: junkValue }),
  fc.record({ op: fc.constant('drop-half' as const), at }),
);

/** What a prototype-polluting payload carries; the tests check Object.prototype never gains it. */
export const POLLUTION_MARK = 'fuzzPolluted';

function protoPayload(): Record<string, unknown> {
  return JSON.parse(`{"${POLLUTION_MARK}":true,"prototype":{"${POLLUTION_MARK}":true},"status":"DRAINING","sessionCount":0}`) as Record<string, unknown>;
}

/**
 * Applies one step. `allowed` limits the nodes a step may touch (used to keep noise away from
 * required fields); the root is always a candidate when allowed.
 */
export function applyStep(root: unknown, step: MutationStep, allowed: (path: Path) => boolean = () => true): unknown {
  const candidates = [[], ...pathsOf(root)].filter((path) => allowed(path));
  if (candidates.length === 0) return root;
  const path = candidates[step.at % candidates.length] as Path;
  const node = getAt(root, path);
  switch (step.op) {
    case 'delete':
      return deleteAt(root, path);
    case 'replace':
      return setAt(root, path, cloneJson(step.value));
    case 'wrap-in-array':
      return setAt(root, path, [node]);
    case 'truncate-string':
      return typeof node === 'string' ? setAt(root, path, node.slice(0, step.keep % (node.length + 1))) : root;
    case 'truncated-json': {
      const text = JSON.stringify(node) ?? '';
      return setAt(root, path, text.slice(0, step.keep % Math.max(1, text.length)));
    }
    case 'proto-key':
      if (isRecord(node)) defineOwn(node, step.key, protoPayload());
      return root;
    case 'unicode':
      return typeof node === 'string'
        ? setAt(root, path, node.slice(0, step.position % (node.length + 1)) + step.insert + node.slice(step.position % (node.length + 1)))
        : root;
    case 'extra-key':
      if (isRecord(node)) defineOwn(node, step.key, cloneJson(step.value));
      return root;
    case 'drop-half':
      if (Array.isArray(node)) node.splice(Math.ceil(node.length / 2));
      else if (isRecord(node)) for (const key of Object.keys(node).slice(Math.ceil(Object.keys(node).length / 2))) delete node[key];
      return root;
  }
}

export function applySteps(sample: unknown, steps: readonly MutationStep[], allowed?: (path: Path) => boolean): unknown {
  let value = cloneJson(sample);
  for (const step of steps) value = applyStep(value, step, allowed);
  return value;
}

/**
 * Noise may touch a node only if it is not a protected path nor an ancestor of one, so that it can
 * neither remove nor replace a field whose validity a property relies on. Nodes inside a protected
 * path (the attachments of a required detail) are fair game.
 */
export function awayFrom(protectedPaths: readonly Path[], sealedPaths: readonly Path[] = []): (path: Path) => boolean {
  return (path) =>
    path.length > 0 &&
    protectedPaths.every((guarded) => !isWithin(guarded, path)) &&
    sealedPaths.every((sealed) => !isWithin(sealed, path) && !isWithin(path, sealed));
}

export function pollutionFound(): boolean {
  return (Object.prototype as Record<string, unknown>)[POLLUTION_MARK] !== undefined || ({} as Record<string, unknown>)[POLLUTION_MARK] !== undefined;
}
