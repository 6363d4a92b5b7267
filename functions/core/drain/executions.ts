import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import type { Deps } from '../../shared/deps.js';

/** MISSING: no execution of that ARN exists (a claim whose StartExecution never happened). */
export type ExecutionState = 'RUNNING' | 'CLOSED' | 'MISSING';

export async function executionState(deps: Pick<Deps, 'sfn'>, executionArn: string): Promise<ExecutionState> {
  try {
    const execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return execution.status === 'RUNNING' ? 'RUNNING' : 'CLOSED';
  } catch (error) {
    // Matched by name too: an error that crossed a serialisation boundary loses its class.
    if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') return 'MISSING';
    throw error;
  }
}

/** Whether a drain's execution still runs; one that ended, never started or was never named does not. */
export async function isExecutionRunning(deps: Pick<Deps, 'sfn'>, executionArn: string | undefined): Promise<boolean> {
  return executionArn !== undefined && (await executionState(deps, executionArn)) === 'RUNNING';
}
