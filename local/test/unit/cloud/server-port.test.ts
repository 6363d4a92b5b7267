import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freeServerPort } from '../../../cloud/moto.js';

/*
 * moto binds its port about 2 s after the local cloud chose it. A port from listen(0) lies in the
 * kernel's ephemeral range, where any outgoing connection of the machine may take it meanwhile (a
 * fresh-clone run failed that way), so the port comes from below that range.
 */
describe('freeServerPort', () => {
  it('draws a port below the ephemeral range that a server can bind', async () => {
    // prepare
    const ephemeralStart = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? '', 10);

    // act
    const ports = await Promise.all(Array.from({ length: 5 }, () => freeServerPort()));

    // assert
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralStart);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
