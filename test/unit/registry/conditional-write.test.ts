import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { transition } from '../../../functions/registry/conditional-write.js';

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('a conditional write as a transition', () => {
  it('answers applied, with the item the write returned, when the condition held', async () => {
    const output = { Attributes: { status: 'DRAINING' }, $metadata: {} };

    await expect(transition(Promise.resolve(output))).resolves.toEqual({ applied: true, item: { status: 'DRAINING' } });
  });

  it('answers not applied, with the failure as cause, whether the error kept its class or only its name', async () => {
    const failed = conditionFailed();
    const serialised = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

    await expect(transition(Promise.reject(failed))).resolves.toEqual({ applied: false, cause: failed });
    await expect(transition(Promise.reject(serialised))).resolves.toEqual({ applied: false, cause: serialised });
  });

  it('throws every other failure as it came, so that a throttled write is retried and not taken as lost', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });

    await expect(transition(Promise.reject(throttled))).rejects.toBe(throttled);
  });
});
