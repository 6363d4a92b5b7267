import { randomUUID } from 'node:crypto';
import { EcsApiError } from './errors.js';

/*
 * The ECS wire protocol (AWS JSON 1.1) around the twin's API, for the gateway and for tests:
 * the operation comes in `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`, the
 * input as a JSON body; errors go out as {"__type", "message"} with header x-amzn-ErrorType,
 * which is how the AWS SDK tells ThrottlingException from ClientException.
 */

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface JsonResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function ecsJsonResponse(
  twin: { api: { handle(operation: string, input: unknown): Promise<unknown> } },
  target: string | undefined,
  body: string,
): Promise<JsonResponse> {
  if (target === undefined || !target.startsWith(ECS_TARGET_PREFIX)) {
    return errorResponse(new EcsApiError('UnknownOperationException', `Unknown target ${target ?? '(none)'}`));
  }
  const operation = target.slice(ECS_TARGET_PREFIX.length);
  let input: unknown;
  try {
    input = body.trim() === '' ? {} : JSON.parse(body);
  } catch (error) {
    return errorResponse(new EcsApiError('SerializationException', 'The request body is not valid JSON.', 400, { cause: error }));
  }
  try {
    const output = await twin.api.handle(operation, input);
    return { status: 200, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() }, body: JSON.stringify(output ?? {}) };
  } catch (error) {
    if (error instanceof EcsApiError) return errorResponse(error);
    // A fault in the twin itself: answer as ECS answers its own faults, so callers retry.
    return errorResponse(new EcsApiError('ServerException', (error as Error).message ?? String(error), 500, { cause: error }));
  }
}

function errorResponse(error: EcsApiError): JsonResponse {
  return {
    status: error.statusCode,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': error.name },
    body: JSON.stringify({ __type: error.name, message: error.message }),
  };
}
