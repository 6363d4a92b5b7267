import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { type DrainExecution, executionHistory, type Rehearsal, serviceTasks, type SessionRecord, stateByState } from '@ecs-session-drain/local';

/** Helpers the end-to-end scenarios share: arranging services and reading what happened. */

export function taskDefinitionArn(rehearsal: Rehearsal, family: string, revision: number): string {
  return `arn:aws:ecs:${rehearsal.cloud.stack.region}:${rehearsal.cloud.stack.accountId}:task-definition/${family}:${revision}`;
}

/** Sessions the ledger saw on one task. */
export function sessionsOn(rehearsal: Rehearsal, taskArn: string): SessionRecord[] {
  return rehearsal.ledger.records().filter((record) => record.taskArn === taskArn && record.end !== 'rejected');
}

/**
 * For each stopped task of the service: when ECS was asked to stop it, and when its last session
 * ended. A task stopped only after its last session has lastSessionEnded <= stopRequested.
 */
export function stopsVersusLastSessions(rehearsal: Rehearsal, serviceName: string, clusterName: string) {
  return serviceTasks(rehearsal.twin, serviceName, clusterName)
    .filter((task) => task.desiredStatus === 'STOPPED')
    .map((task) => {
      const sessions = sessionsOn(rehearsal, task.taskArn);
      const ends = sessions.map((record) => record.endedAt ?? Number.POSITIVE_INFINITY);
      return {
        taskArn: task.taskArn,
        taskDefinitionArn: task.taskDefinitionArn,
        sessions: sessions.length,
        stillOpenOrDropped: sessions.filter((record) => record.end !== 'user').length,
        lastSessionEnded: ends.length === 0 ? 0 : Math.max(...ends),
        stopRequested: task.stoppingAt ? new Date(task.stoppingAt).getTime() : Number.POSITIVE_INFINITY,
      };
    });
}

/** Drain executions grouped by the task they drained (execution names are drain-<taskId>-<attempt>). */
export function drainsByTask(executions: readonly DrainExecution[]): Map<string, string[]> {
  const byTask = new Map<string, string[]>();
  for (const execution of executions) {
    const taskId = /^drain-(.+)-\d+$/.exec(execution.name)?.[1] ?? execution.name;
    byTask.set(taskId, [...(byTask.get(taskId) ?? []), execution.name]);
  }
  return byTask;
}

/**
 * Subscribes to the stack's drain-notice bus the way an application team would: a rule with an
 * SQS queue as its target. Returns a reader of everything delivered so far.
 */
export async function subscribeToDrainNotices(rehearsal: Rehearsal): Promise<() => Promise<Array<Record<string, unknown>>>> {
  const busName = rehearsal.cloud.stack.functions.SpotInterruptionFunction?.environment.EVENT_BUS_NAME;
  if (!busName) throw new Error('the stack has no drain-notice bus');
  const sqs = new SQSClient(rehearsal.cloud.clientConfig);
  const events = new EventBridgeClient(rehearsal.cloud.clientConfig);
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `notices-${Date.now()}` }));
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }));
  await events.send(new PutRuleCommand({ Name: 'app-drain-notices', EventBusName: busName, EventPattern: JSON.stringify({ source: ['ecs-session-drain'] }) }));
  await events.send(new PutTargetsCommand({ Rule: 'app-drain-notices', EventBusName: busName, Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn }] }));
  const received: Array<Record<string, unknown>> = [];
  return async () => {
    for (;;) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = page.Messages ?? [];
      if (messages.length === 0) return received;
      for (const message of messages) received.push(JSON.parse(message.Body ?? '{}') as Record<string, unknown>);
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.QueueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
    }
  };
}

/**
 * When each drained task was marked DRAINING, from its executions' histories: the moment its
 * workflow entered "Wait for sessions to drain", which follows the registry write that makes the
 * task refuse new sessions. Real epoch ms; the latest attempt wins.
 */
export async function drainingMarks(rehearsal: Rehearsal): Promise<Map<string, number>> {
  const marks = new Map<string, number>();
  for (const execution of await rehearsal.drainExecutions()) {
    if (execution.taskArn === undefined) continue;
    const waited = stateByState(await executionHistory(rehearsal.sfn, execution.executionArn)).find((visit) => visit.state === 'Wait for sessions to drain');
    if (waited === undefined) continue;
    marks.set(execution.taskArn, Math.max(marks.get(execution.taskArn) ?? 0, waited.enteredAt.getTime()));
  }
  return marks;
}
