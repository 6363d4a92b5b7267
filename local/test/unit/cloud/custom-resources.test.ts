import { afterEach, describe, expect, it } from 'vitest';
import { putPresigned } from '../../../../functions/shared/presigned-put.js';
import { type CustomResourceSpec, CustomResourceLifecycle, ResponseEndpoint, sendCustomResourceRequest } from '../../../cloud/stack/custom-resources.js';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:111122223333:stack/ecs-session-drain/1';
const SPEC: CustomResourceSpec = {
  logicalId: 'ReleaseOnRemoval',
  type: 'Custom::ReleaseOnRemoval',
  serviceToken: 'arn:aws:lambda:us-east-1:111122223333:function:release',
  properties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:release', ClusterArns: ['arn:aws:ecs:us-east-1:111122223333:cluster/sessions'] },
  serviceTimeoutSeconds: 1200,
};

interface Request {
  RequestType: string;
  RequestId: string;
  ResponseURL: string;
  LogicalResourceId: string;
  StackId: string;
  PhysicalResourceId?: string;
}

/** A provider that answers as ReleaseOnRemovalFunction does, after the request came in asynchronously. */
function answering(status: 'SUCCESS' | 'FAILED', seen: Request[] = []) {
  return async (_arn: string, event: unknown) => {
    const request = event as Request;
    seen.push(request);
    setTimeout(() => {
      const body = { Status: status, Reason: status === 'FAILED' ? 'broken' : 'ok', PhysicalResourceId: request.PhysicalResourceId ?? 'physical-1', StackId: request.StackId, RequestId: request.RequestId, LogicalResourceId: request.LogicalResourceId };
      void putPresigned(request.ResponseURL, JSON.stringify(body), 2_000);
    }, 10);
  };
}

describe('custom resources in the local cloud', () => {
  const endpoints: ResponseEndpoint[] = [];
  afterEach(async () => {
    for (const endpoint of endpoints.splice(0)) await endpoint.close();
  });

  it('creates, then deletes with the physical id the Create answered, reading each answer from the ResponseURL', async () => {
    // prepare
    const seen: Request[] = [];

    // act
    const lifecycle = await CustomResourceLifecycle.create({ ReleaseOnRemoval: SPEC }, STACK_ID, { invoke: answering('SUCCESS', seen), timeoutSecondsOf: () => 5 });
    const answers = await lifecycle.delete();
    await lifecycle.close();

    // assert
    expect(seen.map((request) => [request.RequestType, request.LogicalResourceId, request.StackId, request.PhysicalResourceId])).toEqual([
      ['Create', 'ReleaseOnRemoval', STACK_ID, undefined],
      ['Delete', 'ReleaseOnRemoval', STACK_ID, 'physical-1'],
    ]);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'physical-1' })]);
  });

  it('fails loudly when the function never answers', async () => {
    const endpoint = await ResponseEndpoint.start();
    endpoints.push(endpoint);

    const sent = sendCustomResourceRequest({ spec: SPEC, requestType: 'Delete', stackId: STACK_ID, endpoint, invoke: async () => undefined, timeoutMs: 300, physicalResourceId: 'p' });

    await expect(sent).rejects.toMatchObject({ name: 'CustomResourceError', message: expect.stringContaining('did not answer within 300 ms') });
  });

  it('fails a Create answered FAILED, with its Reason', async () => {
    await expect(CustomResourceLifecycle.create({ ReleaseOnRemoval: SPEC }, STACK_ID, { invoke: answering('FAILED'), timeoutSecondsOf: () => 5 })).rejects.toMatchObject({
      name: 'CustomResourceError',
      message: expect.stringContaining('answered FAILED: broken'),
    });
  });

  it('refuses an answer PUT with a content type, as S3 does for a URL presigned without one', async () => {
    const endpoint = await ResponseEndpoint.start();
    endpoints.push(endpoint);
    const { url } = endpoint.expect('r1');

    const response = await fetch(url, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });

    expect(response.status).toBe(403);
  });
});
