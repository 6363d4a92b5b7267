import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TASK_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0123456789abcdef0123456789abcdef';
export const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions';

/** A Fargate task's /task document, trimmed to what matters here (AWS's published v4 example shape). */
export function fargateTaskMetadata(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Cluster: CLUSTER_ARN,
    TaskARN: TASK_ARN,
    Family: 'chat',
    Revision: '7',
    DesiredStatus: 'RUNNING',
    KnownStatus: 'RUNNING',
    Limits: { CPU: 0.25, Memory: 512 },
    AvailabilityZone: 'us-east-1a',
    LaunchType: 'FARGATE',
    Containers: [{ Name: 'app', DockerId: '0123456789abcdef0123456789abcdef-1234567890' }],
    ...overrides,
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: string;
}

type Responder = (request: RecordedRequest) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>;

/**
 * The two ECS endpoints a container sees, as a real localhost HTTP server: the task metadata
 * endpoint v4 (`${ECS_CONTAINER_METADATA_URI_V4}/task`) and the agent's task-protection endpoint
 * (`${ECS_AGENT_URI}/task-protection/v1/state`). Responses are programmable; requests are recorded.
 */
export interface FakeEcsEndpoints {
  metadataUri: string;
  agentUri: string;
  requests: RecordedRequest[];
  protectionRequests(): Array<{ ProtectionEnabled?: boolean; ExpiresInMinutes?: number }>;
  respondToMetadata(responder: Responder): void;
  respondToProtection(responder: Responder): void;
  close(): Promise<void>;
}

export async function startFakeEcsEndpoints(metadata: Record<string, unknown> = fargateTaskMetadata()): Promise<FakeEcsEndpoints> {
  const requests: RecordedRequest[] = [];
  let metadataResponder: Responder = () => ({ status: 200, body: metadata });
  let protectionResponder: Responder = (request) => {
    const wanted = JSON.parse(request.body) as { ProtectionEnabled: boolean; ExpiresInMinutes?: number };
    return {
      status: 200,
      body: {
        protection: {
          ProtectionEnabled: wanted.ProtectionEnabled,
          TaskArn: TASK_ARN,
          ...(wanted.ProtectionEnabled ? { ExpirationDate: new Date(Date.now() + (wanted.ExpiresInMinutes ?? 120) * 60_000).toISOString() } : {}),
        },
      },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { method: req.method ?? 'GET', path: req.url ?? '/', body: Buffer.concat(chunks).toString() };
    requests.push(request);
    let answer: { status: number; body: unknown };
    if (request.method === 'GET' && request.path === '/v4/container-1/task') answer = await metadataResponder(request);
    else if (request.method === 'PUT' && request.path === '/agent/task-protection/v1/state') answer = await protectionResponder(request);
    else answer = { status: 404, body: { error: 'no such route' } };
    res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    metadataUri: `${base}/v4/container-1`,
    agentUri: `${base}/agent`,
    requests,
    protectionRequests: () =>
      requests.filter((request) => request.path === '/agent/task-protection/v1/state').map((request) => JSON.parse(request.body) as { ProtectionEnabled?: boolean; ExpiresInMinutes?: number }),
    respondToMetadata: (responder) => {
      metadataResponder = responder;
    },
    respondToProtection: (responder) => {
      protectionResponder = responder;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
