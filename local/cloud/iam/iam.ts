import { IamAuthorizer, type Denial, type Principal } from './authorizer.js';
import { type AssumedCredentials, MotoIamClient } from './client.js';
import type { PolicyDocument, PolicyStatement } from './policy.js';
import { type ArnScope } from './requests.js';
import { type SamTranslation, translateTemplate } from '../stack/sam-translation.js';
import { resolveStackRoles, roleName, samStateMachineRoleIds, stackNamesOf, type StackRoles } from './roles.js';
import { UnsupportedTemplateError } from '../errors.js';
import type { LocalStack } from '../stack/model.js';
import { loadTemplate, resourcesOfType, type Template } from '../stack/template.js';
import { NamedError } from '../errors.js';

/**
 * iam/: the stack's roles and the checks moto cannot make; imports stack/, ../gateway's types,
 * ../moto and ../errors, never lambda/.
 *
 * IAM in the local cloud (iam: 'enforce'): every function runs under the role template.yaml
 * gives it, as `sam deploy` would create it, and a call its role does not allow fails with
 * AccessDeniedException.
 *
 * - moto holds the roles (SAM-expanded, resolved to local ARNs) and enforces them for what it
 *   serves (DynamoDB, Step Functions, EventBridge, SQS), with local/moto_iam.py teaching it the
 *   resources of those requests; each function's worker signs with its own sts:AssumeRole
 *   session (session name = function name, as Lambda names it).
 * - The gateway judges the rest with the project's evaluator (policy.ts): ECS (the twin),
 *   Lambda Invoke, and DynamoDB statements with conditions, which moto ignores.
 * - moto's Step Functions interpreter signs its calls with the fixed key "ak"; moto and the
 *   gateway both take that key as the state machine's role, so the workflow runs under it too.
 * - The local cloud itself (stack deployment, event delivery, stream polling, the test harness,
 *   the twin's events) signs with the key "testing", the admin user local-cloud-admin.
 * - Application tasks: `assumeTaskRole(taskArn)` gives a session of a task role that carries
 *   the template's TaskRegistryPolicy, named after the task id as ECS names it.
 *
 * Not modelled: AWS managed policies (basic execution, X-Ray, stream reads) and the calls Lambda
 * makes with a function's role on its behalf (logs, traces, stream reads, destinations), which
 * the local cloud's own machinery makes as the admin.
 */

export type IamMode = 'enforce' | 'off';

export const ADMIN_USER = 'local-cloud-admin';
/** The harness's key ("testing", with any secret): the admin user. */
export const ADMIN_ACCESS_KEY_ID = 'testing';
/** The key moto's Step Functions interpreter signs every service call with (moto 5.2). */
export const INTERPRETER_ACCESS_KEY_ID = 'ak';
export const TASK_ROLE_LOGICAL_ID = 'ApplicationTaskRole';

const ADMIN_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

export class UnknownPrincipalError extends NamedError {
  override readonly name = 'UnknownPrincipalError';
}

/** The state machine whose role the interpreter's calls run under: the template's only one. */
function interpreterRole(template: Template, stackName: string): { role: string; session: string } | undefined {
  const roles = Object.entries(samStateMachineRoleIds(template));
  if (roles.length > 1) throw new UnsupportedTemplateError(`${roles.length} state machines: moto's interpreter signs for all of them alike (use iam: 'off')`);
  const [entry] = roles;
  return entry === undefined ? undefined : { role: roleName(stackName, entry[1]), session: entry[0] };
}

/** moto's environment for enforcement with the local cloud's principals (local/moto_iam.py). */
export function motoIamEnvironment(templatePath: string, stackName: string): Record<string, string> {
  const interpreter = interpreterRole(loadTemplate(templatePath), stackName);
  const aliases: Record<string, unknown> = { [ADMIN_ACCESS_KEY_ID]: { user: ADMIN_USER } };
  if (interpreter) aliases[INTERPRETER_ACCESS_KEY_ID] = interpreter;
  return { LOCAL_CLOUD_IAM_PRINCIPALS: JSON.stringify({ aliases }) };
}

interface RoleState {
  logicalId: string;
  name: string;
  arn: string;
  id: string;
  inline: Map<string, PolicyDocument>;
  attached: Set<string>;
}

function statementsIn(document: PolicyDocument): PolicyStatement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

export interface IamDeployOptions {
  stack: LocalStack;
  templatePath: string;
  /** moto itself (the bootstrap runs before enforcement starts). */
  motoEndpoint: string;
  authorizer: IamAuthorizer;
  /** The SAM translation, when already started (it takes about a second). */
  translation?: Promise<SamTranslation>;
}

export class LocalIam {
  private readonly roleStates = new Map<string, RoleState>();

  private constructor(
    private readonly options: IamDeployOptions,
    private readonly client: MotoIamClient,
    readonly stackRoles: StackRoles,
    private readonly functionCredentials: Record<string, AssumedCredentials>,
  ) {}

  /** The scope the gateway's authorizer names resources in. */
  static scope(stack: Pick<LocalStack, 'region' | 'accountId'>): ArnScope {
    return { partition: 'aws', region: stack.region, accountId: stack.accountId };
  }

  /** Creates the stack's policies and roles in moto and a session per function (no enforcement yet). */
  static async deploy(options: IamDeployOptions): Promise<LocalIam> {
    const { stack, templatePath } = options;
    const stackRoles = resolveStackRoles(stack, templatePath, await (options.translation ?? translateTemplate(templatePath, stack.region)));
    const client = new MotoIamClient(options.motoEndpoint, ADMIN_ACCESS_KEY_ID, stack.region);
    const iam = new LocalIam(options, client, stackRoles, {});
    await iam.createPrincipals();
    return iam;
  }

  private async createPrincipals(): Promise<void> {
    const { stack, authorizer } = this.options;
    const { roles, managedPolicies, functionRoles, stateMachineRoles } = this.stackRoles;
    await this.client.call('iam', 'CreateUser', { UserName: ADMIN_USER });
    await this.client.call('iam', 'PutUserPolicy', { UserName: ADMIN_USER, PolicyName: 'administrator', PolicyDocument: JSON.stringify(ADMIN_POLICY) });
    // One at a time: moto's IAM answered a concurrent CreateRole with a bare 500 on a busy machine
    // (its server threads share the backend's dictionaries); in sequence they take well under a second.
    for (const policy of Object.values(managedPolicies)) {
      await this.client.call('iam', 'CreatePolicy', { PolicyName: policy.name, PolicyDocument: JSON.stringify(policy.document) });
    }
    for (const role of Object.values(roles)) await this.createRole(role.logicalId, role.name, role.trustPolicy, role.inlinePolicies, role.managedPolicies);
    await this.createTaskRole();
    this.fillPartitionKeys();

    const credentials = await Promise.all(
      Object.entries(functionRoles).map(async ([functionId, roleId]) => {
        const spec = stack.functions[functionId];
        if (spec === undefined) return undefined;
        // Lambda names a function's role session after the function.
        const session = await this.client.assumeRole(this.role(roleId).arn, spec.name.slice(0, 64));
        authorizer.register(session.accessKeyId, this.principal(roleId, session.arn, session.assumedRoleId));
        return [functionId, session] as const;
      }),
    );
    for (const entry of credentials) if (entry) this.functionCredentials[entry[0]] = entry[1];

    const [machine] = Object.entries(stateMachineRoles);
    if (machine !== undefined) {
      const [machineId, roleId] = machine;
      const role = this.role(roleId);
      authorizer.register(
        INTERPRETER_ACCESS_KEY_ID,
        this.principal(roleId, `arn:aws:sts::${stack.accountId}:assumed-role/${role.name}/${machineId}`, `${role.id}:${machineId}`),
      );
    }
  }

  private async createRole(logicalId: string, name: string, trust: PolicyDocument, inline: Array<{ name: string; document: PolicyDocument }>, managed: string[]): Promise<void> {
    const id = await this.client.createRole(name, trust);
    const state: RoleState = { logicalId, name, arn: `arn:aws:iam::${this.options.stack.accountId}:role/${name}`, id, inline: new Map(), attached: new Set() };
    this.roleStates.set(logicalId, state);
    for (const policy of inline) {
      await this.client.call('iam', 'PutRolePolicy', { RoleName: name, PolicyName: policy.name, PolicyDocument: JSON.stringify(policy.document) });
      state.inline.set(policy.name, policy.document);
    }
    for (const policyId of managed) {
      await this.client.call('iam', 'AttachRolePolicy', { RoleName: name, PolicyArn: this.managedPolicy(policyId).arn });
      state.attached.add(policyId);
    }
  }

  /**
   * An application task's role as the README asks for it: only the managed policy from output
   * TaskRegistryPolicyArn. ECS assumes it for each task; the harness (admin) may too.
   */
  private async createTaskRole(): Promise<void> {
    const { stack } = this.options;
    const policyArn = stack.outputs.TaskRegistryPolicyArn;
    const policy = Object.values(this.stackRoles.managedPolicies).find((candidate) => candidate.arn === policyArn);
    if (policy === undefined) return;
    const trust: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com', AWS: `arn:aws:iam::${stack.accountId}:user/${ADMIN_USER}` }, Action: 'sts:AssumeRole' }],
    };
    await this.createRole(TASK_ROLE_LOGICAL_ID, roleName(stack.stackName, TASK_ROLE_LOGICAL_ID), trust, [], [policy.logicalId]);
  }

  /** The partition key of each table, for dynamodb:LeadingKeys. */
  private fillPartitionKeys(): void {
    const { stack, templatePath, authorizer } = this.options;
    const template = loadTemplate(templatePath);
    const { resolver } = stackNamesOf(stack, template);
    for (const logicalId of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
      const table = stack.tables[logicalId];
      const schema = resolver.resolve(resolver.resource(logicalId).Properties?.KeySchema) as Array<{ AttributeName: string; KeyType: string }> | undefined;
      const hash = schema?.find((key) => key.KeyType === 'HASH')?.AttributeName;
      if (table !== undefined && hash !== undefined) authorizer.partitionKeys.set(table.name, hash);
    }
  }

  private role(logicalId: string): RoleState {
    const state = this.roleStates.get(logicalId);
    if (state === undefined) throw new UnknownPrincipalError(`no role ${logicalId}`);
    return state;
  }

  private managedPolicy(logicalId: string) {
    const policy = this.stackRoles.managedPolicies[logicalId];
    if (policy === undefined) throw new UnknownPrincipalError(`no managed policy ${logicalId}`);
    return policy;
  }

  private principal(roleId: string, arn: string, userId: string): Principal {
    const state = this.role(roleId);
    return {
      arn,
      userId,
      roleArn: state.arn,
      accountId: this.options.stack.accountId,
      statements: () => [
        ...[...state.inline.values()].flatMap(statementsIn),
        ...[...state.attached].flatMap((policyId) => statementsIn(this.managedPolicy(policyId).document)),
      ],
    };
  }

  /** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN of each function, by logical id. */
  functionEnvironments(): Record<string, Record<string, string>> {
    return Object.fromEntries(
      Object.entries(this.functionCredentials).map(([functionId, session]) => [
        functionId,
        { AWS_ACCESS_KEY_ID: session.accessKeyId, AWS_SECRET_ACCESS_KEY: session.secretAccessKey, AWS_SESSION_TOKEN: session.sessionToken },
      ]),
    );
  }

  /** Turns moto's enforcement on: from now on every request is authenticated and authorised. */
  async enforce(): Promise<void> {
    const response = await fetch(`${this.options.motoEndpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    await response.arrayBuffer();
    if (!response.ok) throw new UnknownPrincipalError(`moto refused to enforce IAM (HTTP ${response.status})`);
  }

  /**
   * Credentials of an application task: a session of the task role named after the task id, as
   * ECS names it (aws:userid = "<role id>:<task id>").
   */
  async assumeTaskRole(taskArn: string): Promise<AssumedCredentials> {
    const role = this.role(TASK_ROLE_LOGICAL_ID);
    const session = await this.client.assumeRole(role.arn, taskArn.split('/').pop() ?? taskArn);
    this.options.authorizer.register(session.accessKeyId, this.principal(TASK_ROLE_LOGICAL_ID, session.arn, session.assumedRoleId));
    return session;
  }

  /** The role (logical id) a function or state machine runs under. */
  roleOf(logicalId: string): string {
    const roleId = this.stackRoles.functionRoles[logicalId] ?? this.stackRoles.stateMachineRoles[logicalId];
    if (roleId === undefined) throw new UnknownPrincipalError(`${logicalId} is neither a function nor a state machine of the stack`);
    return roleId;
  }

  /** The statements a function's or state machine's role grants now. */
  statementsOf(logicalId: string): PolicyStatement[] {
    const roleId = this.roleOf(logicalId);
    return this.principal(roleId, '', '').statements();
  }

  /**
   * Takes a permission away from a running function or state machine, in moto and in the
   * gateway at once: a managed policy of the stack (by logical id) or every statement with a Sid.
   */
  async revoke(logicalId: string, what: { policy: string } | { sid: string }): Promise<void> {
    const state = this.role(this.roleOf(logicalId));
    if ('policy' in what) {
      if (!state.attached.has(what.policy)) throw new UnknownPrincipalError(`${logicalId}'s role has no policy ${what.policy}`);
      await this.client.call('iam', 'DetachRolePolicy', { RoleName: state.name, PolicyArn: this.managedPolicy(what.policy).arn });
      state.attached.delete(what.policy);
      return;
    }
    let found = false;
    for (const [name, document] of state.inline) {
      const kept = statementsIn(document).filter((statement) => statement.Sid !== what.sid);
      if (kept.length === statementsIn(document).length) continue;
      found = true;
      if (kept.length === 0) {
        await this.client.call('iam', 'DeleteRolePolicy', { RoleName: state.name, PolicyName: name });
        state.inline.delete(name);
      } else {
        const next = { ...document, Statement: kept };
        await this.client.call('iam', 'PutRolePolicy', { RoleName: state.name, PolicyName: name, PolicyDocument: JSON.stringify(next) });
        state.inline.set(name, next);
      }
    }
    if (!found) throw new UnknownPrincipalError(`${logicalId}'s role has no statement ${what.sid}`);
  }

  /** Requests the gateway refused (moto's refusals reach the callers and moto.log). */
  denials(): Denial[] {
    return this.options.authorizer.denials();
  }
}
