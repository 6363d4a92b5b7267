import { randomUUID } from 'node:crypto';
import { Agent, createServer, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import { LambdaApiError, PortInUseError } from './errors.js';
import type { RequestFaults } from './lambda/fault-injection.js';
import type { InvocationType, InvokeResult } from './lambda/host.js';

/**
 * The local cloud's one endpoint (every function's AWS_ENDPOINT_URL, and moto's MOTO_PORT):
 * Lambda's Invoke API goes to the function host, ECS's JSON API to the twin, Elastic Load
 * Balancing v2 requests the twin answers (DescribeTargetHealth of its target groups) to the twin,
 * Auto Scaling requests (lifecycle hooks and actions) to the twin's groups, and everything else to moto unchanged. The Host header is passed on too, so the URLs moto hands out (queue
 * URLs) point at the gateway.
 */

export interface EcsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Answers one ECS JSON 1.1 request (X-Amz-Target AmazonEC2ContainerServiceV20141113.<Op>). */
export type EcsRoute = (target: string, body: string) => Promise<EcsResponse>;

/**
 * Answers one Elastic Load Balancing Query request (form-encoded body; the SDK signs it for
 * service "elasticloadbalancing"), or returns undefined to leave it to moto.
 */
export type ElbRoute = (body: string) => Promise<EcsResponse | undefined>;

/** Answers one Amazon EC2 Auto Scaling Query request (form-encoded body, signed for service "autoscaling"). */
export type AutoScalingRoute = (body: string) => Promise<EcsResponse>;

export interface LambdaRoute {
  invoke(nameOrArn: string, event: unknown, options: { invocationType?: InvocationType }): Promise<InvokeResult>;
  /** ListFunctions / GetFunction / GetFunctionConfiguration of the stack's functions (GET url), or undefined to leave it to moto. */
  control?(url: string): Promise<EcsResponse | undefined>;
}

/** A request as the gateway's IAM check sees it (local/cloud/iam/authorizer.ts). */
export interface GatewayRequest {
  route: 'lambda' | 'ecs' | 'elb' | 'autoscaling' | 'moto';
  headers: IncomingHttpHeaders;
  body: string;
  functionName?: string;
  qualifier?: string;
  /** A Lambda control-plane read (lambda:ListFunctions, lambda:GetFunction); absent: lambda:InvokeFunction. */
  action?: string;
}

/** IAM checks the gateway makes for what moto cannot judge (ECS, Lambda, DynamoDB conditions). */
export interface GatewayAuthorizer {
  /** Whether a request bound for moto must be read whole and checked here first. */
  inspects(headers: IncomingHttpHeaders): boolean;
  /** The refusal to answer with (the service's AccessDeniedException), or undefined. */
  check(request: GatewayRequest): EcsResponse | undefined;
}

export interface GatewayOptions {
  motoEndpoint: string;
  functions: LambdaRoute;
  /** Without one, ECS requests go to moto's ECS like everything else. */
  ecs?: EcsRoute;
  /** Without one, Elastic Load Balancing requests go to moto like everything else. */
  elb?: ElbRoute;
  /** Without one, Auto Scaling requests go to moto like everything else. */
  autoscaling?: AutoScalingRoute;
  /** A free port when omitted. */
  port?: number;
  host?: string;
  /** Fault tests: may crash the function that sent a request once it was answered (lambda/fault-injection.ts). */
  faults?: RequestFaults;
  /** IAM enforcement for the credentials the local cloud issued (iam: 'enforce'). */
  authorizer?: GatewayAuthorizer;
}

export interface GatewayCounts {
  lambda: Record<string, number>;
  ecs: Record<string, number>;
  /** Elastic Load Balancing requests the twin answered. */
  elb: Record<string, number>;
  /** Auto Scaling requests the twin answered. */
  autoscaling: Record<string, number>;
  moto: Record<string, number>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/?]+)\/invocations(?:\?(.*))?$/;
/** Lambda's function reads: the list, one function, its configuration. */
const FUNCTION_READ_PATH = /^\/2015-03-31\/functions(?:\/([^/?]*))?(?:\/configuration)?\/?(?:\?.*)?$/;
const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** A function name as the Invoke API takes it: name, ARN or partial ARN, each with an optional qualifier. */
export function parseFunctionName(raw: string): { name: string; qualifier?: string } {
  const parts = raw.split(':');
  if (raw.startsWith('arn:')) return { name: parts.slice(0, 7).join(':'), ...(parts[7] ? { qualifier: parts[7] } : {}) };
  if (parts[1] === 'function') return { name: parts[2] ?? '', ...(parts[3] ? { qualifier: parts[3] } : {}) };
  return { name: parts[0] ?? '', ...(parts[1] ? { qualifier: parts[1] } : {}) };
}

/** The service a request is signed for (SigV4 credential scope), e.g. "elasticloadbalancing". */
export function signingService(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1];
}

/** The service a request is for (SigV4 credential scope) and its operation, for counting. */
function motoKey(headers: IncomingHttpHeaders): string {
  const service = signingService(headers) ?? 'unknown';
  const target = headers['x-amz-target'];
  return typeof target === 'string' ? `${service}.${target.split('.').pop()}` : service;
}

export class Gateway {
  private readonly counters: GatewayCounts = { lambda: {}, ecs: {}, elb: {}, autoscaling: {}, moto: {} };
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly moto: URL;

  private constructor(
    private readonly server: Server,
    private readonly options: GatewayOptions,
    readonly port: number,
    readonly url: string,
  ) {
    this.moto = new URL(options.motoEndpoint);
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    const host = options.host ?? '127.0.0.1';
    let gateway: Gateway | undefined;
    const server = createServer((request, response) => {
      void gateway?.route(request, response);
    });
    // SDK clients keep connections open; outlive their idle timeout so a reused socket is never cut.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0;
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(options.port ?? 0, 'gateway', { cause: error }) : error));
      server.listen(options.port ?? 0, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    gateway = new Gateway(server, options, port, `http://${host}:${port}`);
    return gateway;
  }

  counts(): GatewayCounts {
    return { lambda: { ...this.counters.lambda }, ecs: { ...this.counters.ecs }, elb: { ...this.counters.elb }, autoscaling: { ...this.counters.autoscaling }, moto: { ...this.counters.moto } };
  }

  resetCounts(): void {
    for (const route of Object.values(this.counters)) for (const key of Object.keys(route)) delete route[key];
  }

  private count(route: keyof GatewayCounts, key: string): void {
    const counters = this.counters[route];
    counters[key] = (counters[key] ?? 0) + 1;
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const invoke = request.method === 'POST' ? INVOKE_PATH.exec(request.url ?? '') : null;
      if (invoke) return await this.invoke(request, response, decodeURIComponent(invoke[1] as string), new URLSearchParams(invoke[2] ?? ''));
      const read = request.method === 'GET' && this.options.functions.control ? FUNCTION_READ_PATH.exec(request.url ?? '') : null;
      if (read) return await this.functionRead(request, response, decodeURIComponent(read[1] ?? ''));
      const target = request.headers['x-amz-target'];
      if (this.options.ecs && typeof target === 'string' && target.startsWith(ECS_TARGET_PREFIX)) return await this.ecs(request, response, target);
      if (this.options.elb && target === undefined && request.method === 'POST' && signingService(request.headers) === 'elasticloadbalancing') return await this.elb(request, response);
      if (this.options.autoscaling && target === undefined && request.method === 'POST' && signingService(request.headers) === 'autoscaling') return await this.autoscaling(request, response);
      if (this.options.authorizer?.inspects(request.headers)) {
        const body = await readBody(request);
        const refused = this.options.authorizer.check({ route: 'moto', headers: request.headers, body: body.toString('utf8') });
        if (refused) return void response.writeHead(refused.status, refused.headers).end(refused.body);
        return this.forward(request, response, body);
      }
      this.forward(request, response);
    } catch (error) {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `local cloud gateway: ${(error as Error).message}` }));
      } else {
        response.destroy(error as Error);
      }
    }
  }

  private async invoke(request: IncomingMessage, response: ServerResponse, rawName: string, query: URLSearchParams): Promise<void> {
    const requestId = randomUUID();
    const fail = (error: LambdaApiError) => {
      const body = { Type: error.statusCode >= 500 ? 'Service' : 'User', message: error.message, ...(error.reason ? { Reason: error.reason } : {}) };
      response.writeHead(error.statusCode, { 'content-type': 'application/json', 'x-amzn-errortype': error.code, 'x-amzn-requestid': requestId }).end(JSON.stringify(body));
    };
    const { name, qualifier = query.get('Qualifier') ?? undefined } = parseFunctionName(rawName);
    this.count('lambda', name.split(':').pop() ?? name);
    const body = await readBody(request);
    const refused = this.options.authorizer?.check({ route: 'lambda', headers: request.headers, body: '', functionName: name, ...(qualifier ? { qualifier } : {}) });
    if (refused) return void response.writeHead(refused.status, refused.headers).end(refused.body);
    if (qualifier !== undefined && qualifier !== '$LATEST') return fail(new LambdaApiError('ResourceNotFoundException', 404, `Function not found: ${rawName} (the local cloud runs $LATEST only)`));
    let event: unknown = {};
    if (body.length > 0) {
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch (error) {
        return fail(new LambdaApiError('InvalidRequestContentException', 400, `Could not parse request body into json: ${(error as Error).message}`));
      }
    }
    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse') as InvocationType;
    let result: InvokeResult;
    try {
      result = await this.options.functions.invoke(name, event, { invocationType });
    } catch (error) {
      if (error instanceof LambdaApiError) return fail(error);
      throw error;
    }
    const headers: Record<string, string> = { 'x-amzn-requestid': result.requestId, 'x-amz-executed-version': result.executedVersion };
    if (result.statusCode !== 200) {
      response.writeHead(result.statusCode, headers).end();
      return;
    }
    headers['content-type'] = 'application/json';
    if (result.functionError) headers['x-amz-function-error'] = result.functionError;
    response.writeHead(200, headers).end(result.payloadText);
  }

  /** ListFunctions / GetFunction from the function host (after the IAM check), or moto when the host leaves it. */
  private async functionRead(request: IncomingMessage, response: ServerResponse, functionName: string): Promise<void> {
    const answer = await this.options.functions.control?.(request.url ?? '');
    if (answer === undefined) return this.forward(request, response);
    this.count('lambda', functionName === '' ? 'ListFunctions' : `GetFunction ${functionName}`);
    const action = functionName === '' ? 'lambda:ListFunctions' : 'lambda:GetFunction';
    const refused = this.options.authorizer?.check({ route: 'lambda', headers: request.headers, body: '', action, ...(functionName === '' ? {} : { functionName }) });
    const sent = refused ?? answer;
    response.writeHead(sent.status, { 'x-amzn-requestid': randomUUID(), ...sent.headers }).end(sent.body);
  }

  private async ecs(request: IncomingMessage, response: ServerResponse, target: string): Promise<void> {
    this.count('ecs', target.slice(ECS_TARGET_PREFIX.length));
    const fault = this.options.faults?.intercept(request.headers, `ecs.${target.slice(ECS_TARGET_PREFIX.length)}`);
    const body = await readBody(request);
    const refused = this.options.authorizer?.check({ route: 'ecs', headers: request.headers, body: body.toString('utf8') });
    const answer = refused ?? (await (this.options.ecs as EcsRoute)(target, body.toString('utf8')));
    if (fault !== undefined && (await fault(answer.status))) {
      response.destroy();
      return;
    }
    response.writeHead(answer.status, answer.headers).end(answer.body);
  }

  /** An Elastic Load Balancing Query request: the twin's answer (after the IAM check), or moto's. */
  private async elb(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const text = body.toString('utf8');
    const answer = await (this.options.elb as ElbRoute)(text);
    if (answer === undefined) return this.forward(request, response, body);
    this.count('elb', new URLSearchParams(text).get('Action') ?? 'unknown');
    const refused = this.options.authorizer?.check({ route: 'elb', headers: request.headers, body: text });
    const sent = refused ?? answer;
    response.writeHead(sent.status, sent.headers).end(sent.body);
  }

  /** An Auto Scaling Query request: the twin's groups answer it, after the IAM check. */
  private async autoscaling(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = (await readBody(request)).toString('utf8');
    this.count('autoscaling', new URLSearchParams(text).get('Action') ?? 'unknown');
    const refused = this.options.authorizer?.check({ route: 'autoscaling', headers: request.headers, body: text });
    const sent = refused ?? (await (this.options.autoscaling as AutoScalingRoute)(text));
    response.writeHead(sent.status, sent.headers).end(sent.body);
  }

  /** Passes a request to moto; `body` when it was already read (an IAM check). */
  private forward(request: IncomingMessage, response: ServerResponse, body?: Buffer): void {
    const operation = motoKey(request.headers);
    this.count('moto', operation);
    const fault = this.options.faults?.intercept(request.headers, operation);
    const headers: IncomingHttpHeaders = {};
    for (const [key, value] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(key)) headers[key] = value;
    const upstream = httpRequest(
      { protocol: this.moto.protocol, hostname: this.moto.hostname, port: this.moto.port, method: request.method, path: request.url, headers, agent: this.agent },
      (answer) => {
        const answerHeaders: Record<string, string | string[]> = {};
        for (const [key, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) answerHeaders[key] = value;
        if (fault !== undefined) {
          // Hold the answer until the fault decided: a crashed caller must never see it.
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            void fault(answer.statusCode ?? 502).then((crashed) => {
              if (crashed) return void response.destroy();
              response.writeHead(answer.statusCode ?? 502, answerHeaders).end(Buffer.concat(chunks));
            });
          });
          return;
        }
        response.writeHead(answer.statusCode ?? 502, answerHeaders);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `moto is unreachable: ${error.message}` }));
      else response.destroy(error);
    });
    if (body !== undefined) upstream.end(body);
    else request.pipe(upstream);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.agent.destroy();
  }
}
