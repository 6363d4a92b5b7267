import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { Deps } from '../../shared/deps.js';
import type { WaitError } from '../../registry/model.js';

/**
 * Errors Step Functions answers once the waiting step is no longer waiting: it timed out, the
 * token was already used, or the execution ended. The workflow has moved on, so there is nobody
 * left to tell, and repeating the call would not change that.
 */
const MOVED_ON = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

export type SignalResult = 'sent' | 'workflow-moved-on';

function movedOn(error: unknown): boolean {
  return error instanceof Error && MOVED_ON.has(error.name);
}

/** Resumes the "Wait for sessions to drain" step; any other error propagates for a retry. */
export async function completeDrainWait(
  deps: Pick<Deps, 'sfn' | 'logger'>,
  taskToken: string,
  output: { sessionsRemaining: number },
): Promise<SignalResult> {
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return 'sent';
  } catch (error) {
    if (movedOn(error)) {
      deps.logger.info('drain wait already over', { error: (error as Error).name });
      return 'workflow-moved-on';
    }
    throw error;
  }
}

/** Ends the "Wait for sessions to drain" step with a named error the workflow catches. */
export async function failDrainWait(
  deps: Pick<Deps, 'sfn' | 'logger'>,
  taskToken: string,
  error: WaitError,
  cause: string,
): Promise<SignalResult> {
  try {
    await deps.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }));
    return 'sent';
  } catch (sendError) {
    if (movedOn(sendError)) {
      deps.logger.info('drain wait already over', { error: (sendError as Error).name, waitError: error });
      return 'workflow-moved-on';
    }
    throw sendError;
  }
}
