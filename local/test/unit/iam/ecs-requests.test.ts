import { describe, expect, it } from 'vitest';
import { evaluate, type PolicyStatement } from '../../../cloud/iam/policy.js';
import { ecsAuthorizations, lambdaInvokeAuthorization } from '../../../cloud/iam/requests.js';
import { StackNames } from '../../../cloud/stack/names.js';
import { loadTemplate } from '../../../cloud/stack/template.js';

/*
 * ECS requests as the gateway authorises them (the twin serves ECS, so moto cannot), against the
 * template's ECS policies: every action is scoped to the clusters in ClusterArns.
 */

const scope = { partition: 'aws', region: 'us-east-1', accountId: '111122223333' };
const { resolver } = new StackNames(loadTemplate(), { stackName: 'ecs-session-drain', ...scope, endpoint: 'http://localhost', parameters: { ClusterArns: ['arn:aws:ecs:us-east-1:111122223333:cluster/sessions', 'arn:aws:ecs:us-east-1:111122223333:cluster/other'] } });

function policy(logicalId: string): PolicyStatement[] {
  return (resolver.resolve(resolver.resource(logicalId).Properties?.PolicyDocument) as { Statement: PolicyStatement[] }).Statement;
}

/** The statements a function's own Policies write inline (not its managed policies). */
function inline(functionId: string): PolicyStatement[] {
  const policies = resolver.resource(functionId).Properties?.Policies as Array<Record<string, unknown>>;
  return resolver.resolve(policies.filter((entry) => 'Statement' in entry).flatMap((entry) => entry.Statement)) as PolicyStatement[];
}

/** The one statement of a function's inline ones with that Sid. */
function statement(functionId: string, sid: string): PolicyStatement[] {
  const found = inline(functionId).filter((candidate) => candidate.Sid === sid);
  expect(found, `${functionId} ${sid}`).toHaveLength(1);
  return found;
}

function decisions(statements: PolicyStatement[], operation: string, body: Record<string, unknown>): string[] {
  return ecsAuthorizations(scope, operation, body).map((request) => evaluate(statements, request).decision);
}

describe('ECS requests against the template policies', () => {
  it('names a task by its long ARN, from a short id and a cluster name too', () => {
    expect(ecsAuthorizations(scope, 'StopTask', { cluster: 'sessions', task: 'abc' })).toEqual([
      { action: 'ecs:StopTask', resource: 'arn:aws:ecs:us-east-1:111122223333:task/sessions/abc', context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions' } },
    ]);
    expect(ecsAuthorizations(scope, 'ListTasks', {})[0]?.context).toEqual({ 'ecs:cluster': 'arn:aws:ecs:us-east-1:111122223333:cluster/default' });
  });

  it('lets StopTask and UpdateTaskProtection reach the tasks of in-scope clusters only, each task judged', () => {
    expect(decisions(policy('EcsStopTaskPolicy'), 'StopTask', { cluster: 'other', task: 'arn:aws:ecs:us-east-1:111122223333:task/other/abc' })).toEqual(['allow']);
    expect(decisions(policy('EcsStopTaskPolicy'), 'StopTask', { cluster: 'elsewhere', task: 'abc' })).toEqual(['implicit-deny']);
    expect(decisions(policy('EcsTaskProtectionPolicy'), 'UpdateTaskProtection', { cluster: 'sessions', tasks: ['a', 'arn:aws:ecs:us-east-1:111122223333:task/elsewhere/b'] })).toEqual([
      'allow',
      'implicit-deny',
    ]);
  });

  it('scopes ListTasks and ListServices, which have no resource, by the ecs:cluster key', () => {
    expect(decisions(policy('EcsListTasksPolicy'), 'ListTasks', { cluster: 'sessions', serviceName: 'chat' })).toEqual(['allow']);
    expect(decisions(policy('EcsListTasksPolicy'), 'ListTasks', { cluster: 'elsewhere' })).toEqual(['implicit-deny']);
    expect(decisions(statement('ReconcilerFunction', 'EcsListServices'), 'ListServices', { cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/other' })).toEqual(['allow']);
    expect(decisions(statement('ReconcilerFunction', 'EcsListServices'), 'ListTasks', { cluster: 'other' })).toEqual(['implicit-deny']);
  });

  it('scopes services and container instances to their clusters', () => {
    expect(decisions(policy('EcsServiceScalingPolicy'), 'UpdateService', { cluster: 'sessions', service: 'chat' })).toEqual(['allow']);
    expect(decisions(policy('EcsDescribeServicesPolicy'), 'DescribeServices', { cluster: 'elsewhere', services: ['chat'] })).toEqual(['implicit-deny']);
    expect(decisions(statement('ReconcilerFunction', 'EcsListContainerInstances'), 'ListContainerInstances', { cluster: 'other' })).toEqual(['allow']);
    expect(decisions(policy('EcsDescribeContainerInstancesPolicy'), 'DescribeContainerInstances', { cluster: 'sessions', containerInstances: ['i1'] })).toEqual(['allow']);
  });

  it("matches SAM's LambdaInvokePolicy (function ARN and any qualifier) for Invoke", () => {
    const invoke: PolicyStatement[] = [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:us-east-1:111122223333:function:stack-Step*' }];

    expect(evaluate(invoke, lambdaInvokeAuthorization(scope, 'stack-Step', undefined)).decision).toBe('allow');
    expect(evaluate(invoke, lambdaInvokeAuthorization(scope, 'arn:aws:lambda:us-east-1:111122223333:function:stack-Step', '$LATEST')).decision).toBe('allow');
    expect(evaluate(invoke, lambdaInvokeAuthorization(scope, 'stack-Other', undefined)).decision).toBe('implicit-deny');
  });
});
