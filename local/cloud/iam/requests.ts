import type { AuthorizationRequest } from './policy.js';
import { NamedError } from '../errors.js';

/**
 * What IAM authorises for one API request the gateway serves or inspects: the action, each
 * resource ARN and the condition keys the service supplies. One API call can need several
 * authorisations (DescribeTasks of three tasks; a TransactWriteItems of a Put and an Update).
 */

export interface ArnScope {
  partition: string;
  region: string;
  accountId: string;
}

export class UnauthorizableRequestError extends NamedError {
  override readonly name = 'UnauthorizableRequestError';
}

type Body = Record<string, unknown>;

function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

// ------------------------------------------------------------------ ECS

function clusterArn(scope: ArnScope, cluster: unknown): string {
  const name = cluster === undefined || cluster === null || cluster === '' ? 'default' : String(cluster);
  return name.startsWith('arn:') ? name : `arn:${scope.partition}:ecs:${scope.region}:${scope.accountId}:cluster/${name}`;
}

/** A task, service or container instance of a cluster as its long-format ARN. */
function clusterResourceArn(scope: ArnScope, kind: string, cluster: string, idOrArn: string): string {
  if (idOrArn.startsWith('arn:')) return idOrArn;
  const clusterName = cluster.split('/').pop() ?? cluster;
  return `arn:${scope.partition}:ecs:${scope.region}:${scope.accountId}:${kind}/${clusterName}/${idOrArn}`;
}

/**
 * ECS's resource per action (Service Authorization Reference): ListTasks and ListServices have no
 * resource type and are scoped by the ecs:cluster key, which every cluster-bound action carries.
 */
export function ecsAuthorizations(scope: ArnScope, operation: string, body: Body): AuthorizationRequest[] {
  const action = `ecs:${operation}`;
  const cluster = clusterArn(scope, body.cluster);
  const context = { 'ecs:cluster': cluster };
  const each = (kind: string, ids: unknown) => {
    const list = strings(ids);
    if (list.length === 0) throw new UnauthorizableRequestError(`${operation} names no ${kind}`);
    return list.map((id) => ({ action, resource: clusterResourceArn(scope, kind, cluster, id), context }));
  };
  switch (operation) {
    case 'ListTasks':
    case 'ListServices':
    case 'ListServicesByNamespace':
      return [{ action, resource: '*', context }];
    case 'ListContainerInstances':
    case 'DescribeClusters':
      return [{ action, resource: cluster, context }];
    case 'DescribeTasks':
    case 'UpdateTaskProtection':
    case 'GetTaskProtection':
      return each('task', body.tasks);
    case 'StopTask':
      return each('task', body.task);
    case 'DescribeServices':
      return each('service', body.services);
    case 'UpdateService':
      return each('service', body.service);
    case 'DescribeContainerInstances':
      return each('container-instance', body.containerInstances);
    case 'ContinueServiceDeployment': {
      // The request names no cluster: the service deployment's ARN (service-deployment/<cluster>/<service>/<id>) does.
      const [deploymentArn] = strings(body.serviceDeploymentArn);
      if (deploymentArn === undefined) throw new UnauthorizableRequestError(`${operation} names no service deployment`);
      const clusterName = deploymentArn.split(':service-deployment/')[1]?.split('/')[0] ?? '';
      return [{ action, resource: deploymentArn, context: { 'ecs:cluster': clusterArn(scope, clusterName) } }];
    }
    default:
      // Operations the orchestrator never calls are judged on the cluster.
      return [{ action, resource: cluster, context }];
  }
}

// ------------------------------------------------------------------ Elastic Load Balancing

/**
 * Elastic Load Balancing v2 Query requests the gateway answers from the twin (DescribeTargetHealth;
 * the Action of the form-encoded body). DescribeTargetHealth supports no resource-level permission
 * (Service Authorization Reference, Elastic Load Balancing V2): it is authorised against `*`.
 */
export function elbAuthorizations(body: string): AuthorizationRequest[] {
  const action = new URLSearchParams(body).get('Action');
  if (action === null || action === '') throw new UnauthorizableRequestError('an Elastic Load Balancing request without an Action');
  return [{ action: `elasticloadbalancing:${action}`, resource: '*' }];
}

// ------------------------------------------------------------------ Auto Scaling

/**
 * Amazon EC2 Auto Scaling Query requests the gateway answers from the twin's groups. Describe
 * calls support no resource-level permission; the lifecycle actions' resource is the group
 * (Service Authorization Reference, Amazon EC2 Auto Scaling), named by its name: the gateway does
 * not know the group's id, which every policy the template writes leaves as a wildcard.
 */
export function autoscalingAuthorizations(scope: ArnScope, body: string): AuthorizationRequest[] {
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (action === null || action === '') throw new UnauthorizableRequestError('an Auto Scaling request without an Action');
  if (action.startsWith('Describe')) return [{ action: `autoscaling:${action}`, resource: '*' }];
  const group = form.get('AutoScalingGroupName');
  if (group === null || group === '') throw new UnauthorizableRequestError(`${action} without an AutoScalingGroupName`);
  return [{ action: `autoscaling:${action}`, resource: `arn:${scope.partition}:autoscaling:${scope.region}:${scope.accountId}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${group}` }];
}

// ------------------------------------------------------------------ Lambda

export function lambdaInvokeAuthorization(scope: ArnScope, functionName: string, qualifier: string | undefined): AuthorizationRequest {
  const base = functionName.startsWith('arn:') ? functionName : `arn:${scope.partition}:lambda:${scope.region}:${scope.accountId}:function:${functionName}`;
  return { action: 'lambda:InvokeFunction', resource: qualifier === undefined ? base : `${base}:${qualifier}` };
}

/**
 * lambda:ListFunctions has no resource-level permission (resource `*`); lambda:GetFunction is
 * authorised on the function (Service Authorization Reference, AWS Lambda).
 */
export function lambdaReadAuthorization(scope: ArnScope, action: string, functionName: string | undefined): AuthorizationRequest {
  if (functionName === undefined || functionName === '') return { action, resource: '*' };
  const name = functionName.split(':').length > 1 && !functionName.startsWith('arn:') ? (functionName.split(':')[0] ?? functionName) : functionName;
  return { action, resource: name.startsWith('arn:') ? name.split(':').slice(0, 7).join(':') : `arn:${scope.partition}:lambda:${scope.region}:${scope.accountId}:function:${name}` };
}

// ------------------------------------------------------------------ DynamoDB

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

/** Partition key attribute name by table name. */
export type PartitionKeys = ReadonlyMap<string, string>;

function tableArn(scope: ArnScope, name: string, index?: unknown): string {
  const arn = name.startsWith('arn:') ? name : `arn:${scope.partition}:dynamodb:${scope.region}:${scope.accountId}:table/${name}`;
  return typeof index === 'string' && index !== '' ? `${arn}/index/${index}` : arn;
}

/** The partition key value of an item or key in DynamoDB JSON (S, N or B). */
function leadingKey(partitionKeys: PartitionKeys, table: string, item: unknown): string | undefined {
  const name = partitionKeys.get(table.startsWith('arn:') ? (table.split('/')[1] ?? table) : table);
  if (name === undefined || item === null || typeof item !== 'object') return undefined;
  const attribute = (item as Record<string, Record<string, unknown>>)[name];
  const value = attribute?.S ?? attribute?.N ?? attribute?.B;
  return value === undefined ? undefined : String(value);
}

function itemAuthorization(scope: ArnScope, keys: PartitionKeys, action: string, request: Body): AuthorizationRequest {
  const table = String(request.TableName ?? '');
  const key = leadingKey(keys, table, request.Key ?? request.Item);
  return {
    action: `dynamodb:${action}`,
    resource: tableArn(scope, table, request.IndexName),
    context: key === undefined ? {} : { 'dynamodb:LeadingKeys': [key] },
  };
}

/**
 * DynamoDB data-plane requests. Transactions are authorised per item action, as IAM does; a
 * Query carries no leading keys here (its key condition is not parsed), so a ForAllValues
 * condition on them holds vacuously, as it would for any request without them.
 */
export function dynamodbAuthorizations(scope: ArnScope, keys: PartitionKeys, operation: string, body: Body): AuthorizationRequest[] {
  switch (operation) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [itemAuthorization(scope, keys, operation, body)];
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((body.TransactItems ?? []) as Array<Record<string, Body>>).flatMap((item) =>
        Object.entries(item).map(([kind, request]) => {
          const action = TRANSACT_ACTIONS[kind];
          if (action === undefined) throw new UnauthorizableRequestError(`${operation} item of kind ${kind}`);
          return itemAuthorization(scope, keys, action, request);
        }),
      );
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((body.RequestItems ?? {}) as Body).map((table) => ({ action: `dynamodb:${operation}`, resource: tableArn(scope, table) }));
    default: {
      const table = body.TableName;
      return [{ action: `dynamodb:${operation}`, resource: typeof table === 'string' ? tableArn(scope, table, body.IndexName) : '*' }];
    }
  }
}
