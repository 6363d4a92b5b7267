import type { StartDrainResult } from './start-drain.js';

export interface DrainTally {
  drainsStarted: string[];
  alreadyDraining: string[];
  skipped: string[];
}

/** Files a startDrain answer under the summary a handler logs and returns. */
export function tallyDrain(tally: DrainTally, taskArn: string, result: StartDrainResult): void {
  if (result.status === 'started') tally.drainsStarted.push(taskArn);
  else if (result.status === 'already-draining') tally.alreadyDraining.push(taskArn);
  else tally.skipped.push(taskArn);
}
