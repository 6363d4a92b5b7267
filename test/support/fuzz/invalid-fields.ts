import fc from 'fast-check';
import { cloneJson, deleteAt, type Path, setAt } from './json-paths.js';
import { applySteps, awayFrom, junkValue, mutationStep } from './mutators.js';

/*
 * Edits that certainly make a required field invalid, by the contract (the AWS event shapes,
 * docs/design.md, the README's registry contract) rather than by the parser under test, so that a
 * parser that is too lenient fails the test instead of defining what "valid" means.
 */

export type FieldKind =
  /** Any string is fine, any other type is not. */
  | { kind: 'string'; nonEmpty?: boolean }
  /** One of a closed set of strings. */
  | { kind: 'literal'; values: readonly string[] }
  /** An ARN in a known format. ECS resource ids allow only [A-Za-z0-9_-] (`ecsResource`). */
  | { kind: 'arn'; sample: string; ecsResource?: boolean }
  | { kind: 'ec2-instance-id' }
  | { kind: 'int'; min: number; max?: number }
  /** RFC 3339 with a Z or numeric offset, as EventBridge and the workflow write it. */
  | { kind: 'datetime' }
  | { kind: 'number' }
  | { kind: 'object' }
  | { kind: 'array'; minItems?: number }
  /** A key the shape does not allow at all (strict objects): any value is wrong. */
  | { kind: 'forbidden' }
  /** Wrong values listed one by one, for shapes the kinds above do not cover (DynamoDB attribute values). */
  | { kind: 'one-of-these'; values: readonly unknown[] };

export interface RequiredField {
  path: Path;
  field: FieldKind;
  /** Optional fields may be absent, but when present they must be valid. */
  optional?: boolean;
}

export type Invalidation = { op: 'remove' } | { op: 'set'; value: unknown };

const set = (value: unknown): Invalidation => ({ op: 'set', value });

const nonStrings = fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e308, 2 ** 63, [], ['x'], {}, { S: 'x' });
const nonObjects = fc.constantFrom<unknown>(null, true, 0, 1e308, '', 'object', '{"a":1}', [], [{}]);
const nonArrays = fc.constantFrom<unknown>(null, true, 0, '', 'arn:aws:ecs:us-east-1:111122223333:service/sessions/chat', {}, { 0: 'x' });
/** Strings that cannot be an ARN or instance id whatever follows: our formats start with "arn:" or "i-". */
const notAnId = fc.string({ maxLength: 30 }).map((text) => `x${text}`);
/** Never part of any ARN's last segment. */
const BAD_ARN_CHARS = [' ', '\u0000', ':', '\n', '\t'] as const;
/** Not in an ECS resource id ([A-Za-z0-9_-]) either. */
const BAD_ECS_ID_CHARS = ['\u202E', '🙂', '.', '#', '/x/y', '*', 'é'] as const;

function arnInvalidations(sample: string, ecsResource: boolean): fc.Arbitrary<unknown> {
  const resourceStart = sample.lastIndexOf(':') + 1;
  return fc.oneof(
    nonStrings,
    notAnId,
    fc.constant(''),
    fc.constant(sample.toUpperCase()),
    // Cut before the resource: no ARN format accepts a missing resource.
    fc.nat({ max: Math.max(0, resourceStart - 1) }).map((keep) => sample.slice(0, keep)),
    fc.constantFrom(...BAD_ARN_CHARS, ...(ecsResource ? BAD_ECS_ID_CHARS : [])).map((bad) => `${sample}${bad}`),
    fc.constantFrom('arn:', 'arn:aws:ecs:::task/', `${sample.slice(0, resourceStart)}`, sample.replace(/:\d{12}:/, ':1234:')),
  );
}

function intInvalidations(min: number, max: number | undefined): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>('7', '', 'NaN', 'Infinity', '1e999', '-1', null, true, [], {}, [3], 2 ** 53, 2 ** 63, 1e308, Number.MAX_VALUE),
    fc.integer({ min: -1_000_000, max: min - 1 }),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((value) => !Number.isInteger(value)),
    ...(max === undefined ? [] : [fc.integer({ min: max + 1, max: 2 ** 40 })]),
  );
}

const badDatetimes = fc.constantFrom<unknown>(
  'yesterday', '', 'NaN', '1772450131', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-02 10:20:00Z',
  '2026-03-02T10:2', '2026-03-02T25:00:00Z', '٢٠٢٦-03-02T10:20:00Z', '+275760-09-13T00:00:00Z', '2026-03-02T10:20:00',
  1772450131, null, true, [], {},
);

/** The ways to break one field. */
export function invalidationsOf(required: RequiredField): fc.Arbitrary<Invalidation> {
  const { field } = required;
  const removal = required.optional ? [] : [fc.constant<Invalidation>({ op: 'remove' })];
  let values: fc.Arbitrary<unknown>;
  switch (field.kind) {
    case 'string':
      values = field.nonEmpty ? fc.oneof(nonStrings, fc.constant('')) : nonStrings;
      break;
    case 'literal':
      values = fc.oneof(
        nonStrings,
        fc.string({ maxLength: 20 }),
        fc.constantFrom(...field.values.flatMap((value) => [value.toLowerCase(), value.toUpperCase(), ` ${value}`, `${value}\u0000`])),
      ).filter((value) => !(typeof value === 'string' && field.values.includes(value)));
      break;
    case 'arn':
      values = arnInvalidations(field.sample, field.ecsResource ?? false);
      break;
    case 'ec2-instance-id':
      values = fc.oneof(nonStrings, notAnId, fc.constantFrom('i-', 'i-0a1b2c3', 'I-0A1B2C3D4E5F67890', 'i-0a1b2c3d4e5f67890g', 'i-0a1b2c3d4e5f678901'));
      break;
    case 'int':
      values = intInvalidations(field.min, field.max);
      break;
    case 'datetime':
      values = badDatetimes;
      break;
    case 'number':
      values = fc.constantFrom<unknown>('1', '', 'NaN', null, true, [], {}, [1]);
      break;
    case 'object':
      values = nonObjects;
      break;
    case 'forbidden':
      values = junkValue;
      break;
    case 'one-of-these':
      values = fc.constantFrom(...field.values);
      break;
    case 'array':
      values = field.minItems === undefined ? nonArrays : fc.oneof(nonArrays, fc.constant([]));
      break;
  }
  return fc.oneof(...removal, values.map(set));
}

/** One required field of the target, broken one way. */
export function breakOneField(fields: readonly RequiredField[]): fc.Arbitrary<{ field: RequiredField; invalidation: Invalidation }> {
  return fc.oneof(...fields.map((field) => invalidationsOf(field).map((invalidation) => ({ field, invalidation }))));
}

/** Applies a broken field to a value the caller owns; returns the new root. */
export function applyInvalidation(root: unknown, broken: { field: RequiredField; invalidation: Invalidation }): unknown {
  const { path } = broken.field;
  return broken.invalidation.op === 'remove' ? deleteAt(root, path) : setAt(root, path, cloneJson(broken.invalidation.value));
}

export interface BrokenInput {
  sample: string;
  /** Which field was broken and how, for the failure message. */
  broken: string;
  event: unknown;
}

/**
 * A sample with irrelevant noise (never on a required field or its parents) and then one required
 * field broken: invalid by construction, whatever the noise did.
 */
export function brokenSample(
  samples: readonly { name: string; event: unknown; required: RequiredField[]; keep?: readonly Path[] }[],
): fc.Arbitrary<BrokenInput> {
  return fc.constantFrom(...samples).chain((sample) =>
    fc.record({ broken: breakOneField(sample.required), noise: fc.array(mutationStep, { maxLength: 3 }) }).map(({ broken, noise }) => {
      const noisy = applySteps(sample.event, noise, awayFrom(sample.required.map((field) => field.path), sample.keep));
      return {
        sample: sample.name,
        broken: `${broken.field.path.join('.') || '(root)'}: ${broken.invalidation.op === 'remove' ? 'removed' : `set to ${preview(broken.invalidation.value)}`}`,
        event: applyInvalidation(noisy, broken),
      };
    }),
  );
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}… (${text.length} chars)` : text;
}
