import type { Deps } from '../shared/deps.js';
import { directInvokeHandler } from '../shared/handler-kit.js';
import { runtimeDeps } from '../shared/runtime.js';
import { controlDrain, type DrainControlResponse } from '../core/drain/control.js';

/**
 * DrainControlFunction, invoked by operators:
 *   aws lambda invoke --function-name <DrainControlFunctionName> \
 *     --cli-binary-format raw-in-base64-out \
 *     --payload '{"action":"drain","taskArn":"...","cluster":"..."}' out.json
 * Answers with a summary a person reads; failures come back as { ok: false, error } rather than
 * as a Lambda error, so that the reason is in out.json.
 */
export async function runDrainControl(deps: Deps, payload: unknown): Promise<DrainControlResponse> {
  try {
    const response = await controlDrain(deps, payload);
    if (response.ok) deps.logger.info('drain control applied', { ...response });
    else deps.logger.warn('drain control refused', { ...response });
    return response;
  } catch (error) {
    deps.logger.error('drain control failed', { payload, error });
    return { ok: false, error: `request failed: ${(error as Error).name}: ${(error as Error).message}; try again` };
  }
}

export const handler = directInvokeHandler(runDrainControl, runtimeDeps);
