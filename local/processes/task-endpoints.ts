import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../cloud/gateway.js';
import { EcsApiError } from '../twin/errors.js';
import type { TwinSnapshot, TwinTask } from '../twin/index.js';
import { definedOnly } from '../../functions/shared/optional.js';

/**
 * What the ECS agent serves inside a task, for twin tasks that run as real processes: the task
 * metadata endpoint v4 (`ECS_CONTAINER_METADATA_URI_V4`) and the agent API with its task
 * scale-in protection endpoint (`ECS_AGENT_URI/task-protection/v1/state`). One HTTP server
 * serves every task under its own path prefix, which is how each task's variables differ.
 */
export interface TwinForEndpoints {
  snapshot(): TwinSnapshot;
  readonly api: { handle(operation: string, input: unknown): Promise<unknown> };
}

export interface TaskEnvironment {
  ECS_CONTAINER_METADATA_URI_V4: string;
  ECS_AGENT_URI: string;
}

const METADATA_PREFIX = '/v4/';
const AGENT_PREFIX = '/api/';
const PROTECTION_PATH = '/task-protection/v1/state';
const CONTAINER_NAME = 'session-server';

export class TaskEndpoints {
  private constructor(
    private readonly server: Server,
    private readonly baseUrl: string,
  ) {}

  static async start(twin: TwinForEndpoints): Promise<TaskEndpoints> {
    const server = createServer((request, response) => void serve(twin, request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new TaskEndpoints(server, `http://127.0.0.1:${port}`);
  }

  environmentFor(task: Pick<TwinTask, 'taskId'>): TaskEnvironment {
    return {
      ECS_CONTAINER_METADATA_URI_V4: `${this.baseUrl}${METADATA_PREFIX}${task.taskId}`,
      ECS_AGENT_URI: `${this.baseUrl}${AGENT_PREFIX}${task.taskId}`,
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function serve(twin: TwinForEndpoints, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  try {
    if (path.startsWith(METADATA_PREFIX)) return serveMetadata(twin, path.slice(METADATA_PREFIX.length), request, response);
    if (path.startsWith(AGENT_PREFIX)) return await serveAgent(twin, path.slice(AGENT_PREFIX.length), request, response);
    send(response, 404, { error: `no endpoint at ${path}` });
  } catch (error) {
    send(response, 500, { error: (error as Error).message });
  }
}

function serveMetadata(twin: TwinForEndpoints, rest: string, request: IncomingMessage, response: ServerResponse): void {
  const [taskId, resource] = splitOnce(rest);
  const task = findTask(twin, taskId);
  if (task === undefined || request.method !== 'GET') return send(response, 404, { error: `unknown task ${taskId}` });
  if (resource === 'task') return send(response, 200, taskMetadata(task));
  if (resource === '') return send(response, 200, containerMetadata(task));
  send(response, 404, { error: `no metadata resource ${resource}` });
}

/**
 * Field names and presence as AWS documents the v4 task response. ServiceName is there only on EC2
 * (agent 1.63.1 or later), not on Fargate, so an agent on Fargate must learn its service elsewhere.
 */
function taskMetadata(task: TwinTask): Record<string, unknown> {
  const [family, revision] = (task.taskDefinitionArn.split('/').pop() ?? '').split(':');
  return {
    Cluster: task.clusterArn,
    TaskARN: task.taskArn,
    Family: family,
    Revision: revision,
    DesiredStatus: task.desiredStatus,
    KnownStatus: task.lastStatus,
    ...(task.launchType === 'EC2' && task.serviceName ? { ServiceName: task.serviceName } : {}),
    ...(task.pullStartedAt ? { PullStartedAt: task.pullStartedAt.toISOString() } : {}),
    ...(task.pullStoppedAt ? { PullStoppedAt: task.pullStoppedAt.toISOString() } : {}),
    AvailabilityZone: task.availabilityZone,
    LaunchType: task.launchType,
    Containers: [containerMetadata(task)],
  };
}

function containerMetadata(task: TwinTask): Record<string, unknown> {
  return {
    DockerId: `${task.taskId}-0000000001`,
    Name: CONTAINER_NAME,
    DockerName: CONTAINER_NAME,
    DesiredStatus: task.desiredStatus,
    KnownStatus: task.lastStatus,
    ContainerARN: `${task.taskArn.replace(':task/', ':container/')}/${CONTAINER_NAME}`,
  };
}

async function serveAgent(twin: TwinForEndpoints, rest: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const [taskId, resource] = splitOnce(rest);
  const task = findTask(twin, taskId);
  if (task === undefined || `/${resource}` !== PROTECTION_PATH) return send(response, 404, { error: `no agent endpoint ${rest}` });
  if (request.method === 'GET') return protectionCall(twin, task, response, 'GetTaskProtection', {});
  if (request.method !== 'PUT') return send(response, 405, { error: `method ${request.method ?? ''} not allowed` });
  let body: { ProtectionEnabled?: unknown; ExpiresInMinutes?: unknown };
  try {
    body = JSON.parse((await readBody(request)).toString('utf8')) as typeof body;
  } catch {
    return sendError(response, 400, task, 'InvalidRequest', 'Request body is not valid JSON');
  }
  if (typeof body.ProtectionEnabled !== 'boolean') {
    return sendError(response, 400, task, 'InvalidRequest', 'Invalid request: does not contain ProtectionEnabled Field');
  }
  await protectionCall(twin, task, response, 'UpdateTaskProtection', {
    protectionEnabled: body.ProtectionEnabled,
    ...definedOnly({ expiresInMinutes: body.ExpiresInMinutes }),
  });
}

/** The agent calls the ECS API with the task's credentials and relays the answer in its own envelope. */
async function protectionCall(
  twin: TwinForEndpoints,
  task: TwinTask,
  response: ServerResponse,
  operation: 'GetTaskProtection' | 'UpdateTaskProtection',
  input: Record<string, unknown>,
): Promise<void> {
  try {
    const output = (await twin.api.handle(operation, { cluster: task.clusterArn, tasks: [task.taskArn], ...input })) as {
      protectedTasks?: Array<{ taskArn: string; protectionEnabled: boolean; expirationDate?: number | string }>;
      failures?: Array<{ arn?: string; reason?: string; detail?: string }>;
    };
    const failure = output.failures?.[0];
    if (failure) return send(response, 200, { failure: { Arn: failure.arn ?? task.taskArn, Reason: failure.reason, Detail: failure.detail ?? null } });
    const protectedTask = output.protectedTasks?.[0];
    send(response, 200, {
      protection: {
        ProtectionEnabled: protectedTask?.protectionEnabled ?? false,
        ExpirationDate: protectedTask?.expirationDate === undefined ? null : new Date(epochMs(protectedTask.expirationDate)).toISOString(),
        TaskArn: task.taskArn,
      },
    });
  } catch (error) {
    const code = error instanceof EcsApiError ? error.name : 'ServerException';
    const status = error instanceof EcsApiError ? error.statusCode : 500;
    sendError(response, status, task, code, (error as Error).message);
  }
}

function epochMs(value: number | string): number {
  return typeof value === 'number' ? value * 1000 : Date.parse(value);
}

function sendError(response: ServerResponse, status: number, task: TwinTask, code: string, message: string): void {
  send(response, status, { error: { Arn: task.taskArn, Code: code, Message: message } });
}

function findTask(twin: TwinForEndpoints, taskId: string): TwinTask | undefined {
  return twin.snapshot().tasks.find((task) => task.taskId === taskId);
}

function splitOnce(path: string): [string, string] {
  const slash = path.indexOf('/');
  return slash === -1 ? [path, ''] : [path.slice(0, slash), path.slice(slash + 1)];
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
