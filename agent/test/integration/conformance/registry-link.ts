import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * The network between a task and DynamoDB (here moto), as a TCP proxy that a test can cut: while
 * cut it accepts connections and never answers (what an unreachable endpoint looks like to a
 * client with a time budget), and restoring it drops what it held so the clients retry.
 */
export interface RegistryLink {
  endpoint: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startRegistryLink(upstream: string): Promise<RegistryLink> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const held = new Set<Socket>();
  let isCut = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (isCut) {
      held.add(client);
      return;
    }
    const remote = connect(Number(target.port), target.hostname);
    sockets.add(remote);
    remote.once('close', () => sockets.delete(remote));
    remote.on('error', () => client.destroy());
    client.on('error', () => remote.destroy());
    client.pipe(remote).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => {
      isCut = true;
      // Connections kept alive from before would still carry calls: end them all.
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      isCut = false;
      for (const socket of held) socket.destroy();
      held.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
