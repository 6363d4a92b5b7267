import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizationRequest, evaluate, type PolicyStatement, statementApplies, statementsOf } from '../../../cloud/iam/policy.js';
import { resolveStackRoles, stackNamesOf, type RoleSpec } from '../../../cloud/iam/roles.js';
import { translateTemplate } from '../../../cloud/stack/sam-translation.js';
import type { LocalStack } from '../../../cloud/stack/model.js';
import { loadTemplate, TEMPLATE_PATH } from '../../../cloud/stack/template.js';

/*
 * The workflow's role, as SAM expands it, against every service call the ASL makes. The local
 * cloud also enforces this role at run time (moto's interpreter signs with a key the local cloud
 * maps to it), but a run only shows what is missing; this shows that nothing is missing on any
 * path of the definition and that the role grants nothing the definition does not call.
 */

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const STACK = {
  stackName: 'ecs-session-drain',
  region: REGION,
  accountId: ACCOUNT,
  endpoint: 'http://localhost',
  parameters: { ClusterArns: ['arn:aws:ecs:us-east-1:111122223333:cluster/sessions', 'arn:aws:ecs:us-east-1:111122223333:cluster/other'] },
  tables: {},
  functions: {},
  outputs: {},
} as unknown as LocalStack;

/** Actions a state machine needs for its Logging and Tracing configuration, not for its states. */
const CONFIGURATION_ACTIONS: Record<string, RegExp> = {
  Logging: /^logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/,
  Tracing: /^xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$/,
};

interface TaskState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: Array<{ States: Record<string, TaskState> }>;
  ItemProcessor?: { States: Record<string, TaskState> };
  Iterator?: { States: Record<string, TaskState> };
}

function tasksOf(states: Record<string, TaskState>): Array<[string, TaskState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [[name, state] as [string, TaskState]] : []),
    ...(state.Branches ?? []).flatMap((branch) => tasksOf(branch.States)),
    ...(state.ItemProcessor ? tasksOf(state.ItemProcessor.States) : []),
    ...(state.Iterator ? tasksOf(state.Iterator.States) : []),
  ]);
}

/** What IAM authorises for one Task state (Step Functions' service integrations). */
function callOf(name: string, state: TaskState): AuthorizationRequest {
  const resource = state.Resource ?? '';
  const parameters = state.Parameters ?? {};
  const lambda = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.exec(resource);
  if (lambda) return { action: 'lambda:InvokeFunction', resource: String(parameters.FunctionName) };
  if (resource.startsWith('arn:aws:lambda:')) return { action: 'lambda:InvokeFunction', resource };
  const dynamodb = /^arn:aws:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/.exec(resource);
  if (dynamodb) {
    const operation = dynamodb[1] as string;
    return { action: `dynamodb:${operation[0]?.toUpperCase()}${operation.slice(1)}`, resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${String(parameters.TableName)}` };
  }
  throw new Error(`state "${name}" uses ${resource}, which this test does not know the IAM action of`);
}

describe('the drain workflow role', () => {
  let role: RoleSpec;
  let statements: PolicyStatement[];
  let calls: Array<[string, AuthorizationRequest]>;
  let machine: Record<string, unknown>;

  beforeAll(async () => {
    const roles = resolveStackRoles(STACK, TEMPLATE_PATH, await translateTemplate(TEMPLATE_PATH, REGION));
    role = roles.roles[roles.stateMachineRoles.DrainStateMachine ?? ''] as RoleSpec;
    statements = statementsOf(role.inlinePolicies.map((policy) => policy.document));
    const { resolver } = stackNamesOf(STACK, loadTemplate());
    machine = resolver.resource('DrainStateMachine').Properties ?? {};
    const substitutions = resolver.resolve(machine.DefinitionSubstitutions) as Record<string, string>;
    const definition = readFileSync(join(dirname(TEMPLATE_PATH), String(machine.DefinitionUri)), 'utf8').replace(/\$\{(\w+)\}/g, (_match, key: string) => substitutions[key] ?? _match);
    calls = tasksOf((JSON.parse(definition) as { States: Record<string, TaskState> }).States).map(([name, state]) => [name, callOf(name, state)]);
  }, 60_000);

  it('is the role SAM generates, with no AWS managed policy beyond X-Ray and no stack managed policy', () => {
    expect(role.logicalId).toBe('DrainStateMachineRole');
    expect(role.managedPolicies).toEqual([]);
    expect(role.awsManagedPolicyArns).toEqual(['arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess']);
    expect(role.trustPolicy).toMatchObject({ Statement: [{ Principal: { Service: ['states.amazonaws.com'] }, Action: ['sts:AssumeRole'] }] });
  });

  it('allows every call of every Task state of the definition', () => {
    expect(calls.length).toBeGreaterThanOrEqual(8);
    for (const [name, call] of calls) {
      expect(evaluate(statements, call).decision, `${name}: ${call.action} on ${call.resource}`).toBe('allow');
    }
  });

  it('grants nothing the definition does not call, besides what its Logging and Tracing need', () => {
    const unused: string[] = [];
    for (const statement of statements) {
      for (const action of [statement.Action ?? []].flat()) {
        const configuration = Object.entries(CONFIGURATION_ACTIONS).find(([, pattern]) => pattern.test(action));
        if (configuration !== undefined) {
          expect(machine[configuration[0]], `${action} is granted for ${configuration[0]}`).toBeDefined();
          expect(statement.Resource).toBe('*');
          continue;
        }
        const used = calls.some(([, call]) => call.action === action && statementApplies({ ...statement, Action: action }, call));
        if (!used) unused.push(`${action} on ${JSON.stringify(statement.Resource)}`);
      }
    }

    expect(unused).toEqual([]);
  });
});
