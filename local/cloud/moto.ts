import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MotoUnavailableError, PortInUseError } from './errors.js';
import { sleep } from './timing.js';

/**
 * moto_server as a child process, started through local/moto_launcher.py (which carries the
 * StartExecution fix). moto's Step Functions interpreter sends its Lambda and DynamoDB calls to
 * localhost:$MOTO_PORT, so the local cloud passes its gateway's port there.
 */

export const MOTO_LAUNCHER = fileURLToPath(new URL('../moto_launcher.py', import.meta.url));

export interface MotoOptions {
  /** Port moto listens on; a free one when omitted. */
  port?: number;
  host?: string;
  /** Where moto sends the Lambda/DynamoDB calls of state machine executions (MOTO_PORT). */
  serviceCallPort?: number;
  /** Writes moto's own output (one line per request) to this file. */
  logFile?: string;
  env?: Record<string, string>;
  python?: string;
  startTimeoutMs?: number;
}

export interface MotoProcess {
  endpoint: string;
  port: number;
  pid: number;
  /** Ends moto (SIGTERM, then SIGKILL after 3 s) and resolves once it has exited. */
  stop(): Promise<void>;
  /** Synchronous last resort for process exit handlers. */
  kill(): void;
}

const INSTALL_HINT = 'Install it with: pip install "moto[server]"';

/**
 * Runs the launcher with a watchdog thread that ends moto once the process that started it is
 * gone, so that not even a SIGKILL of Node (a CI runner's timeout) leaves a moto_server behind.
 */
const WATCHDOG = [
  'import os, runpy, sys, threading, time',
  'parent = os.getppid()',
  'def watch():',
  '    while os.getppid() == parent:',
  '        time.sleep(0.5)',
  '    os._exit(0)',
  'threading.Thread(target=watch, daemon=True).start()',
  'sys.argv = sys.argv[1:]',
  "runpy.run_path(sys.argv[0], run_name='__main__')",
].join('\n');

/**
 * The Python that runs moto and the SAM translator: $PYTHON, else `python3` resolved once to the
 * interpreter it runs (sys.executable). A version manager's shim (pyenv) costs about 2 s of shell
 * scripts per start, and the local cloud starts Python at least twice.
 */
let resolvedPython: string | undefined;
export function pythonCommand(): string {
  if (process.env.PYTHON !== undefined) return process.env.PYTHON;
  if (resolvedPython === undefined) {
    const probe = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    const executable = probe.status === 0 ? probe.stdout.trim() : '';
    // Unresolvable (no python3): the spawn that follows reports it, with the install command.
    resolvedPython = executable === '' ? 'python3' : executable;
  }
  return resolvedPython;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** The lowest port of the kernel's ephemeral range (net.ipv4.ip_local_port_range; Linux's default 32768). */
function ephemeralRangeStart(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? '', 10);
    return Number.isInteger(low) && low > 1024 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A free port for a server that binds it seconds after it was chosen (moto starts in about 2 s).
 * A port from listen(0) lies in the ephemeral range, where every outgoing connection of the machine
 * takes its local port: one took moto's in a fresh-clone run (PortInUseError between the choice
 * and the bind). So the port is drawn below that range, where no connection takes one.
 */
export async function freeServerPort(host = '127.0.0.1'): Promise<number> {
  const low = 10_000;
  const high = ephemeralRangeStart();
  for (let attempt = 0; attempt < 20 && high > low; attempt += 1) {
    const port = low + Math.floor(Math.random() * (high - low));
    try {
      await assertPortFree(port, 'moto_server', host);
      return port;
    } catch (error) {
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  return freePort(host);
}

/** Throws PortInUseError when something already listens on the port. */
export async function assertPortFree(port: number, what: string, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortInUseError(port, what, { cause: error }) : error);
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess, port: number, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/address already in use/i.test(output())) throw new PortInUseError(port, 'moto_server');
      const missing = /No module named '([\w.]+)'/.exec(output())?.[1];
      if (missing !== undefined) throw new MotoUnavailableError(`moto_server cannot run: this Python has no module "${missing}". ${INSTALL_HINT}`);
      throw new MotoUnavailableError(`moto_server exited (${child.exitCode ?? child.signalCode}) before it answered: ${output()}. ${INSTALL_HINT}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new MotoUnavailableError(`moto_server did not answer on ${endpoint} within ${timeoutMs / 1000} s: ${output()}`);
}

export async function startMoto(options: MotoOptions = {}): Promise<MotoProcess> {
  // No separate `import moto` probe (2 s of the start): a launcher that cannot import moto exits at
  // once, and waitUntilReady reports its output with the install command.
  const python = options.python ?? pythonCommand();
  const host = options.host ?? '127.0.0.1';
  let port = options.port;
  if (port === undefined) port = await freeServerPort(host);
  else await assertPortFree(port, 'moto_server', host);
  const endpoint = `http://${host}:${port}`;
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (options.serviceCallPort !== undefined) env.MOTO_PORT = String(options.serviceCallPort);
  const child = spawn(python, ['-c', WATCHDOG, MOTO_LAUNCHER, '-H', host, '-p', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new MotoUnavailableError(`could not start ${python}: ${error.message}. ${INSTALL_HINT}`, { cause: error });
  }
  let tail = '';
  const log: WriteStream | undefined = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'w' });
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
    log?.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => log?.end());

  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await waitUntilReady(endpoint, child, port, () => tail, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    kill();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    pid,
    kill,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const forced = setTimeout(kill, 3000);
        await exited;
        clearTimeout(forced);
      })();
      return stopping;
    },
  };
}
