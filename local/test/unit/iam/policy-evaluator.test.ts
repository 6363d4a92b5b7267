import { describe, expect, it } from 'vitest';
import { evaluate, type PolicyStatement, substituteVariables, UnsupportedPolicyError, wildcardMatch } from '../../../cloud/iam/policy.js';

/*
 * The local cloud's IAM evaluator (local/cloud/iam/policy.ts) decides ECS, Lambda and
 * conditional DynamoDB requests in the gateway; these are IAM's documented rules it must keep.
 */

const TABLE = 'arn:aws:dynamodb:us-east-1:111122223333:table/registry';
const TASK = 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0123456789abcdef';

const allow = (extra: Partial<PolicyStatement>): PolicyStatement => ({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE, ...extra });

describe('IAM policy evaluation', () => {
  it('allows what one statement allows and denies everything else implicitly', () => {
    const statements = [allow({})];

    expect(evaluate(statements, { action: 'dynamodb:GetItem', resource: TABLE }).decision).toBe('allow');
    expect(evaluate(statements, { action: 'dynamodb:PutItem', resource: TABLE }).decision).toBe('implicit-deny');
    expect(evaluate(statements, { action: 'dynamodb:GetItem', resource: `${TABLE}-other` }).decision).toBe('implicit-deny');
    expect(evaluate([], { action: 'dynamodb:GetItem', resource: TABLE }).decision).toBe('implicit-deny');
  });

  it('lets an explicit Deny win over any Allow', () => {
    const statements = [allow({ Action: 'dynamodb:*', Resource: '*' }), { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: TABLE }];

    expect(evaluate(statements, { action: 'dynamodb:DeleteItem', resource: TABLE }).decision).toBe('explicit-deny');
    expect(evaluate(statements, { action: 'dynamodb:GetItem', resource: TABLE }).decision).toBe('allow');
  });

  it('matches actions case-insensitively with wildcards, and resources case-sensitively', () => {
    const statements = [allow({ Action: 'ECS:Describe*', Resource: 'arn:aws:ecs:us-east-1:111122223333:task/sessions/*' })];

    expect(evaluate(statements, { action: 'ecs:DescribeTasks', resource: TASK }).decision).toBe('allow');
    expect(evaluate(statements, { action: 'ecs:StopTask', resource: TASK }).decision).toBe('implicit-deny');
    expect(evaluate(statements, { action: 'ecs:DescribeTasks', resource: TASK.replace('sessions', 'Sessions') }).decision).toBe('implicit-deny');
    expect(wildcardMatch('function:name?', 'function:name1')).toBe(true);
    expect(wildcardMatch('function:name?', 'function:name12')).toBe(false);
    expect(wildcardMatch('a.b', 'aXb')).toBe(false);
  });

  it('reads NotAction and NotResource as everything but the listed ones', () => {
    const statements = [{ Effect: 'Allow', NotAction: 'ecs:StopTask', NotResource: TABLE }];

    expect(evaluate(statements, { action: 'ecs:DescribeTasks', resource: TASK }).decision).toBe('allow');
    expect(evaluate(statements, { action: 'ecs:StopTask', resource: TASK }).decision).toBe('implicit-deny');
    expect(evaluate(statements, { action: 'dynamodb:GetItem', resource: TABLE }).decision).toBe('implicit-deny');
  });

  describe('conditions', () => {
    const clusters = ['arn:aws:ecs:us-east-1:111122223333:cluster/sessions', 'arn:aws:ecs:us-east-1:111122223333:cluster/other'];
    const listTasks = allow({ Action: 'ecs:ListTasks', Resource: '*', Condition: { ArnEquals: { 'ecs:cluster': clusters } } });

    it('ORs the values of a key and ANDs the keys and operators', () => {
      const statement = allow({ Condition: { StringEquals: { 'a:x': ['1', '2'], 'a:y': 'yes' }, StringLike: { 'a:z': 'pre*' } } });
      const context = (x: string, y: string, z: string) => ({ 'a:x': x, 'a:y': y, 'a:z': z });

      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: context('2', 'yes', 'prefix') }).decision).toBe('allow');
      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: context('3', 'yes', 'prefix') }).decision).toBe('implicit-deny');
      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: context('1', 'no', 'prefix') }).decision).toBe('implicit-deny');
      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: context('1', 'yes', 'suffix') }).decision).toBe('implicit-deny');
    });

    it('scopes ListTasks by the ecs:cluster key, ARN by ARN', () => {
      expect(evaluate([listTasks], { action: 'ecs:ListTasks', resource: '*', context: { 'ecs:cluster': clusters[1] } }).decision).toBe('allow');
      expect(evaluate([listTasks], { action: 'ecs:ListTasks', resource: '*', context: { 'ecs:cluster': clusters[0]?.replace('sessions', 'elsewhere') } }).decision).toBe('implicit-deny');
      expect(evaluate([listTasks], { action: 'ecs:ListTasks', resource: '*' }).decision).toBe('implicit-deny');
    });

    it('compares ARNs component by component: a wildcard never crosses a colon', () => {
      const statement = allow({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:ecs:*:111122223333:cluster/*' } } });

      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'aws:SourceArn': 'arn:aws:ecs:eu-west-1:111122223333:cluster/a' } }).decision).toBe('allow');
      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'aws:SourceArn': 'arn:aws:ecs:eu-west-1:1:x:111122223333:cluster/a' } }).decision).toBe('implicit-deny');
    });

    it('holds ForAllValues when every value matches, and vacuously when the key is absent', () => {
      const statement = allow({ Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'arn:aws:ecs:us-east-1:111122223333:task/sessions/*' } } });
      const decide = (keys?: string[]) =>
        evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: keys === undefined ? {} : { 'dynamodb:LeadingKeys': keys } }).decision;

      expect(decide([TASK])).toBe('allow');
      expect(decide([TASK, 'SERVICE#cluster#chat'])).toBe('implicit-deny');
      expect(decide(undefined)).toBe('allow');
    });

    it('holds ForAnyValue when one value matches, never when the key is absent', () => {
      const statement = allow({ Condition: { 'ForAnyValue:StringEquals': { 'a:tags': ['x'] } } });

      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'a:tags': ['y', 'x'] } }).decision).toBe('allow');
      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: {} }).decision).toBe('implicit-deny');
    });

    it('treats an absent key as a match for IfExists and for negated operators only', () => {
      const ifExists = allow({ Condition: { StringEqualsIfExists: { 'a:x': '1' } } });
      const negated = allow({ Condition: { StringNotEquals: { 'a:x': '1' } } });
      const plain = allow({ Condition: { StringEquals: { 'a:x': '1' } } });
      const request = { action: 'dynamodb:GetItem', resource: TABLE, context: {} };

      expect(evaluate([ifExists], request).decision).toBe('allow');
      expect(evaluate([negated], request).decision).toBe('allow');
      expect(evaluate([plain], request).decision).toBe('implicit-deny');
      expect(evaluate([negated], { ...request, context: { 'a:x': '1' } }).decision).toBe('implicit-deny');
    });

    it('checks presence with Null', () => {
      const statement = allow({ Condition: { Null: { 'dynamodb:LeadingKeys': 'false' } } });

      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['k'] } }).decision).toBe('allow');
      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: {} }).decision).toBe('implicit-deny');
    });

    it('refuses an operator it cannot evaluate rather than dropping the condition', () => {
      const statement = allow({ Condition: { NumericLessThan: { 'a:n': '3' } } });

      expect(() => evaluate([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'a:n': '1' } })).toThrow(UnsupportedPolicyError);
    });
  });

  describe('policy variables', () => {
    const userId = 'AROAEXAMPLEROLEID:0123456789abcdef';

    it('substitutes aws:userid, and a variable without a value matches nothing', () => {
      expect(substituteVariables('items/${aws:userid}', { 'aws:userid': userId })).toBe(`items/${userId}`);
      expect(substituteVariables('items/${aws:username}', { 'aws:userid': userId })).toBeUndefined();
      expect(substituteVariables("items/${aws:username, 'none'}", {})).toBe('items/none');
    });

    it('takes ${*} and ${?} as literal characters', () => {
      const statement = allow({ Resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/a${*}b' });

      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/a*b' }).decision).toBe('allow');
      expect(evaluate([statement], { action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/aXb' }).decision).toBe('implicit-deny');
    });

    it('cannot tie a task-ARN key to an ECS task session: aws:userid carries the role id too', () => {
      // ECS names a task role session after the task id, so aws:userid = "<role id>:<task id>".
      const ownItemsOnly = allow({ Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'arn:aws:ecs:*:*:task/*/${aws:userid}' } } });

      const decision = evaluate([ownItemsOnly], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'aws:userid': userId, 'dynamodb:LeadingKeys': [TASK] } }).decision;

      expect(decision).toBe('implicit-deny');
    });
  });
});
