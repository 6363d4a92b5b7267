import { type Resource, type Template, TemplateResolver, UnresolvableError } from './template.js';
import { UnsupportedTemplateError } from '../errors.js';

/**
 * The local physical names and ARNs of the template's resources, and the Ref / Fn::GetAtt values
 * the resolver hands out for them. Names are deterministic (`<stack>-<LogicalId>` where the
 * template names nothing), so that resources can refer to each other before they exist, as
 * CloudFormation's do; only values known after creation (a table's stream ARN) wait for it.
 */

export interface StackContext {
  stackName: string;
  region: string;
  accountId: string;
  /** Queue URLs are built on this endpoint, as moto builds them. */
  endpoint: string;
  parameters: Record<string, string | string[]>;
}

/** Resource types the local cloud creates or runs. */
export const HANDLED_TYPES = new Set([
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::Events::EventBus',
  'AWS::Events::Rule',
  'AWS::Serverless::Function',
  'AWS::Serverless::StateMachine',
  'AWS::CloudFormation::CustomResource',
]);

/** A custom resource: AWS::CloudFormation::CustomResource, or a type named Custom::<name>. */
export function isCustomResourceType(type: string): boolean {
  return type === 'AWS::CloudFormation::CustomResource' || type.startsWith('Custom::');
}

/** Resource types that change nothing the local cloud does, and why. */
export const SKIPPED_TYPES: Record<string, string> = {
  'AWS::Logs::LogGroup': 'function logs go to the local cloud log directory',
  'AWS::Lambda::Permission': 'resource policies are not modelled: EventBridge and the scheduler invoke functions as the local cloud',
  'AWS::IAM::ManagedPolicy': 'created in moto IAM by local/cloud/iam/iam.ts (from the SAM-translated template), not by the stack',
  'AWS::IAM::Policy': 'created in moto IAM by local/cloud/iam/iam.ts (from the SAM-translated template), not by the stack',
  'AWS::IAM::Role': 'created in moto IAM by local/cloud/iam/iam.ts (from the SAM-translated template), not by the stack',
  'AWS::SQS::QueuePolicy': 'resource policies are not modelled: the local cloud delivers to its queues as admin',
  'AWS::SSM::Parameter': 'its value is resolved wherever the template refers to it',
  'AWS::CloudWatch::Alarm': 'the local cloud keeps no CloudWatch metrics: functions write their EMF metrics to their logs',
  'AWS::CloudWatch::Dashboard': 'the local cloud keeps no CloudWatch metrics: functions write their EMF metrics to their logs',
};

export class StackNames {
  readonly resolver: TemplateResolver;
  /** Filled by deployment: values only known once a resource exists. */
  readonly streamArns = new Map<string, string>();
  readonly queueUrls = new Map<string, string>();

  constructor(
    readonly template: Template,
    readonly context: StackContext,
  ) {
    this.resolver = new TemplateResolver(template, {
      parameters: context.parameters,
      region: context.region,
      accountId: context.accountId,
      stackName: context.stackName,
      ref: (logicalId, resource) => this.ref(logicalId, resource),
      getAtt: (logicalId, attribute, resource) => this.getAtt(logicalId, attribute, resource),
    });
  }

  private arnPrefix(service: string, withRegion = true): string {
    return `arn:aws:${service}:${withRegion ? this.context.region : ''}:${this.context.accountId}`;
  }

  /** The template's own name for a resource (a resolved property), or `<stack>-<LogicalId>`. */
  physicalName(logicalId: string, property?: string, maxLength = 64): string {
    const given = property === undefined ? undefined : this.resolver.resource(logicalId).Properties?.[property];
    if (given !== undefined) return String(this.resolver.resolve(given));
    return `${this.context.stackName}-${logicalId}`.slice(0, maxLength);
  }

  tableName(logicalId: string): string {
    return this.physicalName(logicalId, 'TableName', 255);
  }

  tableArn(logicalId: string): string {
    return `${this.arnPrefix('dynamodb')}:table/${this.tableName(logicalId)}`;
  }

  queueName(logicalId: string): string {
    const properties = this.resolver.resource(logicalId).Properties ?? {};
    const fifo = this.resolver.resolve(properties.FifoQueue) === true;
    const name = this.physicalName(logicalId, 'QueueName', fifo ? 75 : 80);
    return fifo && !name.endsWith('.fifo') ? `${name}.fifo` : name;
  }

  queueArn(logicalId: string): string {
    return `${this.arnPrefix('sqs')}:${this.queueName(logicalId)}`;
  }

  queueUrl(logicalId: string): string {
    return this.queueUrls.get(logicalId) ?? `${this.context.endpoint}/${this.context.accountId}/${this.queueName(logicalId)}`;
  }

  busName(logicalId: string): string {
    return this.physicalName(logicalId, 'Name');
  }

  stateMachineName(logicalId: string): string {
    return this.physicalName(logicalId, 'Name', 80);
  }

  stateMachineArn(logicalId: string): string {
    return `${this.arnPrefix('states')}:stateMachine:${this.stateMachineName(logicalId)}`;
  }

  functionName(logicalId: string): string {
    return this.physicalName(logicalId, 'FunctionName');
  }

  functionArn(logicalId: string): string {
    return `${this.arnPrefix('lambda')}:function:${this.functionName(logicalId)}`;
  }

  ruleName(logicalId: string): string {
    return this.physicalName(logicalId, 'Name');
  }

  /** A rule's bus by name: the template gives a name or an ARN, or nothing for the default bus. */
  ruleBus(logicalId: string): string {
    const given = this.resolver.resource(logicalId).Properties?.EventBusName;
    if (given === undefined) return 'default';
    const bus = String(this.resolver.resolve(given));
    return bus.startsWith('arn:') ? (bus.split('/').pop() ?? bus) : bus;
  }

  ruleArn(logicalId: string): string {
    const bus = this.ruleBus(logicalId);
    const path = bus === 'default' ? this.ruleName(logicalId) : `${bus}/${this.ruleName(logicalId)}`;
    return `${this.arnPrefix('events')}:rule/${path}`;
  }

  /** What Ref returns, per CloudFormation's documentation of each type. */
  ref(logicalId: string, resource: Resource): unknown {
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return this.tableName(logicalId);
      case 'AWS::SQS::Queue':
        return this.queueUrl(logicalId);
      case 'AWS::Events::EventBus':
        return this.busName(logicalId);
      case 'AWS::Events::Rule':
        return this.ruleName(logicalId);
      case 'AWS::Serverless::Function':
        return this.functionName(logicalId);
      case 'AWS::Serverless::StateMachine':
        return this.stateMachineArn(logicalId);
      case 'AWS::Logs::LogGroup':
        return this.physicalName(logicalId, 'LogGroupName', 512);
      case 'AWS::SSM::Parameter':
        return this.physicalName(logicalId, 'Name', 2048);
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${this.context.accountId}:policy/${this.physicalName(logicalId, 'ManagedPolicyName')}`;
      default:
        return `${this.context.stackName}-${logicalId}`;
    }
  }

  getAtt(logicalId: string, attribute: string, resource: Resource): unknown {
    const value = this.attribute(logicalId, attribute, resource);
    if (value === undefined && HANDLED_TYPES.has(resource.Type)) {
      throw new UnsupportedTemplateError(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type})`);
    }
    return value;
  }

  private attribute(logicalId: string, attribute: string, resource: Resource): unknown {
    const key = `${resource.Type} ${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table Arn':
        return this.tableArn(logicalId);
      case 'AWS::DynamoDB::Table StreamArn': {
        const arn = this.streamArns.get(logicalId);
        if (arn === undefined) throw new UnresolvableError(`${logicalId}.StreamArn is known only once the table exists`);
        return arn;
      }
      case 'AWS::SQS::Queue Arn':
        return this.queueArn(logicalId);
      case 'AWS::SQS::Queue QueueName':
        return this.queueName(logicalId);
      case 'AWS::SQS::Queue QueueUrl':
        return this.queueUrl(logicalId);
      case 'AWS::Events::EventBus Arn':
        return `${this.arnPrefix('events')}:event-bus/${this.busName(logicalId)}`;
      case 'AWS::Events::EventBus Name':
        return this.busName(logicalId);
      case 'AWS::Events::Rule Arn':
        return this.ruleArn(logicalId);
      case 'AWS::Serverless::Function Arn':
        return this.functionArn(logicalId);
      case 'AWS::Serverless::StateMachine Arn':
        return this.stateMachineArn(logicalId);
      case 'AWS::Serverless::StateMachine Name':
        return this.stateMachineName(logicalId);
      case 'AWS::Logs::LogGroup Arn':
        return `${this.arnPrefix('logs')}:log-group:${this.physicalName(logicalId, 'LogGroupName', 512)}:*`;
      default:
        // SSM Parameter.Value: the resolver follows the parameter's own Value.
        return undefined;
    }
  }
}
