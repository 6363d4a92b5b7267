import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LambdaApiError } from '../errors.js';
import type { FunctionInvoker, InvocationType, InvokeResult } from '../lambda/host.js';
import type { RuleTarget } from '../stack/model.js';

/**
 * EventBridge's side of a rule target that is a function: an asynchronous Invoke, retried with
 * back-off per the target's RetryPolicy while Lambda does not accept it (throttling, service
 * errors), then sent to the target's DeadLetterConfig queue with EventBridge's DLQ attributes.
 * Errors inside the function are not EventBridge's concern: Lambda's own async retries handle them.
 */

export interface TargetDeliveryOptions {
  functions: FunctionInvoker;
  sqs: SQSClient;
  /** First retry delay; each further retry doubles it, up to 32 times this (default 1000 ms). */
  retryDelayMs?: number;
  /** Scales MaximumEventAgeInSeconds like the scenario clock (default 1). */
  ageFactor?: number;
  onProblem?: (message: string) => void;
}

export class TargetDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  delivered = 0;
  retried = 0;
  deadLettered = 0;

  constructor(private readonly options: TargetDeliveryOptions) {}

  /** Hands the event to every target; resolves once each was accepted, or is retrying, or was dead-lettered. */
  async deliver(event: unknown, targets: RuleTarget[], ruleArn: string): Promise<void> {
    const receivedAt = Date.now();
    await Promise.all(targets.map((target) => this.attempt(event, target, ruleArn, receivedAt, 0)));
  }

  private async attempt(event: unknown, target: RuleTarget, ruleArn: string, receivedAt: number, retries: number): Promise<void> {
    if (this.stopped) return;
    let failure: LambdaApiError | Error;
    try {
      await this.options.functions.invoke(target.functionArn, event, { invocationType: 'Event' });
      this.delivered += 1;
      return;
    } catch (error) {
      failure = error as Error;
    }
    const retryable = !(failure instanceof LambdaApiError) || failure.statusCode === 429 || failure.statusCode >= 500;
    const { maximumRetryAttempts, maximumEventAgeInSeconds } = target.retryPolicy;
    const base = this.options.retryDelayMs ?? 1000;
    const delay = base * 2 ** Math.min(retries, 5);
    const ageLimitMs = maximumEventAgeInSeconds * 1000 * (this.options.ageFactor ?? 1);
    if (retryable && retries < maximumRetryAttempts && Date.now() + delay - receivedAt <= ageLimitMs) {
      this.retried += 1;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.attempt(event, target, ruleArn, receivedAt, retries + 1);
      }, delay);
      this.timers.add(timer);
      return;
    }
    const condition = retries >= maximumRetryAttempts ? 'MaximumRetryAttempts' : 'MaximumEventAgeInSeconds';
    await this.deadLetter(event, target, ruleArn, failure, condition, retries);
  }

  private async deadLetter(event: unknown, target: RuleTarget, ruleArn: string, failure: Error, condition: string, retries: number): Promise<void> {
    const code = failure instanceof LambdaApiError ? failure.code : failure.name;
    if (target.deadLetterQueue === undefined) {
      this.options.onProblem?.(`event for ${target.functionLogicalId} dropped after ${retries} retries (${code}: ${failure.message}); the target has no DeadLetterConfig`);
      return;
    }
    const attribute = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
    try {
      await this.options.sqs.send(
        new SendMessageCommand({
          QueueUrl: target.deadLetterQueue.url,
          MessageBody: JSON.stringify(event),
          MessageAttributes: {
            RULE_ARN: attribute(ruleArn),
            TARGET_ARN: attribute(target.functionArn),
            ERROR_CODE: attribute(code),
            ERROR_MESSAGE: attribute(failure.message.slice(0, 1000) || code),
            EXHAUSTED_RETRY_CONDITION: attribute(condition),
            RETRY_ATTEMPTS: { DataType: 'Number', StringValue: String(retries) },
          },
        }),
      );
      this.deadLettered += 1;
    } catch (error) {
      this.options.onProblem?.(`event for ${target.functionLogicalId} could not be dead-lettered: ${(error as Error).message}`);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
