import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { TaskItem } from '../../../src/registry-contract.js';

export const TABLE = 'session-registry';

type Item = Record<string, unknown>;

/** How the fake answers: normally, refusing connections, or never (a black-holed network). */
export type RegistryMode = 'up' | 'down' | 'hang';

function conditionFailed(): Error {
  return Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', $metadata: {} });
}

function cancelled(codes: [string, string]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

/**
 * DynamoDB as the agent sees it, behind aws-sdk-client-mock: the four task writes and the item
 * read, with the contract's conditions evaluated on an in-memory table. Tests flip `mode` to take
 * the registry away and read `mock` to assert exact command inputs.
 */
export class FakeRegistry {
  readonly mock: AwsClientStub<DynamoDBDocumentClient>;
  readonly client: DynamoDBDocumentClient;
  readonly items = new Map<string, Item>();
  mode: RegistryMode = 'up';

  constructor() {
    this.mock = mockClient(DynamoDBDocumentClient);
    this.client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }));
    this.mock.on(UpdateCommand).callsFake((input: Item) => this.answer(() => this.update(input)));
    this.mock.on(TransactWriteCommand).callsFake((input: { TransactItems: Item[] }) => this.answer(() => this.transact(input.TransactItems)));
    this.mock.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) =>
      this.answer(() => {
        const item = this.items.get(`${input.Key.pk}|${input.Key.sk}`);
        return item === undefined ? {} : { Item: structuredClone(item) };
      }),
    );
  }

  task(taskArn: string): TaskItem | undefined {
    return this.items.get(`${taskArn}|TASK`) as TaskItem | undefined;
  }

  /** Changes the task item the way the orchestrator would (status, drainReason, drainDeadline). */
  setTask(taskArn: string, changes: Partial<TaskItem>): void {
    const item = this.items.get(`${taskArn}|TASK`) ?? { pk: taskArn, sk: 'TASK', taskArn, sessionCount: 0, status: 'ACTIVE' };
    this.items.set(`${taskArn}|TASK`, { ...item, ...changes });
  }

  sessionIds(taskArn: string): string[] {
    return [...this.items.values()].filter((item) => item.pk === taskArn && String(item.sk).startsWith('SESSION#')).map((item) => String(item.sessionId));
  }

  /** Inputs of every call of one command, in order. */
  calls(command: 'Update' | 'TransactWrite' | 'Get'): Item[] {
    const calls =
      command === 'Update' ? this.mock.commandCalls(UpdateCommand) : command === 'Get' ? this.mock.commandCalls(GetCommand) : this.mock.commandCalls(TransactWriteCommand);
    return calls.map((call) => call.args[0].input as Item);
  }

  heartbeats(): Item[] {
    return this.calls('Update').filter((input) => input.UpdateExpression === 'SET heartbeatAt = :now');
  }

  restore(): void {
    this.mock.restore();
  }

  private answer(operation: () => unknown): Promise<unknown> {
    if (this.mode === 'hang') return new Promise(() => undefined);
    if (this.mode === 'down') return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { name: 'Error', code: 'ECONNREFUSED' }));
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private update(input: Item): unknown {
    const { pk, sk } = input.Key as { pk: string; sk: string };
    const key = `${pk}|${sk}`;
    const existing = this.items.get(key);
    const values = input.ExpressionAttributeValues as Item;
    if (String(input.UpdateExpression).startsWith('SET taskArn')) {
      if (existing !== undefined && existing.status === 'STOPPED') throw conditionFailed();
      const next: Item = { ...(existing ?? {}), pk, sk, taskArn: values[':taskArn'], clusterArn: values[':clusterArn'], serviceTask: values[':serviceTask'], heartbeatAt: values[':now'] };
      next.sessionCount = existing?.sessionCount ?? 0;
      next.status = existing?.status ?? 'ACTIVE';
      if (values[':serviceName'] !== undefined) next.serviceName = values[':serviceName'];
      if (values[':taskDefinitionArn'] !== undefined) next.taskDefinitionArn = values[':taskDefinitionArn'];
      this.items.set(key, next);
      return {};
    }
    if (input.UpdateExpression === 'SET heartbeatAt = :now') {
      if (existing === undefined) throw conditionFailed();
      existing.heartbeatAt = values[':now'];
      return {};
    }
    throw new Error(`the fake registry does not know ${String(input.UpdateExpression)}`);
  }

  private transact(items: Item[]): unknown {
    const [first, second] = items as [Item, Item];
    const taskUpdate = second.Update as { Key: { pk: string; sk: string }; ExpressionAttributeValues: Item };
    const task = this.items.get(`${taskUpdate.Key.pk}|TASK`);
    if (first.Put !== undefined) {
      const put = first.Put as { Item: Item };
      const sessionKey = `${put.Item.pk}|${put.Item.sk}`;
      const sessionExists = this.items.has(sessionKey);
      const taskOk = task !== undefined && task.status === 'ACTIVE';
      if (sessionExists || !taskOk) throw cancelled([sessionExists ? 'ConditionalCheckFailed' : 'None', taskOk ? 'None' : 'ConditionalCheckFailed']);
      this.items.set(sessionKey, structuredClone(put.Item));
      (task as Item).sessionCount = Number((task as Item).sessionCount) + 1;
      (task as Item).heartbeatAt = taskUpdate.ExpressionAttributeValues[':now'];
      return {};
    }
    const del = first.Delete as { Key: { pk: string; sk: string } };
    const sessionKey = `${del.Key.pk}|${del.Key.sk}`;
    const sessionExists = this.items.has(sessionKey);
    const taskOk = task !== undefined && Number(task.sessionCount) > 0;
    if (!sessionExists || !taskOk) throw cancelled([sessionExists ? 'None' : 'ConditionalCheckFailed', taskOk ? 'None' : 'ConditionalCheckFailed']);
    this.items.delete(sessionKey);
    (task as Item).sessionCount = Number((task as Item).sessionCount) - 1;
    (task as Item).heartbeatAt = taskUpdate.ExpressionAttributeValues[':now'];
    return {};
  }
}
