import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { unlessConditionFails } from '../../../functions/registry/conditional-write.js';

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('a conditional write', () => {
  it('answers the write output when the condition held', async () => {
    const output = { Attributes: { status: 'DRAINING' }, $metadata: {} };

    await expect(unlessConditionFails(Promise.resolve(output))).resolves.toBe(output);
  });

  it('answers undefined when the condition did not hold, whether the error kept its class or only its name', async () => {
    const serialised = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

    await expect(unlessConditionFails(Promise.reject(conditionFailed()))).resolves.toBeUndefined();
    await expect(unlessConditionFails(Promise.reject(serialised))).resolves.toBeUndefined();
  });

  it('throws every other failure as it came, so that a throttled write is retried and not taken as lost', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });

    await expect(unlessConditionFails(Promise.reject(throttled))).rejects.toBe(throttled);
  });
});
