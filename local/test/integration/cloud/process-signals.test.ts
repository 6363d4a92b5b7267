import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from './fixtures/fixture-stack.js';
import { isRunning } from '../../../../test/support/processes.js';

/*
 * A process that is told to stop (Ctrl-C, a CI runner's SIGTERM) takes its local cloud with it:
 * no moto_server outlives it.
 */

const SCRIPT = fileURLToPath(new URL('./fixtures/start-and-wait.ts', import.meta.url));

async function started(child: ChildProcess): Promise<{ motoPid: number; endpoint: string }> {
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { motoPid: number; endpoint: string });
    });
    child.once('exit', (code) => reject(new Error(`the process ended (${code}) before its local cloud started: ${output}`)));
  });
}

describe('a process running a local cloud', () => {
  const children: ChildProcess[] = [];

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops its moto_server and ends on ${signal}`, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, temporaryDirectory('logs')], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const { motoPid } = await started(child);
      expect(isRunning(motoPid)).toBe(true);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, by) => resolve(by)));

      child.kill(signal);

      expect(await exited).toBe(signal);
      expect(isRunning(motoPid)).toBe(false);
    });
  }
});
