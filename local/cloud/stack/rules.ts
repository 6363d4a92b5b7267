import { type EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { UnsupportedTemplateError } from '../errors.js';
import type { FunctionSpec, QueueRef, RuleSpec, RuleTarget, ScheduleSpec } from './model.js';
import type { StackNames } from './names.js';
import { destinationQueue } from './functions.js';

/**
 * AWS::Events::Rule resources. A rule with an EventPattern is created in moto as declared, with
 * one SQS queue as its only target, so that moto's own matcher decides which events it gets; the
 * functions the template names as targets are remembered with their RetryPolicy and DLQ, and
 * event delivery invokes them. A rule with a ScheduleExpression becomes a schedule.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Record<string, number> = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86_400, days: 86_400 };

/** EventBridge's defaults for a target without a RetryPolicy. */
const DEFAULT_RETRY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };

export function schedulePeriodSeconds(expression: string, where: string): number {
  const match = RATE.exec(expression.trim());
  if (!match) throw new UnsupportedTemplateError(`${where}: ScheduleExpression ${expression} (only rate(...) schedules are run)`);
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}

function ruleTargets(
  logicalId: string,
  properties: Record<string, unknown>,
  functionsByArn: Map<string, FunctionSpec>,
  queuesByArn: Map<string, QueueRef>,
): RuleTarget[] {
  const targets = (properties.Targets ?? []) as Array<Record<string, unknown>>;
  return targets.map((target) => {
    const where = `${logicalId} target ${String(target.Id)}`;
    for (const key of ['Input', 'InputPath', 'InputTransformer']) {
      if (target[key] !== undefined) throw new UnsupportedTemplateError(`${where}: ${key}`);
    }
    const fn = functionsByArn.get(String(target.Arn));
    if (fn === undefined) throw new UnsupportedTemplateError(`${where}: ${String(target.Arn)} is not a function of this stack`);
    const retry = (target.RetryPolicy ?? {}) as Record<string, unknown>;
    const deadLetterQueue = destinationQueue(
      target.DeadLetterConfig === undefined ? undefined : { Type: 'SQS', Destination: (target.DeadLetterConfig as { Arn?: unknown }).Arn },
      queuesByArn,
      `${where} DeadLetterConfig`,
    );
    return {
      id: String(target.Id),
      functionLogicalId: fn.logicalId,
      functionArn: fn.arn,
      retryPolicy: {
        maximumRetryAttempts: Number(retry.MaximumRetryAttempts ?? DEFAULT_RETRY.maximumRetryAttempts),
        maximumEventAgeInSeconds: Number(retry.MaximumEventAgeInSeconds ?? DEFAULT_RETRY.maximumEventAgeInSeconds),
      },
      ...(deadLetterQueue ? { deadLetterQueue } : {}),
    };
  });
}

export interface CreatedRules {
  rules: Record<string, RuleSpec>;
  schedules: Record<string, ScheduleSpec>;
}

export async function createRules(
  names: StackNames,
  ruleIds: string[],
  clients: { eventBridge: EventBridgeClient; sqs: SQSClient },
  functionsByArn: Map<string, FunctionSpec>,
  queuesByArn: Map<string, QueueRef>,
): Promise<CreatedRules> {
  const created: CreatedRules = { rules: {}, schedules: {} };
  for (const logicalId of ruleIds) {
    const properties = names.resolver.resolve(names.resolver.resource(logicalId).Properties ?? {}) as Record<string, unknown>;
    const name = names.ruleName(logicalId);
    const bus = names.ruleBus(logicalId);
    const arn = names.ruleArn(logicalId);
    const state = String(properties.State ?? 'ENABLED');
    const targets = ruleTargets(logicalId, properties, functionsByArn, queuesByArn);
    const description = properties.Description === undefined ? {} : { Description: String(properties.Description) };

    if (properties.ScheduleExpression !== undefined) {
      const expression = String(properties.ScheduleExpression);
      const periodSeconds = schedulePeriodSeconds(expression, logicalId);
      await clients.eventBridge.send(new PutRuleCommand({ Name: name, EventBusName: bus, ScheduleExpression: expression, State: state as 'ENABLED', ...description }));
      if (state === 'ENABLED') created.schedules[logicalId] = { logicalId, name, arn, expression, periodSeconds, targets };
      continue;
    }
    if (properties.EventPattern === undefined) throw new UnsupportedTemplateError(`${logicalId}: a rule with neither EventPattern nor ScheduleExpression`);
    const pattern = (typeof properties.EventPattern === 'string' ? JSON.parse(properties.EventPattern) : properties.EventPattern) as Record<string, unknown>;
    await clients.eventBridge.send(
      new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern), State: state as 'ENABLED', ...description }),
    );
    const queueName = `${name}-target`;
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const queue: QueueRef = {
      logicalId: `${logicalId}Target`,
      name: queueName,
      arn: `arn:aws:sqs:${names.context.region}:${names.context.accountId}:${queueName}`,
      url: QueueUrl ?? `${names.context.endpoint}/${names.context.accountId}/${queueName}`,
    };
    const put = await clients.eventBridge.send(
      new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 'local-cloud-delivery', Arn: queue.arn }] }),
    );
    if ((put.FailedEntryCount ?? 0) > 0) throw new Error(`PutTargets for ${logicalId} failed: ${JSON.stringify(put.FailedEntries)}`);
    created.rules[logicalId] = { logicalId, name, arn, bus, pattern, enabled: state === 'ENABLED', queue, targets };
  }
  return created;
}
