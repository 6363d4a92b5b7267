import { UnsupportedTemplateError } from '../errors.js';
import type { PolicyDocument } from './policy.js';
import type { LocalStack } from '../stack/model.js';
import { StackNames } from '../stack/names.js';
import type { SamTranslation } from '../stack/sam-translation.js';
import { loadTemplate, resourcesOfType, type Template } from '../stack/template.js';

/**
 * The IAM roles `sam deploy` would create for template.yaml, resolved for the local stack: the
 * SAM translator (local/sam_translate.py) expands each function's and state machine's Policies
 * (policy templates included) into an AWS::IAM::Role, and the stack's resolver turns its
 * intrinsic functions into the local ARNs. Nothing here is written twice: the roles are the
 * template's, as CloudFormation would receive them.
 */

export interface InlinePolicy {
  name: string;
  document: PolicyDocument;
}

export interface RoleSpec {
  logicalId: string;
  name: string;
  arn: string;
  trustPolicy: PolicyDocument;
  inlinePolicies: InlinePolicy[];
  /** Customer managed policies of the stack, by logical id. */
  managedPolicies: string[];
  /** AWS managed policies (basic execution, X-Ray, stream reads): what Lambda's own machinery uses. */
  awsManagedPolicyArns: string[];
}

export interface ManagedPolicySpec {
  logicalId: string;
  name: string;
  arn: string;
  document: PolicyDocument;
}

export interface StackRoles {
  roles: Record<string, RoleSpec>;
  managedPolicies: Record<string, ManagedPolicySpec>;
  /** Function logical id -> role logical id. */
  functionRoles: Record<string, string>;
  /** State machine logical id -> role logical id. */
  stateMachineRoles: Record<string, string>;
}

/**
 * The role SAM gives a state machine without Role / RoleArn is "<LogicalId>Role"; known before
 * translation, so moto can be told at start which role its interpreter's calls run under.
 */
export function samStateMachineRoleIds(template: Template): Record<string, string> {
  const roles: Record<string, string> = {};
  for (const id of resourcesOfType(template, 'AWS::Serverless::StateMachine')) {
    const properties = template.Resources[id]?.Properties ?? {};
    if (properties.Role !== undefined || properties.RoleArn !== undefined) {
      throw new UnsupportedTemplateError(`${id}: a state machine with its own Role (the local cloud runs the role SAM generates)`);
    }
    roles[id] = `${id}Role`;
  }
  return roles;
}

export function roleName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`.slice(0, 64);
}

/**
 * IAM takes a document without Version as 2008-10-17 (SAM writes its inline policies so); moto
 * takes none. The versions differ only in policy variables, so a document that has none gets
 * today's version, and one that has some must say which it means.
 */
function versioned(document: PolicyDocument, where: string): PolicyDocument {
  if (document.Version !== undefined) return document;
  if (JSON.stringify(document).includes('${')) throw new UnsupportedTemplateError(`${where}: a policy with variables but no Version`);
  return { Version: '2012-10-17', ...document };
}

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A names/resolver for the stack as deployed (same parameters, account, Region and names). */
export function stackNamesOf(stack: LocalStack, template: Template): StackNames {
  const names = new StackNames(template, {
    stackName: stack.stackName,
    region: stack.region,
    accountId: stack.accountId,
    endpoint: stack.endpoint,
    parameters: stack.parameters,
  });
  for (const table of Object.values(stack.tables)) if (table.streamArn) names.streamArns.set(table.logicalId, table.streamArn);
  return names;
}

export function resolveStackRoles(stack: LocalStack, templatePath: string, translation: SamTranslation): StackRoles {
  const template = loadTemplate(templatePath);
  const names = stackNamesOf(stack, template);
  const { resolver } = names;
  const managedPolicies: Record<string, ManagedPolicySpec> = {};
  const arnToPolicy = new Map<string, string>();
  for (const logicalId of resourcesOfType(template, 'AWS::IAM::ManagedPolicy')) {
    const resource = resolver.resource(logicalId);
    if (resource.Condition !== undefined && !resolver.condition(resource.Condition)) continue;
    const arn = String(resolver.resolve({ Ref: logicalId }));
    const document = versioned(resolver.resolve(resource.Properties?.PolicyDocument) as PolicyDocument, logicalId);
    managedPolicies[logicalId] = { logicalId, name: arn.split('/').pop() as string, arn, document };
    arnToPolicy.set(arn, logicalId);
  }
  const roles: Record<string, RoleSpec> = {};
  for (const [logicalId, rawProperties] of Object.entries(translation.roles)) {
    const properties = resolver.resolve(rawProperties) as {
      AssumeRolePolicyDocument: PolicyDocument;
      ManagedPolicyArns?: string[];
      Policies?: Array<{ PolicyName: string; PolicyDocument: PolicyDocument }>;
      PermissionsBoundary?: unknown;
    };
    if (properties.PermissionsBoundary !== undefined) throw new UnsupportedTemplateError(`${logicalId}: a permissions boundary`);
    const name = roleName(stack.stackName, logicalId);
    const managed: string[] = [];
    const awsManaged: string[] = [];
    for (const arn of asList(properties.ManagedPolicyArns)) {
      const own = arnToPolicy.get(arn);
      if (own !== undefined) managed.push(own);
      else if (/^arn:[^:]+:iam::aws:policy\//.test(arn)) awsManaged.push(arn);
      else throw new UnsupportedTemplateError(`${logicalId}: managed policy ${arn} is neither the stack's nor AWS's`);
    }
    roles[logicalId] = {
      logicalId,
      name,
      arn: `arn:aws:iam::${stack.accountId}:role/${name}`,
      trustPolicy: properties.AssumeRolePolicyDocument,
      inlinePolicies: asList(properties.Policies).map((policy) => ({ name: policy.PolicyName, document: versioned(policy.PolicyDocument, `${logicalId} ${policy.PolicyName}`) })),
      managedPolicies: managed,
      awsManagedPolicyArns: awsManaged,
    };
  }
  const pick = (map: Record<string, string | null>, kind: string) =>
    Object.fromEntries(
      Object.entries(map).map(([id, role]) => {
        if (role === null || roles[role] === undefined) throw new UnsupportedTemplateError(`${kind} ${id}: no role of the template (Role given as a literal ARN?)`);
        return [id, role];
      }),
    );
  return {
    roles,
    managedPolicies,
    functionRoles: pick(translation.functions, 'function'),
    stateMachineRoles: pick(translation.stateMachines, 'state machine'),
  };
}
