import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type ScalarTag, type CollectionTag } from 'yaml';
import { NamedError } from '../errors.js';

/**
 * Reads template.yaml the way CloudFormation does: short-form tags (!Ref, !Sub, !GetAtt, ...)
 * become their long forms, and resolveValue() evaluates intrinsic functions for a given set of
 * parameters, so that tests can check the values the deployed stack would really use (rule
 * patterns, environment variables, IAM resources) rather than the text that produces them.
 */

export const TEMPLATE_PATH = fileURLToPath(new URL('../../../template.yaml', import.meta.url));

export type TemplateValue = unknown;

export interface Resource {
  Type: string;
  Properties?: Record<string, TemplateValue>;
  Metadata?: Record<string, TemplateValue>;
  Condition?: string;
  [key: string]: TemplateValue;
}

export interface Template {
  AWSTemplateFormatVersion?: string;
  Transform?: string | string[];
  Parameters?: Record<string, { Type: string; Default?: unknown; [key: string]: unknown }>;
  Conditions?: Record<string, TemplateValue>;
  Globals?: Record<string, Record<string, TemplateValue>>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: TemplateValue; [key: string]: unknown }>;
}

const FUNCTION_TAGS = [
  'Sub', 'Join', 'Split', 'Select', 'If', 'Not', 'Equals', 'And', 'Or', 'FindInMap', 'Base64',
  'ImportValue', 'GetAZs', 'Cidr', 'ToJsonString', 'Length',
] as const;

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref') return { Ref: value };
  if (name === 'Condition') return { Condition: value };
  if (name === 'GetAtt') {
    // "Resource.Attribute" splits at the first dot only: attributes such as Outputs.X keep theirs.
    if (typeof value === 'string') {
      const dot = value.indexOf('.');
      return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
    }
    return { 'Fn::GetAtt': value };
  }
  return { [`Fn::${name}`]: value };
}

function cloudFormationTags(): Array<ScalarTag | CollectionTag> {
  const names = ['Ref', 'Condition', 'GetAtt', ...FUNCTION_TAGS];
  const tags: Array<ScalarTag | CollectionTag> = [];
  for (const name of names) {
    const tag = `!${name}`;
    tags.push({ tag, resolve: (value: string) => longForm(name, value) } as ScalarTag);
    tags.push({ tag, collection: 'seq', resolve: (seq) => longForm(name, seq.toJSON()) } as CollectionTag);
    tags.push({ tag, collection: 'map', resolve: (map) => longForm(name, map.toJSON()) } as CollectionTag);
  }
  return tags;
}

export function parseTemplate(text: string): Template {
  return parse(text, { customTags: cloudFormationTags(), schema: 'core', merge: false }) as Template;
}

export function loadTemplate(path: string = TEMPLATE_PATH): Template {
  return parseTemplate(readFileSync(path, 'utf8'));
}

export class UnresolvableError extends NamedError {
  override readonly name = 'UnresolvableError';
}

export interface ResolveContext {
  /** Parameter values; lists for CommaDelimitedList parameters. Template defaults fill the rest. */
  parameters?: Record<string, string | string[]>;
  region?: string;
  accountId?: string;
  partition?: string;
  stackName?: string;
  /** What Ref of a resource returns; default: a readable placeholder naming the resource. */
  ref?: (logicalId: string, resource: Resource) => unknown;
  /** What Fn::GetAtt returns where the resolver cannot derive it; default: a placeholder. */
  getAtt?: (logicalId: string, attribute: string, resource: Resource) => unknown;
}

const NO_VALUE = Symbol('AWS::NoValue');

export class TemplateResolver {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly stackName: string;
  private readonly parameters: Record<string, string | string[]>;

  constructor(
    readonly template: Template,
    private readonly context: ResolveContext = {},
  ) {
    this.region = context.region ?? 'us-east-1';
    this.accountId = context.accountId ?? '111122223333';
    this.partition = context.partition ?? 'aws';
    this.stackName = context.stackName ?? 'ecs-session-drain';
    this.parameters = {};
    for (const [name, definition] of Object.entries(template.Parameters ?? {})) {
      const given = context.parameters?.[name];
      const raw = given ?? (definition.Default === undefined ? undefined : definition.Default);
      if (raw === undefined) continue;
      const isList = definition.Type === 'CommaDelimitedList' || definition.Type.startsWith('List<');
      if (isList) {
        this.parameters[name] = Array.isArray(raw) ? raw : String(raw).split(',');
      } else {
        this.parameters[name] = Array.isArray(raw) ? raw.join(',') : String(raw);
      }
    }
    for (const name of Object.keys(context.parameters ?? {})) {
      if (!(name in (template.Parameters ?? {}))) throw new UnresolvableError(`template has no parameter ${name}`);
    }
  }

  resource(logicalId: string): Resource {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) throw new UnresolvableError(`template has no resource ${logicalId}`);
    return resource;
  }

  condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new UnresolvableError(`template has no condition ${name}`);
    const value = this.resolve(definition);
    if (typeof value !== 'boolean') throw new UnresolvableError(`condition ${name} is not a boolean`);
    return value;
  }

  /** Evaluates every intrinsic function in value; AWS::NoValue removes list items and keys. */
  resolve(value: TemplateValue): unknown {
    const result = this.evaluate(value);
    return result === NO_VALUE ? undefined : result;
  }

  private evaluate(value: TemplateValue): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.evaluate(item)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, argument] = entries[0] as [string, unknown];
      if (key === 'Ref') return this.ref(String(argument));
      if (key === 'Condition') return this.condition(String(argument));
      if (key.startsWith('Fn::')) return this.intrinsic(key, argument);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.evaluate(item);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private ref(name: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.accountId;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    if (name in this.parameters) return this.parameters[name];
    if (this.template.Parameters?.[name] !== undefined) throw new UnresolvableError(`parameter ${name} has no value`);
    const resource = this.resource(name);
    return this.context.ref?.(name, resource) ?? `<${name}>`;
  }

  private getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.resource(logicalId);
    const custom = this.context.getAtt?.(logicalId, attribute, resource);
    if (custom !== undefined) return custom;
    // The stack derives its cluster ARNs from this parameter's value; follow it.
    if (resource.Type === 'AWS::SSM::Parameter' && attribute === 'Value') return this.evaluate(resource.Properties?.Value);
    return `<${logicalId}.${attribute}>`;
  }

  private string(value: unknown, where: string): string {
    const resolved = this.evaluate(value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new UnresolvableError(`${where} expects a string, got ${JSON.stringify(resolved)}`);
  }

  private list(value: unknown, where: string): unknown[] {
    const resolved = this.evaluate(value);
    if (!Array.isArray(resolved)) throw new UnresolvableError(`${where} expects a list, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private args(name: string, argument: unknown, count: number): unknown[] {
    if (!Array.isArray(argument) || argument.length !== count) {
      throw new UnresolvableError(`${name} takes ${count} arguments, got ${JSON.stringify(argument)}`);
    }
    return argument;
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split(/\.(.*)/s);
        return this.getAtt(String(logicalId), this.string(attribute, 'Fn::GetAtt attribute'));
      }
      case 'Fn::Sub':
        return this.sub(argument);
      case 'Fn::Join': {
        const [delimiter, items] = this.args(name, argument, 2);
        if (typeof delimiter !== 'string') throw new UnresolvableError('Fn::Join delimiter must be a literal string');
        return this.list(items, name)
          .map((item) => this.string(item, 'Fn::Join item'))
          .join(delimiter);
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.args(name, argument, 2);
        if (typeof delimiter !== 'string') throw new UnresolvableError('Fn::Split delimiter must be a literal string');
        return this.string(source, name).split(delimiter);
      }
      case 'Fn::Select': {
        const [index, items] = this.args(name, argument, 2);
        const list = this.list(items, name);
        const position = Number(this.string(index, 'Fn::Select index'));
        if (!Number.isInteger(position) || position < 0 || position >= list.length) {
          throw new UnresolvableError(`Fn::Select index ${position} is outside a list of ${list.length}`);
        }
        return list[position];
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = this.args(name, argument, 3);
        return this.condition(String(condition)) ? this.evaluate(whenTrue) : this.evaluate(whenFalse);
      }
      case 'Fn::Equals': {
        const [left, right] = this.args(name, argument, 2);
        return JSON.stringify(this.evaluate(left)) === JSON.stringify(this.evaluate(right));
      }
      case 'Fn::Not': {
        const [operand] = this.args(name, argument, 1);
        return !this.evaluate(operand);
      }
      case 'Fn::And':
        return (argument as unknown[]).every((operand) => this.evaluate(operand) === true);
      case 'Fn::Or':
        return (argument as unknown[]).some((operand) => this.evaluate(operand) === true);
      case 'Fn::ToJsonString':
        return JSON.stringify(this.evaluate(argument));
      case 'Fn::Length':
        return this.list(argument, name).length;
      default:
        throw new UnresolvableError(`${name} is not supported by the test resolver`);
    }
  }

  private sub(argument: unknown): string {
    const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
    if (typeof template !== 'string') throw new UnresolvableError('Fn::Sub template must be a literal string');
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries((variables ?? {}) as Record<string, unknown>)) {
      values[key] = this.string(value, `Fn::Sub variable ${key}`);
    }
    return template.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, name: string) => {
      if (literal === '!') return `\${${name}}`;
      if (name in values) return values[name] as string;
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const dot = name.indexOf('.');
        return this.string({ 'Fn::GetAtt': [name.slice(0, dot), name.slice(dot + 1)] }, `Fn::Sub \${${name}}`);
      }
      return this.string({ Ref: name }, `Fn::Sub \${${name}}`);
    });
  }
}

/** Logical ids of the resources of one type, in template order. */
export function resourcesOfType(template: Template, type: string): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([logicalId]) => logicalId);
}

/**
 * The template with the AWS::Events::Rule resources of its SAM translation (the rules SAM
 * generates from EventBridgeRule and Schedule events of functions), as CloudFormation receives it.
 */
export function withTranslatedRules(template: Template, rules: Record<string, Record<string, unknown>>): Template {
  const resources = { ...template.Resources };
  for (const [logicalId, properties] of Object.entries(rules)) {
    resources[logicalId] ??= { Type: 'AWS::Events::Rule', Properties: properties };
  }
  return { ...template, Resources: resources };
}

/** A rule's EventPattern as EventBridge receives it: JSON-string patterns are parsed. */
export function resolvedEventPattern(resolver: TemplateResolver, ruleId: string): Record<string, unknown> | undefined {
  const pattern = resolver.resolve(resolver.resource(ruleId).Properties?.EventPattern);
  if (pattern === undefined) return undefined;
  return (typeof pattern === 'string' ? JSON.parse(pattern) : pattern) as Record<string, unknown>;
}
