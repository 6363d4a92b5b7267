import { Agent, request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { motoClientConfig, uniqueName } from '../../../test/support/aws.js';

/**
 * local/moto_keep_alive.py serves moto's application with HTTP/1.1 keep-alive: werkzeug's
 * development server closed the connection after every answer, so each call of the local cloud
 * cost a TCP connection and a server thread. These talk to the launcher's moto the way the
 * gateway does: one keep-alive agent, one socket.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());

interface Answer {
  status: number;
  body: Record<string, unknown>;
  reusedSocket: boolean;
  connection: string | undefined;
}

function dynamodb(target: string, payload: unknown, options: { chunked?: boolean } = {}): Promise<Answer> {
  const { hostname, port } = new URL(motoClientConfig().endpoint);
  const body = Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        hostname,
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: {
          'x-amz-target': `DynamoDB_20120810.${target}`,
          'content-type': 'application/x-amz-json-1.0',
          authorization: 'AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          ...(options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) }),
        },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>, reusedSocket: sent.reusedSocket, connection: answer.headers.connection }),
        );
      },
    );
    sent.on('error', reject);
    if (options.chunked) {
      // Two chunks, as a streaming client would send them.
      sent.write(body.subarray(0, 10));
      sent.end(body.subarray(10));
    } else sent.end(body);
  });
}

describe("moto's server with the launcher's fixes", () => {
  it('answers one client on one connection, request after request', async () => {
    const tableName = uniqueName('keep-alive');

    const created = await dynamodb('CreateTable', {
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    const described = await dynamodb('DescribeTable', { TableName: tableName });
    const missing = await dynamodb('DescribeTable', { TableName: `${tableName}-missing` });
    const listed = await dynamodb('ListTables', {});

    expect([created.status, described.status, missing.status, listed.status]).toEqual([200, 200, 400, 200]);
    expect(described.body).toMatchObject({ Table: { TableName: tableName } });
    expect(missing.body).toMatchObject({ __type: expect.stringContaining('ResourceNotFoundException') });
    expect(listed.body.TableNames).toContain(tableName);
    // The first request opened the connection; the error answer did not close it either.
    expect([created, described, missing, listed].map((answer) => answer.reusedSocket)).toEqual([false, true, true, true]);
    expect(listed.connection).not.toBe('close');
  });

  it('reads a chunked request body whole', async () => {
    const tableName = uniqueName('chunked');
    await dynamodb('CreateTable', {
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });

    const put = await dynamodb('PutItem', { TableName: tableName, Item: { pk: { S: 'task-1' }, sessions: { N: '3' } } }, { chunked: true });
    const read = await dynamodb('GetItem', { TableName: tableName, Key: { pk: { S: 'task-1' } } });

    expect(put.status).toBe(200);
    expect(read.body).toEqual({ Item: { pk: { S: 'task-1' }, sessions: { N: '3' } } });
  });
});
