import { WebSocket } from 'ws';

export interface Connection {
  ws: WebSocket;
  /** Resolves when the handshake completed (rejects if it failed). */
  opened: Promise<void>;
  /** Resolves with the close code and reason the server sent. */
  closed: Promise<{ code: number; reason: string }>;
  /** Sends a text message and resolves with the next message back; rejects if the socket closes first. */
  echo(text: string): Promise<string>;
}

/** A WebSocket client as a user's browser would be: one connection, one session. */
export function connect(port: number, sessionId?: string): Connection {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${sessionId === undefined ? '' : `?session=${encodeURIComponent(sessionId)}`}`);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  opened.catch(() => undefined);
  return {
    ws,
    opened,
    closed,
    echo: (text) =>
      new Promise((resolve, reject) => {
        const onClose = (code: number) => reject(new Error(`socket closed (${code}) before the echo came back`));
        ws.once('close', onClose);
        ws.once('message', (data) => {
          ws.off('close', onClose);
          resolve(String(data));
        });
        ws.send(text);
      }),
  };
}
