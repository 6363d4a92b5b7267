import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * One Lambda execution environment: a worker thread that imports one function bundle at start
 * (the cold start) and runs its handler for one invocation at a time, like the Node.js runtime.
 * Events and results cross the thread boundary as JSON text, as they cross Lambda's API.
 */

export interface WorkerSetup {
  bundle: string;
  handlerExport: string;
  functionName: string;
  functionArn: string;
  memorySize: number;
  logGroupName: string;
  logStreamName: string;
  sourceMaps: boolean;
}

export interface InvokeMessage {
  type: 'invoke';
  id: number;
  requestId: string;
  payload: string;
  deadline: number;
}

export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'init-error'; error: LambdaError }
  | { type: 'result'; id: number; payload: string }
  | { type: 'error'; id: number; error: LambdaError };

type Handler = (event: unknown, context: unknown, callback?: (error: unknown, result?: unknown) => void) => unknown;

const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error('local/cloud/lambda/worker.ts runs only as a worker thread');

export function toLambdaError(error: unknown): LambdaError {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** The line the Node.js runtime writes for a failed invocation (JSON log format). */
function logError(requestId: string | undefined, error: LambdaError): void {
  const message = { errorType: error.errorType, errorMessage: error.errorMessage, stackTrace: error.trace };
  console.error(JSON.stringify({ timestamp: new Date().toISOString(), level: 'ERROR', ...(requestId ? { requestId } : {}), message }));
}

function resolveExport(module: Record<string, unknown>, path: string): Handler | undefined {
  let value: unknown = module;
  for (const part of path.split('.')) value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[part];
  return typeof value === 'function' ? (value as Handler) : undefined;
}

function runHandler(handler: Handler, event: unknown, context: unknown): Promise<unknown> {
  if (handler.length < 3) return Promise.resolve().then(() => handler(event, context));
  return new Promise((resolve, reject) => {
    const returned = handler(event, context, (error, result) => (error ? reject(error) : resolve(result)));
    if (returned instanceof Promise) returned.then(resolve, reject);
  });
}

async function start(): Promise<void> {
  if (setup.sourceMaps) process.setSourceMapsEnabled(true);
  let handler: Handler | undefined;
  try {
    const module = (await import(pathToFileURL(setup.bundle).href)) as Record<string, unknown>;
    handler = resolveExport(module, setup.handlerExport);
    if (handler === undefined) throw Object.assign(new Error(`${setup.bundle} has no exported function ${setup.handlerExport}`), { name: 'Runtime.HandlerNotFound' });
  } catch (error) {
    const lambdaError = toLambdaError(error);
    if (lambdaError.errorType === 'Error') lambdaError.errorType = 'Runtime.ImportModuleError';
    logError(undefined, lambdaError);
    port?.postMessage({ type: 'init-error', error: lambdaError } satisfies WorkerReply);
    return;
  }
  const ready = handler;
  port?.on('message', (message: InvokeMessage) => {
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: setup.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: setup.functionArn,
      memoryLimitInMB: String(setup.memorySize),
      awsRequestId: message.requestId,
      logGroupName: setup.logGroupName,
      logStreamName: setup.logStreamName,
      getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    };
    let event: unknown;
    try {
      event = JSON.parse(message.payload);
    } catch (error) {
      port.postMessage({ type: 'error', id: message.id, error: toLambdaError(error) } satisfies WorkerReply);
      return;
    }
    runHandler(ready, event, context)
      .then((result) => JSON.stringify(result ?? null))
      .then(
      (payload) => port.postMessage({ type: 'result', id: message.id, payload } satisfies WorkerReply),
      (error: unknown) => {
        const lambdaError = toLambdaError(error);
        logError(message.requestId, lambdaError);
        port.postMessage({ type: 'error', id: message.id, error: lambdaError } satisfies WorkerReply);
      },
    );
  });
  port?.postMessage({ type: 'ready' } satisfies WorkerReply);
}

void start();
