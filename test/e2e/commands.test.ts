import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { isRunning } from '../support/processes.js';

/**
 * The README's local commands, run as a user runs them: npm run invoke, npm run local (stopped
 * with Ctrl-C) and npm run demo, with simulated apps and with real processes (whose exit code says
 * whether a session was dropped).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function npmRun(script: string, args: string[], until?: { text: RegExp; then: (child: ChildProcess) => void }): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Its own process group, as a terminal runs a command: Ctrl-C signals the whole group.
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let triggered = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (until && !triggered && until.text.test(output)) {
        triggered = true;
        until.then(child);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

describe('the local cloud commands', () => {
  it('npm run invoke runs a function on a sample event and prints its answer', async () => {
    const run = await npmRun('invoke', ['DrainControlFunction', 'events/drain-control-cancel.json']);

    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/"ok": false/);
    expect(run.output).toMatch(/the task is not in the session registry/);
  });

  it('npm run invoke names the functions when asked for one the template does not have', async () => {
    const run = await npmRun('invoke', ['NoSuchFunction', 'events/task-stopped.json']);

    expect(run.code).toBe(1);
    expect(run.output).toMatch(/template.yaml has no function NoSuchFunction; functions: DeploymentEventFunction/);
  });

  it('npm run local prints its endpoint, and Ctrl-C stops it with every child process', async () => {
    const run = await npmRun('local', ['--service', '0'], { text: /state machine\s+arn:aws:states/, then: (child) => process.kill(-(child.pid ?? 0), 'SIGINT') });
    const motoPid = Number(/moto pid\s+(\d+)/.exec(run.output)?.[1]);

    expect(run.output).toMatch(/endpoint\s+http:\/\/127\.0\.0\.1:\d+/);
    // npm itself dies of the SIGINT; the local cloud under it exits 130 after stopping its children.
    expect(run.code === 130 || run.signal === 'SIGINT', `exit ${run.code} ${run.signal}`).toBe(true);
    expect(run.output).toMatch(/SIGINT: stopping the local cloud/);
    expect(motoPid).toBeGreaterThan(0);
    // npm may exit before the local cloud under it has reaped moto: a loaded machine takes a moment.
    await vi.waitFor(() => expect(isRunning(motoPid)).toBe(false), { timeout: 10_000, interval: 200 });
  });

  it('npm run demo keeps every session it can and says so in its exit code', async () => {
    const run = await npmRun('demo', []);

    expect(run.code, run.output.slice(-3000)).toBe(0);
    expect(run.output).toMatch(/dropped where they should not have been\s+0/);
    expect(run.output).toMatch(/DRAINED\s+\d+\s+.*DEPLOYMENT/);
    expect(run.output).toMatch(/Wait for sessions to drain/);
  }, 240_000);

  it('npm run demo -- --processes shows real processes: none cut off with the orchestrator, some without it', async () => {
    const run = await npmRun('demo', ['--processes']);

    expect(run.code, run.output.slice(-3000)).toBe(0);
    expect(run.output).toMatch(/\| deployment, with the orchestrator\s+\|\s+100 \|\s+0 \|\s+0 \|/);
    expect(run.output).toMatch(/\| deployment, without it\s+\|\s+\d+ \|\s+\d+ \|\s+[1-9]\d* \|/);
    expect(run.output).toMatch(/\| Spot interruption \(\d+ reconnected\)\s+\|\s+0 \|\s+[1-9]\d* \|\s+0 \|/);
    expect(run.output).toMatch(/sessions\/[0-9a-f]{32}\s+pid \d+\s+exited 0/);
  }, 240_000);
});
