import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BuildError } from '../cloud/errors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_ENTRY = join(ROOT, 'examples/session-server/server.ts');
const DEFAULT_OUT_DIR = join(ROOT, '.local-cloud/build/session-server');

export interface SessionServerBuild {
  /** The bundled example server, what a container image would run. */
  server: string;
  /** Preloaded by the local cloud only: ends the task's process when the local cloud's process dies. */
  parentWatch: string;
}

/*
 * A task process must not outlive the test or CLI that started it, even when that one is killed
 * with SIGKILL and cannot clean up: its stdin is a pipe from the parent, and the pipe ends when
 * the parent dies. unref() keeps the watch from holding the server's event loop open.
 */
const PARENT_WATCH = `process.stdin.on('end', () => process.kill(process.pid, 'SIGKILL'));
process.stdin.on('error', () => process.kill(process.pid, 'SIGKILL'));
process.stdin.resume();
process.stdin.unref?.();
`;

/** Bundles the example session server as one ES module, the way its container image would be built. */
export async function buildSessionServer(outDir = DEFAULT_OUT_DIR): Promise<SessionServerBuild> {
  mkdirSync(outDir, { recursive: true });
  const server = join(outDir, 'server.mjs');
  try {
    await build({
      entryPoints: [SERVER_ENTRY],
      outfile: server,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'inline',
      logLevel: 'silent',
      // ws and parts of the AWS SDK are CommonJS; an ES module bundle needs require() for them.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
  } catch (error) {
    throw new BuildError(`could not bundle the example session server (${SERVER_ENTRY}): ${(error as Error).message}`, { cause: error });
  }
  const parentWatch = join(outDir, 'parent-watch.mjs');
  writeFileSync(parentWatch, PARENT_WATCH);
  return { server, parentWatch };
}
