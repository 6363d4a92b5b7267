import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs the project's npm scripts as a person types them, collecting everything they print. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  stdout: string;
}

export function npmRun(script: string, args: string[], until?: { text: RegExp; then: (child: ChildProcess, output: string) => void }): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Its own process group, as a terminal runs a command: Ctrl-C signals the whole group.
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let stdout = '';
    let triggered = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (until && !triggered && until.text.test(output)) {
        triggered = true;
        until.then(child, output);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      collect(chunk);
    });
    child.stderr.on('data', collect);
    child.once('error', reject);
    // 'close', not 'exit': the process can be gone before its last output has been read from the
    // pipes, and a loaded machine then answered an empty output for a command that printed its line.
    child.once('close', (code, signal) => resolve({ code, signal, output, stdout }));
  });
}
