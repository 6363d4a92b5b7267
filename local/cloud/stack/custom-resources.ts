import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { CustomResourceError } from '../errors.js';

/**
 * CloudFormation's side of a custom resource (AWS::CloudFormation::CustomResource or Custom::*):
 * the request it sends to the ServiceToken function on the stack's creation and deletion, and the
 * presigned ResponseURL it reads the answer from (User Guide, "Custom resource request and response
 * reference"). The local cloud serves that URL itself; like S3 for a URL presigned without a content
 * type, it refuses a PUT that carries one. The operation fails loudly, as on AWS, when no answer
 * arrives within the resource's ServiceTimeout (bounded here by the caller), or when it is FAILED.
 */

export interface CustomResourceSpec {
  logicalId: string;
  type: string;
  /** The ServiceToken: the ARN of the function that answers. */
  serviceToken: string;
  /** Every property, ServiceToken included, as CloudFormation passes them in ResourceProperties. */
  properties: Record<string, unknown>;
  /** ServiceTimeout in seconds (CloudFormation's default: 3600). */
  serviceTimeoutSeconds: number;
}

export interface CustomResourceAnswer {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, unknown>;
}

/** The whole answer may not exceed 4,096 bytes. */
const MAX_ANSWER_BYTES = 4096;

export class ResponseEndpoint {
  private readonly waiting = new Map<string, { resolve: (answer: CustomResourceAnswer) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<ResponseEndpoint> {
    let endpoint: ResponseEndpoint | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const status = endpoint?.receive(req.method, req.url ?? '', req.headers['content-type'], Buffer.concat(chunks)) ?? 503;
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = new ResponseEndpoint(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return endpoint;
  }

  /** A URL for one request's answer and the promise of that answer. */
  expect(requestId: string): { url: string; answer: Promise<CustomResourceAnswer> } {
    const answer = new Promise<CustomResourceAnswer>((resolve, reject) => this.waiting.set(requestId, { resolve, reject }));
    answer.catch(() => undefined);
    return { url: `${this.baseUrl}/cloudformation-custom-resource-response/${requestId}?X-Amz-Signature=local`, answer };
  }

  forget(requestId: string): void {
    this.waiting.delete(requestId);
  }

  private receive(method: string | undefined, url: string, contentType: string | undefined, body: Buffer): number {
    const requestId = /^\/cloudformation-custom-resource-response\/([^/?]+)/.exec(url)?.[1];
    const waiter = requestId === undefined ? undefined : this.waiting.get(requestId);
    if (method !== 'PUT' || waiter === undefined || requestId === undefined) return 404;
    // S3 checks the request against the signature, which covered no content type.
    if (contentType !== undefined && contentType !== '') return 403;
    this.waiting.delete(requestId);
    if (body.byteLength > MAX_ANSWER_BYTES) {
      waiter.reject(new CustomResourceError(`the answer to request ${requestId} has ${body.byteLength} bytes; CloudFormation takes at most ${MAX_ANSWER_BYTES}`));
      return 200;
    }
    try {
      waiter.resolve(JSON.parse(body.toString('utf8')) as CustomResourceAnswer);
    } catch (error) {
      waiter.reject(new CustomResourceError(`the answer to request ${requestId} is not JSON`, { cause: error }));
    }
    return 200;
  }

  close(): Promise<void> {
    for (const waiter of this.waiting.values()) waiter.reject(new CustomResourceError('the local cloud stopped before the custom resource answered'));
    this.waiting.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface CustomResourceRequestOptions {
  spec: CustomResourceSpec;
  requestType: 'Create' | 'Delete';
  stackId: string;
  endpoint: ResponseEndpoint;
  /** Invokes the ServiceToken function asynchronously, as CloudFormation does. */
  invoke: (functionArn: string, event: unknown) => Promise<void>;
  /** The answer's deadline: the ServiceTimeout, or less for a local run. */
  timeoutMs: number;
  physicalResourceId?: string;
}

/** Sends one request and waits for its answer; throws CustomResourceError unless the answer is SUCCESS. */
export async function sendCustomResourceRequest(options: CustomResourceRequestOptions): Promise<CustomResourceAnswer> {
  const { spec, requestType, stackId, endpoint } = options;
  const requestId = randomUUID();
  const { url, answer } = endpoint.expect(requestId);
  const request = {
    RequestType: requestType,
    RequestId: requestId,
    ResponseURL: url,
    ResourceType: spec.type,
    LogicalResourceId: spec.logicalId,
    StackId: stackId,
    ResourceProperties: spec.properties,
    ...(options.physicalResourceId === undefined ? {} : { PhysicalResourceId: options.physicalResourceId }),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CustomResourceError(`${spec.logicalId} (${requestType}): ${spec.serviceToken} did not answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  try {
    await options.invoke(spec.serviceToken, request);
    const received = await Promise.race([answer, timeout]);
    const problem = checkAnswer(received, request, options.physicalResourceId);
    if (problem !== undefined) throw new CustomResourceError(`${spec.logicalId} (${requestType}): ${problem}`);
    return received;
  } finally {
    clearTimeout(timer);
    endpoint.forget(requestId);
  }
}

function checkAnswer(answer: CustomResourceAnswer, request: { RequestId: string; StackId: string; LogicalResourceId: string }, physicalId: string | undefined): string | undefined {
  if (answer.Status !== 'SUCCESS' && answer.Status !== 'FAILED') return `answer Status ${String(answer.Status)} is neither SUCCESS nor FAILED`;
  for (const field of ['RequestId', 'StackId', 'LogicalResourceId'] as const) {
    if (answer[field] !== request[field]) return `answer ${field} ${String(answer[field])} is not the request's ${request[field]}`;
  }
  if (typeof answer.PhysicalResourceId !== 'string' || answer.PhysicalResourceId === '') return 'answer has no PhysicalResourceId';
  if (physicalId !== undefined && answer.PhysicalResourceId !== physicalId) return `answer PhysicalResourceId ${answer.PhysicalResourceId} changed from ${physicalId}`;
  if (answer.Status === 'FAILED') return `answered FAILED: ${answer.Reason ?? '(no Reason, which CloudFormation requires with FAILED)'}`;
  return undefined;
}

/** What the lifecycle needs of a function: its timeout bounds how long an answer may take locally. */
export interface CustomResourceTarget {
  /** Invokes the function asynchronously (InvocationType Event), as CloudFormation does. */
  invoke: (functionArn: string, event: unknown) => Promise<void>;
  timeoutSecondsOf: (functionArn: string) => number | undefined;
}

/** Beyond the function's own timeout, time for an asynchronous retry of an invocation that failed to answer. */
const RETRY_ALLOWANCE_MS = 30_000;

/**
 * The stack's custom resources through its life: Create on deployment (in template order), Delete
 * on the stack's deletion (in reverse order). Each waits for the answer for the resource's
 * ServiceTimeout, but never longer than its function's timeout and one retry allowance: locally, a
 * function that has not answered by then never will, and the run should fail now, not in an hour.
 */
export class CustomResourceLifecycle {
  private readonly created: { spec: CustomResourceSpec; physicalResourceId: string }[] = [];

  private constructor(
    private readonly specs: CustomResourceSpec[],
    private readonly stackId: string,
    private readonly target: CustomResourceTarget,
    private readonly endpoint: ResponseEndpoint,
  ) {}

  static async create(specs: Record<string, CustomResourceSpec>, stackId: string, target: CustomResourceTarget): Promise<CustomResourceLifecycle> {
    const lifecycle = new CustomResourceLifecycle(Object.values(specs), stackId, target, await ResponseEndpoint.start());
    try {
      for (const spec of lifecycle.specs) {
        const answer = await lifecycle.send(spec, 'Create');
        lifecycle.created.push({ spec, physicalResourceId: answer.PhysicalResourceId });
      }
    } catch (error) {
      await lifecycle.endpoint.close();
      throw error;
    }
    return lifecycle;
  }

  /** Deletes every created resource, the last created first; throws the first failure once all were asked. */
  async delete(): Promise<CustomResourceAnswer[]> {
    const answers: CustomResourceAnswer[] = [];
    const failures: unknown[] = [];
    for (const { spec, physicalResourceId } of this.created.splice(0).reverse()) {
      try {
        answers.push(await this.send(spec, 'Delete', physicalResourceId));
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
    return answers;
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }

  private send(spec: CustomResourceSpec, requestType: 'Create' | 'Delete', physicalResourceId?: string): Promise<CustomResourceAnswer> {
    const functionTimeoutMs = (this.target.timeoutSecondsOf(spec.serviceToken) ?? 900) * 1000 + RETRY_ALLOWANCE_MS;
    return sendCustomResourceRequest({
      spec,
      requestType,
      stackId: this.stackId,
      endpoint: this.endpoint,
      invoke: this.target.invoke,
      timeoutMs: Math.min(spec.serviceTimeoutSeconds * 1000, functionTimeoutMs),
      ...(physicalResourceId === undefined ? {} : { physicalResourceId }),
    });
  }
}
