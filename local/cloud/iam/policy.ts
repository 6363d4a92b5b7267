/**
 * IAM identity-policy evaluation for the requests moto cannot judge: the ECS API (served by the
 * twin), Lambda Invoke (served by the gateway) and DynamoDB requests whose statements carry
 * conditions (moto ignores the operators it does not know). It follows IAM's rules for one
 * principal's identity policies: an explicit Deny wins, otherwise one Allow is needed.
 *
 * Supported: Action / NotAction and Resource / NotResource with * and ? wildcards; the condition
 * operators String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Equals, Arn(Not)Like, Bool
 * and Null, with the ForAllValues: / ForAnyValue: qualifiers and the IfExists suffix; the policy
 * variables ${aws:userid}, ${aws:username}, ${aws:PrincipalArn}, ${aws:PrincipalAccount} and the
 * escapes ${*}, ${?}, ${$}. Anything else is refused with UnsupportedPolicyError, so no statement
 * is ever applied with a condition silently dropped.
 */
import { NamedError } from '../errors.js';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny' | string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** The request context keys of one authorisation: single values or sets. */
export type RequestContext = Record<string, string | string[] | undefined>;

export interface AuthorizationRequest {
  action: string;
  resource: string;
  context?: RequestContext;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  decision: Decision;
  /** The statement that decided (the Deny, or the first Allow). */
  statement?: PolicyStatement;
}

export class UnsupportedPolicyError extends NamedError {
  override readonly name = 'UnsupportedPolicyError';
}

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** Marks a character that a ${*}, ${?} or ${$} escape made literal. */
const LITERAL = '\u0000';

/** IAM's wildcard match: * any run of characters, ? one character (escaped ones are literal). */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (char === LITERAL) {
      index += 1;
      source += escapeRegExp(pattern[index] ?? '').replace(/[*?]/g, '\\$&');
    } else {
      source += char === '*' ? '.*' : char === '?' ? '.' : escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** ARNs compare per component (partition, service, region, account, resource). */
function arnMatch(pattern: string, value: string): boolean {
  const split = (arn: string) => {
    const parts = arn.split(':');
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const patternParts = split(pattern);
  const valueParts = split(value);
  if (patternParts === undefined || valueParts === undefined) return false;
  return patternParts.every((part, index) => wildcardMatch(part, valueParts[index] as string));
}

/** ${aws:userid}-style policy variables, as IAM substitutes them before matching. */
export function substituteVariables(text: string, context: RequestContext): string | undefined {
  let unresolved = false;
  const result = text.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    if (name === '*' || name === '?' || name === '$') return `${LITERAL}${name}`;
    const [key, fallback] = name.split(/\s*,\s*/);
    const value = Object.entries(context).find(([contextKey]) => contextKey.toLowerCase() === (key ?? '').toLowerCase())?.[1];
    if (typeof value === 'string') return value;
    const literal = /^'(.*)'$/.exec(fallback ?? '')?.[1];
    if (literal !== undefined) return literal;
    unresolved = true;
    return '';
  });
  // A variable with no value makes the whole string match nothing, as in IAM.
  return unresolved ? undefined : result;
}

type Comparator = (expected: string, actual: string) => boolean;

const COMPARATORS: Record<string, { compare: Comparator; negated: boolean }> = {
  StringEquals: { compare: (expected, actual) => expected === actual, negated: false },
  StringNotEquals: { compare: (expected, actual) => expected === actual, negated: true },
  StringEqualsIgnoreCase: { compare: (expected, actual) => expected.toLowerCase() === actual.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (expected, actual) => expected.toLowerCase() === actual.toLowerCase(), negated: true },
  StringLike: { compare: (expected, actual) => wildcardMatch(expected, actual), negated: false },
  StringNotLike: { compare: (expected, actual) => wildcardMatch(expected, actual), negated: true },
  ArnEquals: { compare: arnMatch, negated: false },
  ArnLike: { compare: arnMatch, negated: false },
  ArnNotEquals: { compare: arnMatch, negated: true },
  ArnNotLike: { compare: arnMatch, negated: true },
  Bool: { compare: (expected, actual) => expected.toLowerCase() === actual.toLowerCase(), negated: false },
};

function contextValue(context: RequestContext, key: string): string[] | undefined {
  const entry = Object.entries(context).find(([contextKey]) => contextKey.toLowerCase() === key.toLowerCase());
  if (entry === undefined || entry[1] === undefined) return undefined;
  return asList(entry[1]);
}

function expectedValues(raw: unknown, context: RequestContext): Array<string | undefined> {
  return asList(raw as unknown).map((value) => substituteVariables(String(value), context));
}

/** One operator block of a Condition: every key must match (keys AND, values OR). */
function conditionHolds(operatorName: string, block: Record<string, unknown>, context: RequestContext): boolean {
  let operator = operatorName;
  let qualifier: 'ForAllValues' | 'ForAnyValue' | undefined;
  const qualified = /^(ForAllValues|ForAnyValue):(.+)$/.exec(operator);
  if (qualified) {
    qualifier = qualified[1] as 'ForAllValues' | 'ForAnyValue';
    operator = qualified[2] as string;
  }
  const ifExists = operator.endsWith('IfExists');
  if (ifExists) operator = operator.slice(0, -'IfExists'.length);

  for (const [key, raw] of Object.entries(block)) {
    const actual = contextValue(context, key);
    if (operator === 'Null') {
      const wantsAbsent = asList(raw as unknown).map((value) => String(value).toLowerCase()).includes('true');
      if ((actual === undefined || actual.length === 0) !== wantsAbsent) return false;
      continue;
    }
    const comparator = COMPARATORS[operator];
    if (comparator === undefined) throw new UnsupportedPolicyError(`condition operator ${operatorName} is not evaluated locally`);
    const expected = expectedValues(raw, context);
    const matchesOne = (value: string) => expected.some((pattern) => pattern !== undefined && comparator.compare(pattern, value));
    if (actual === undefined || actual.length === 0) {
      if (qualifier === 'ForAllValues') continue; // vacuously true: IAM's documented pitfall
      if (qualifier === 'ForAnyValue') return false;
      if (ifExists || comparator.negated) continue;
      return false;
    }
    let holds: boolean;
    if (qualifier === 'ForAllValues') holds = actual.every((value) => (comparator.negated ? !matchesOne(value) : matchesOne(value)));
    else if (qualifier === 'ForAnyValue') holds = actual.some((value) => (comparator.negated ? !matchesOne(value) : matchesOne(value)));
    else holds = comparator.negated ? actual.every((value) => !matchesOne(value)) : actual.some(matchesOne);
    if (!holds) return false;
  }
  return true;
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.NotAction !== undefined) return !asList(statement.NotAction).some((pattern) => wildcardMatch(pattern, action, true));
  return asList(statement.Action).some((pattern) => wildcardMatch(pattern, action, true));
}

function resourceMatches(statement: PolicyStatement, resource: string, context: RequestContext): boolean {
  const matchOne = (pattern: string) => {
    const substituted = substituteVariables(pattern, context);
    return substituted !== undefined && wildcardMatch(substituted, resource);
  };
  if (statement.NotResource !== undefined) return !asList(statement.NotResource).some(matchOne);
  return asList(statement.Resource).some(matchOne);
}

export function statementApplies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const context = request.context ?? {};
  if (!actionMatches(statement, request.action)) return false;
  if (!resourceMatches(statement, request.resource, context)) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, block]) => conditionHolds(operator, block, context));
}

export function statementsOf(documents: readonly PolicyDocument[]): PolicyStatement[] {
  return documents.flatMap((document) => asList(document.Statement));
}

/** IAM's decision for one request against one principal's identity policies. */
export function evaluate(statements: readonly PolicyStatement[], request: AuthorizationRequest): Evaluation {
  let allowing: PolicyStatement | undefined;
  for (const statement of statements) {
    if (!statementApplies(statement, request)) continue;
    if (statement.Effect === 'Deny') return { decision: 'explicit-deny', statement };
    if (statement.Effect === 'Allow') allowing ??= statement;
  }
  return allowing ? { decision: 'allow', statement: allowing } : { decision: 'implicit-deny' };
}

/** AWS's wording of a refusal. */
export function denialMessage(principalArn: string, request: AuthorizationRequest, decision: Decision): string {
  const why =
    decision === 'explicit-deny'
      ? `with an explicit deny in an identity-based policy`
      : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${principalArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}
