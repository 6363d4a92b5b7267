import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EcsResponse, GatewayAuthorizer, GatewayRequest } from '../gateway.js';
import { type AuthorizationRequest, denialMessage, evaluate, type PolicyStatement, type RequestContext } from './policy.js';
import { type ArnScope, autoscalingAuthorizations, dynamodbAuthorizations, ecsAuthorizations, elbAuthorizations, lambdaInvokeAuthorization, lambdaReadAuthorization } from './requests.js';

/**
 * The gateway's half of IAM enforcement: for credentials the local cloud issued (a function's
 * role session, the state machine's role, a task's role session) it judges what moto cannot:
 * ECS calls (the twin), Elastic Load Balancing calls the twin answers, Lambda Invoke (the function
 * host) and DynamoDB requests whose allowing statements carry conditions. A refusal is answered in the service's own error shape, so the
 * caller's SDK throws AccessDeniedException as on AWS. Credentials it did not issue (the
 * harness's) pass; moto still authenticates everything that reaches it.
 */

export interface Principal {
  /** The assumed-role session ARN, as AWS names the caller in a refusal. */
  arn: string;
  /** aws:userid: "<role id>:<session name>". */
  userId: string;
  roleArn: string;
  accountId: string;
  /** The role's statements as they are now (a revoked policy is gone at once). */
  statements(): PolicyStatement[];
}

export interface Denial {
  at: string;
  principal: string;
  action: string;
  resource: string;
  decision: string;
  route: GatewayRequest['route'];
}

const DYNAMODB_TARGET = 'DynamoDB_20120810.';
const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113.';

export function accessKeyOf(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(String(headers.authorization ?? ''))?.[1];
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** Whether the role lets a condition decide some DynamoDB access (moto would ignore it). */
function hasDynamodbConditions(statements: PolicyStatement[]): boolean {
  return statements.some((statement) => {
    const actions = [statement.Action ?? [], statement.NotAction ?? []].flat();
    return statement.Condition !== undefined && (statement.NotAction !== undefined || actions.some((action) => /^dynamodb:|^\*$/i.test(action)));
  });
}

function refusal(route: GatewayRequest['route'], message: string): EcsResponse {
  const requestId = randomUUID();
  if (route === 'lambda') {
    return {
      status: 403,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': requestId },
      body: JSON.stringify({ Type: 'User', message }),
    };
  }
  if (route === 'elb' || route === 'autoscaling') {
    // The Query protocol's error shape (as Elastic Load Balancing and Auto Scaling answer AccessDenied).
    const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const namespace = route === 'elb' ? 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/' : 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
    return {
      status: 403,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${escaped}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  const json = route === 'ecs' ? '1.1' : '1.0';
  const type = route === 'ecs' ? 'AccessDeniedException' : 'com.amazon.coral.service#AccessDeniedException';
  return {
    status: 400,
    headers: { 'content-type': `application/x-amz-json-${json}`, 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': requestId },
    body: JSON.stringify({ __type: type, message }),
  };
}

export class IamAuthorizer implements GatewayAuthorizer {
  private readonly principals = new Map<string, Principal>();
  private readonly refused: Denial[] = [];
  /** Partition key attribute by table name (dynamodb:LeadingKeys); filled when the stack exists. */
  readonly partitionKeys = new Map<string, string>();

  constructor(private readonly scope: ArnScope) {}

  register(accessKeyId: string, principal: Principal): void {
    this.principals.set(accessKeyId, principal);
  }

  principal(accessKeyId: string): Principal | undefined {
    return this.principals.get(accessKeyId);
  }

  /** Requests refused here (moto's refusals are in moto.log and the callers' errors). */
  denials(): Denial[] {
    return [...this.refused];
  }

  inspects(headers: IncomingHttpHeaders): boolean {
    if (!header(headers, 'x-amz-target').startsWith(DYNAMODB_TARGET)) return false;
    const principal = this.principals.get(accessKeyOf(headers) ?? '');
    return principal !== undefined && hasDynamodbConditions(principal.statements());
  }

  check(request: GatewayRequest): EcsResponse | undefined {
    const principal = this.principals.get(accessKeyOf(request.headers) ?? '');
    if (principal === undefined) return undefined;
    let authorizations: AuthorizationRequest[];
    try {
      authorizations = this.authorizations(request);
    } catch {
      // A request IAM cannot even name the resources of fails validation in the service.
      return undefined;
    }
    const context: RequestContext = {
      'aws:userid': principal.userId,
      'aws:PrincipalArn': principal.roleArn,
      'aws:PrincipalAccount': principal.accountId,
    };
    const statements = principal.statements();
    for (const authorization of authorizations) {
      const withContext = { ...authorization, context: { ...context, ...authorization.context } };
      const { decision } = evaluate(statements, withContext);
      if (decision === 'allow') continue;
      this.refused.push({ at: new Date().toISOString(), principal: principal.arn, action: authorization.action, resource: authorization.resource, decision, route: request.route });
      if (this.refused.length > 1000) this.refused.shift();
      return refusal(request.route, denialMessage(principal.arn, withContext, decision));
    }
    return undefined;
  }

  private authorizations(request: GatewayRequest): AuthorizationRequest[] {
    if (request.route === 'lambda' && request.action !== undefined) return [lambdaReadAuthorization(this.scope, request.action, request.functionName)];
    if (request.route === 'lambda') return [lambdaInvokeAuthorization(this.scope, request.functionName ?? '', request.qualifier)];
    if (request.route === 'elb') return elbAuthorizations(request.body);
    if (request.route === 'autoscaling') return autoscalingAuthorizations(this.scope, request.body);
    const target = header(request.headers, 'x-amz-target');
    const body = JSON.parse(request.body || '{}') as Record<string, unknown>;
    if (request.route === 'ecs') return ecsAuthorizations(this.scope, target.slice(ECS_TARGET.length), body);
    if (target.startsWith(DYNAMODB_TARGET)) return dynamodbAuthorizations(this.scope, this.partitionKeys, target.slice(DYNAMODB_TARGET.length), body);
    return [];
  }
}
