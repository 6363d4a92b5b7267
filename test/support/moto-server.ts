import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * Starts the real moto server (through local/moto_launcher.py) for tests that need real AWS
 * semantics: DynamoDB conditions and transactions, Step Functions definitions, EventBridge rules.
 * A missing moto is an error with install instructions, never a silent skip.
 */
const LAUNCHER = fileURLToPath(new URL('../../local/moto_launcher.py', import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';

export class MotoUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MotoUnavailableError';
  }
}

export interface MotoServer {
  endpoint: string;
  port: number;
  stop: () => Promise<void>;
}

export function assertMotoInstalled(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import moto, flask; print(moto.__version__)'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new MotoUnavailableError(
      `moto server is required for these tests but "${PYTHON} -c 'import moto'" failed` +
        ` (${probe.error?.message ?? probe.stderr.trim()}). Install it with: pip install "moto[server]"`,
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new MotoUnavailableError(`moto server exited with code ${child.exitCode}: ${output()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new MotoUnavailableError(`moto server did not answer on ${endpoint} within 30 s: ${output()}`);
}

export async function startMotoServer(options: { env?: Record<string, string> } = {}): Promise<MotoServer> {
  assertMotoInstalled();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(PYTHON, [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  try {
    await waitUntilReady(endpoint, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
