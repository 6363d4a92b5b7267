import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { UnsupportedFilterError } from '../errors.js';

/**
 * DynamoDB stream records as Lambda hands them to a function, and the event filtering Lambda
 * applies before it does. The filter supports what template.yaml uses (nested objects and lists
 * of values); any other operator is refused at start rather than matched wrongly.
 */

export interface LambdaStreamRecord {
  eventID: string;
  eventName: string;
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys?: Record<string, unknown>;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: string;
  };
  userIdentity?: { type: string; principalId: string };
  eventSourceARN: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isLiteral(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Throws UnsupportedFilterError for anything but nested objects ending in lists of literal values. */
export function validateFilterPattern(pattern: unknown, where: string, path: string[] = []): void {
  if (!isObject(pattern)) throw new UnsupportedFilterError(`${where}: filter pattern ${path.join('.') || '(root)'} is not an object`);
  for (const [key, expected] of Object.entries(pattern)) {
    const at = [...path, key];
    if (key.startsWith('$')) throw new UnsupportedFilterError(`${where}: filter operator "${key}" at ${at.join('.')} is not supported by the local stream poller`);
    if (Array.isArray(expected)) {
      const operator = expected.find((item) => !isLiteral(item));
      if (operator !== undefined) {
        const name = isObject(operator) ? Object.keys(operator).join(', ') : JSON.stringify(operator);
        throw new UnsupportedFilterError(`${where}: filter operator "${name}" at ${at.join('.')} is not supported by the local stream poller (only lists of values)`);
      }
    } else if (isObject(expected)) {
      validateFilterPattern(expected, where, at);
    } else {
      throw new UnsupportedFilterError(`${where}: filter pattern value at ${at.join('.')} must be a list or an object, got ${JSON.stringify(expected)}`);
    }
  }
}

/** EventBridge-style matching: every key of the pattern must match; a list matches any of its values. */
export function matchesPattern(pattern: Record<string, unknown>, value: unknown): boolean {
  if (!isObject(value)) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = value[key];
    if (actual === undefined) return false;
    if (Array.isArray(expected)) {
      const actuals = Array.isArray(actual) ? actual : [actual];
      return actuals.some((item) => expected.some((candidate) => candidate === item));
    }
    return matchesPattern(expected as Record<string, unknown>, actual);
  });
}

/** Lambda invokes with a record when any of the mapping's filters matches it (all, without filters). */
export function passesFilters(filters: Array<Record<string, unknown>>, record: LambdaStreamRecord): boolean {
  return filters.length === 0 || filters.some((filter) => matchesPattern(filter, record));
}

/** The SDK decodes binary attributes to bytes; Lambda's JSON carries them in base64. */
function attributeJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(attributeJson);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (key !== '$unknown' && item !== undefined) out[key] = attributeJson(item);
    return out;
  }
  return value;
}

export function toLambdaRecord(record: StreamRecord, streamArn: string, region: string): LambdaStreamRecord {
  const change = record.dynamodb ?? {};
  const created = change.ApproximateCreationDateTime;
  const image = (value: unknown) => attributeJson(value) as Record<string, unknown>;
  return {
    eventID: record.eventID ?? '',
    eventName: record.eventName ?? '',
    // moto says 1.0; the records Lambda delivers from DynamoDB Streams say 1.1.
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    dynamodb: {
      ApproximateCreationDateTime: created instanceof Date ? Math.floor(created.getTime() / 1000) : Number(created ?? Math.floor(Date.now() / 1000)),
      ...(change.Keys ? { Keys: image(change.Keys) } : {}),
      ...(change.NewImage ? { NewImage: image(change.NewImage) } : {}),
      ...(change.OldImage ? { OldImage: image(change.OldImage) } : {}),
      SequenceNumber: change.SequenceNumber ?? '',
      SizeBytes: change.SizeBytes ?? 0,
      StreamViewType: change.StreamViewType ?? '',
    },
    ...(record.userIdentity ? { userIdentity: { type: record.userIdentity.Type ?? '', principalId: record.userIdentity.PrincipalId ?? '' } } : {}),
    eventSourceARN: streamArn,
  };
}
