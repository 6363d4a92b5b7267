import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { NamedError } from '../cloud/errors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The agent package's bin, what the sidecar image runs (agent/Dockerfile). */
const SIDECAR_BIN = join(ROOT, 'agent/dist/sidecar/main.js');
const PYTHON_SERVER = join(ROOT, 'examples/python-session-server/server.py');
const DEFAULT_OUT_DIR = join(ROOT, '.local-cloud/build/python-session-server');

export class PythonUnavailableError extends NamedError {
  override readonly name = 'PythonUnavailableError';
}

/** What a task of the Python example runs: its server, with the sidecar next to it. */
export interface PythonAppBuild {
  python: string;
  server: string;
  sidecar: string;
  /** Python's counterpart of the Node parent watch: ends the process when the local cloud's dies. */
  parentWatch: string;
}

/*
 * Runs the example unchanged: a watch thread on stdin (a pipe from the local cloud; it ends when the
 * local cloud dies, even by SIGKILL), then the server as __main__.
 */
const PYTHON_PARENT_WATCH = `import os, runpy, signal, sys, threading
def _watch():
    sys.stdin.buffer.read()
    os.kill(os.getpid(), signal.SIGKILL)
threading.Thread(target=_watch, daemon=True).start()
server = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(server, run_name="__main__")
`;

/** Finds Python 3.8+ and writes the parent watch; a missing Python is an error that says what to install. */
export function preparePythonApp(outDir = DEFAULT_OUT_DIR): PythonAppBuild {
  const python = process.env.PYTHON ?? 'python3';
  const version = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  const [major, minor] = (version.stdout ?? '').trim().split('.').map(Number);
  if (version.status !== 0 || major !== 3 || (minor ?? 0) < 8) {
    throw new PythonUnavailableError(`the Python example needs Python 3.8 or newer as '${python}' (set PYTHON to another interpreter): install it, e.g. apt-get install python3`);
  }
  mkdirSync(outDir, { recursive: true });
  const parentWatch = join(outDir, 'parent-watch.py');
  writeFileSync(parentWatch, PYTHON_PARENT_WATCH);
  return { python, server: PYTHON_SERVER, sidecar: SIDECAR_BIN, parentWatch };
}

export interface SidecarPairOptions {
  build: PythonAppBuild;
  /** The Node parent watch (session-server-build.ts), preloaded into the sidecar. */
  nodeParentWatch: string;
  /** The task's environment (AWS, ECS endpoints, agent settings): the sidecar's. */
  sidecarEnv: NodeJS.ProcessEnv;
  /** The application container's own variables. */
  appEnv: NodeJS.ProcessEnv;
}

/**
 * One task of two containers as two processes, seen from outside as one child process: the sidecar
 * starts first (the app's dependsOn), and the app once the sidecar printed its port. As ECS stops
 * a dependent container before the one it depends on, SIGTERM goes to the app, and to the sidecar
 * when the app has exited; SIGKILL goes to both. 'exit' comes once both are gone, with the app's
 * code (the sidecar's is kept in `sidecarExit`). stdout is the app's; stderr carries both logs.
 */
export class SidecarPair extends EventEmitter<{ exit: [code: number | null, signal: NodeJS.Signals | null]; error: [error: Error]; app: [pid: number | undefined] }> {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  private app: ChildProcess | undefined;
  private readonly sidecar: ChildProcess;
  private pendingTerm = false;
  private killedAll = false;
  private appExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  sidecarExit: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;

  constructor(private readonly options: SidecarPairOptions) {
    super();
    this.sidecar = spawn(process.execPath, ['--enable-source-maps', '--import', options.nodeParentWatch, options.build.sidecar], {
      env: { ...options.sidecarEnv, SESSION_SIDECAR_PORT: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.sidecar.stderr?.pipe(this.stderr, { end: false });
    this.sidecar.once('error', (error) => this.emit('error', error));
    this.sidecar.once('exit', (code, signal) => {
      this.sidecarExit = { code, signal, at: Date.now() };
      this.stderr.write(`${JSON.stringify({ source: 'local-cloud', message: 'sidecar exited', code, signal })}\n`);
      if (this.app === undefined || this.appExit !== undefined) this.finish();
    });
    createInterface({ input: this.sidecar.stdout! }).once('line', (line) => this.startApp(line));
  }

  /** The app's process id, once it started. */
  get pid(): number | undefined {
    return this.app?.pid;
  }

  get sidecarPid(): number | undefined {
    return this.sidecar.pid;
  }

  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    if (signal === 'SIGKILL') {
      this.killedAll = true;
      this.app?.kill('SIGKILL');
      this.sidecar.kill('SIGKILL');
      return;
    }
    if (this.app === undefined) this.pendingTerm = true;
    else this.app.kill('SIGTERM');
  }

  private startApp(line: string): void {
    let port: number | undefined;
    try {
      port = (JSON.parse(line) as { listening?: number }).listening;
    } catch {
      port = undefined;
    }
    if (typeof port !== 'number' || this.killedAll) {
      if (!this.killedAll) this.emit('error', new Error(`the sidecar printed no port: ${line}`));
      this.sidecar.kill('SIGKILL');
      return;
    }
    const { build, appEnv } = this.options;
    const app = spawn(build.python, ['-u', build.parentWatch, build.server], {
      env: { ...appEnv, SIDECAR_URL: `http://127.0.0.1:${port}` },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.app = app;
    this.emit('app', app.pid);
    app.stdout?.pipe(this.stdout);
    app.stderr?.pipe(this.stderr, { end: false });
    app.once('error', (error) => this.emit('error', error));
    app.once('exit', (code, signal) => {
      this.appExit = { code, signal };
      // The dependency reversed: the sidecar is stopped once the app is gone.
      if (this.sidecarExit === undefined) this.sidecar.kill('SIGTERM');
      else this.finish();
    });
    if (this.pendingTerm) app.kill('SIGTERM');
  }

  private finish(): void {
    const exit = this.appExit ?? { code: this.sidecarExit?.code ?? null, signal: this.sidecarExit?.signal ?? null };
    this.stderr.end();
    this.emit('exit', exit.code, exit.signal);
  }
}
