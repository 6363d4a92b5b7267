import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/*
 * Every vitest project's first global setup: the orchestrator, the local cloud and the example
 * server import @ecs-session-drain/agent through its published exports (agent/dist), so a test
 * run after an edit of agent/src rebuilds dist first instead of testing the code as it was.
 */
const BUILD = fileURLToPath(new URL('../../agent/scripts/build-dist.mjs', import.meta.url));

export default function setup(): void {
  const built = spawnSync(process.execPath, [BUILD], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`agent/dist could not be built (${BUILD} exited with ${built.status ?? built.signal})`);
}
