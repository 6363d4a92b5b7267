import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { ecsJsonResponse, type EcsTwin } from '../../../twin/index.js';

/**
 * The twin behind an HTTP endpoint, through the JSON 1.1 adapter the gateway uses, for tests that
 * drive it with a real client (the SDK's ECSClient, the AWS CLI). Closed after each test.
 */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

export async function twinEndpoint(twin: EcsTwin): Promise<string> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      void ecsJsonResponse(twin, Array.isArray(target) ? target[0] : target, Buffer.concat(chunks).toString('utf8')).then((answer) => {
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      });
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
