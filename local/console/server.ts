import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Rehearsal } from '../rehearsal/rehearsal.js';
import { type ConsoleState, ConsoleStateReader } from './console-state.js';

/**
 * The local cloud's web console: a page (static/, plain HTML, JavaScript and CSS, no build step)
 * and the data it shows, served by Node's http module on 127.0.0.1 only. The page subscribes to
 * /api/events (server-sent events): while at least one page is open, the console reads the local
 * cloud every `refreshMs` and sends the whole state; with no page open it reads nothing.
 */

export interface ConsoleOptions {
  /** 0 (the default): any free port. */
  port?: number;
  /** Real milliseconds between two reads of the local cloud while a page is open (default 1000). */
  refreshMs?: number;
}

export interface LocalConsole {
  url: string;
  stop(): Promise<void>;
}

const STATIC = fileURLToPath(new URL('./static/', import.meta.url));
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

export async function startConsole(rehearsal: Rehearsal, options: ConsoleOptions = {}): Promise<LocalConsole> {
  const reader = new ConsoleStateReader(rehearsal);
  const subscribers = new Set<ServerResponse>();
  const refreshMs = options.refreshMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  /** Whether the refresh loop runs (a read in flight or the next one scheduled). */
  let refreshing = false;
  let stopped = false;

  const read = async (): Promise<string> => {
    try {
      return `event: state\ndata: ${JSON.stringify(await reader.read())}\n\n`;
    } catch (error) {
      return `event: problem\ndata: ${JSON.stringify({ message: `the local cloud did not answer: ${(error as Error).message}` })}\n\n`;
    }
  };
  // One read at a time for all open pages. The next starts refreshMs after, or twice as long as
  // the last read took if that is longer: on a busy machine the console yields to the local
  // cloud it watches (its reads go to the same moto as the orchestrator's calls).
  const refresh = async () => {
    const started = Date.now();
    const message = await read();
    for (const response of subscribers) response.write(message);
    refreshing = subscribers.size > 0 && !stopped;
    if (refreshing) timer = setTimeout(() => void refresh(), Math.max(refreshMs, 2 * (Date.now() - started)));
  };
  const subscribe = (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(`retry: ${refreshMs}\n\n`);
    subscribers.add(response);
    response.on('close', () => subscribers.delete(response));
    if (!refreshing) {
      refreshing = true;
      void refresh();
    } else {
      // A page that joins a running loop gets the state at once, not at the loop's next read.
      void read().then((message) => subscribers.has(response) && response.write(message));
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { message: (error as Error).message });
      else response.end();
    });
  });
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://console').pathname;
    if (request.method !== 'GET') return sendJson(response, 405, { message: `${request.method} is not allowed: the console only reads` });
    const file = FILES[path];
    if (file) {
      response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
      return void response.end(await readFile(`${STATIC}${file.file}`));
    }
    if (path === '/api/events') return subscribe(response);
    if (path === '/api/state') return sendJson(response, 200, (await reader.read()) satisfies ConsoleState);
    if (path === '/api/graph') return sendJson(response, 200, await reader.stateGraph());
    return sendJson(response, 404, { message: `no such page: ${path}` });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        clearTimeout(timer);
        for (const response of subscribers) response.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * What `npm run local` and `npm run demo` call: the console for a rehearsal, its address printed
 * as the line `console  <url>`, stopped with the rehearsal.
 */
export async function serveConsole(rehearsal: Rehearsal, print: (line: string) => void = console.log): Promise<LocalConsole> {
  const started = await startConsole(rehearsal);
  print(`console  ${started.url}`);
  return started;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
