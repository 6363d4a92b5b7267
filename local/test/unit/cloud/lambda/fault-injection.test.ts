import { describe, expect, it } from 'vitest';
import { FaultInjector, type InvocationInfo } from '../../../../cloud/lambda/fault-injection.js';

/** The fault injector's bookkeeping: which invocation a worker's request belongs to. */
const invocation = (requestId: string): InvocationInfo => ({ logicalId: 'ReconcilerFunction', requestId, invocationType: 'Event', attempt: 1, event: {} });
const fromWorker = (tag: string) => ({ 'user-agent': `aws-sdk-js/3 app/${tag}` });

describe('the fault injector', () => {
  it('crashes the next invocation on a worker whose previous invocation is reported finished late', async () => {
    // prepare: the worker's first invocation wrote nothing; the second starts on the same worker before the first is reported finished
    const injector = new FaultInjector();
    const crashed: string[] = [];
    injector.connect(async (tag) => {
      crashed.push(tag);
    });
    const fault = injector.arm({ function: 'ReconcilerFunction', after: 'first-write' });
    injector.started('ReconcilerFunction.1', invocation('first'));
    injector.finished('ReconcilerFunction.1', 'first');
    injector.started('ReconcilerFunction.1', invocation('second'));
    injector.finished('ReconcilerFunction.1', 'first');

    // act: the second invocation writes
    const answered = injector.intercept(fromWorker('ReconcilerFunction.1'), 'dynamodb.UpdateItem');
    const crash = await answered?.(200);

    // assert
    expect(crash).toBe(true);
    expect(crashed).toEqual(['ReconcilerFunction.1']);
    expect(fault.fired.map((fired) => [fired.invocation.requestId, fired.write])).toEqual([['second', 'dynamodb.UpdateItem']]);
  });

  it('lets a refused write through and crashes on the first write that landed', async () => {
    const injector = new FaultInjector();
    injector.connect(async () => undefined);
    const fault = injector.arm({ function: 'ReconcilerFunction', after: 'first-write' });
    injector.started('ReconcilerFunction.2', invocation('only'));

    const refused = await injector.intercept(fromWorker('ReconcilerFunction.2'), 'dynamodb.UpdateItem')?.(400);
    const read = injector.intercept(fromWorker('ReconcilerFunction.2'), 'dynamodb.GetItem');
    const landed = await injector.intercept(fromWorker('ReconcilerFunction.2'), 'ecs.UpdateTaskProtection')?.(200);

    expect([refused, read, landed]).toEqual([false, undefined, true]);
    expect(fault.fired.map((fired) => fired.write)).toEqual(['ecs.UpdateTaskProtection']);
  });
});
