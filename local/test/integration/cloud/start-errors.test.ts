import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MotoUnavailableError, PortInUseError } from '../../../cloud/errors.js';
import { startLocalCloud } from '../../../cloud/local-cloud.js';
import { assertPortFree, freePort } from '../../../cloud/moto.js';
import { liveClouds } from '../../../cloud/process-cleanup.js';
import { temporaryDirectory } from './fixtures/fixture-stack.js';

/*
 * A local cloud that cannot start says why, with a named error, and leaves nothing behind.
 */

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('starting the local cloud', () => {
  const servers: Server[] = [];
  const python = process.env.PYTHON;

  afterEach(async () => {
    if (python === undefined) delete process.env.PYTHON;
    else process.env.PYTHON = python;
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('fails with MotoUnavailableError and the install command when moto_server cannot run, releasing the gateway port', async () => {
    process.env.PYTHON = '/nonexistent/python3';
    const gatewayPort = await freePort();

    const start = startLocalCloud({ gatewayPort, logDir: temporaryDirectory('logs') });

    await expect(start).rejects.toThrow(MotoUnavailableError);
    await expect(start).rejects.toThrow('pip install "moto[server]"');
    await expect(assertPortFree(gatewayPort, 'gateway')).resolves.toBeUndefined();
    expect(liveClouds()).toBe(0);
  });

  it('fails with MotoUnavailableError naming the missing module when the Python lacks moto', async () => {
    // A Python whose import of moto fails, as one without moto installed answers the launcher.
    const python = join(temporaryDirectory('python'), 'python3');
    writeFileSync(python, `#!/bin/sh\necho "ModuleNotFoundError: No module named 'moto'" >&2\nexit 1\n`);
    chmodSync(python, 0o755);
    process.env.PYTHON = python;

    const start = startLocalCloud({ logDir: temporaryDirectory('logs') });

    await expect(start).rejects.toThrow(MotoUnavailableError);
    await expect(start).rejects.toThrow('this Python has no module "moto". Install it with: pip install "moto[server]"');
    expect(liveClouds()).toBe(0);
  });

  it('fails with PortInUseError when the gateway port is taken', async () => {
    const port = await freePort();
    servers.push(await occupy(port));

    const start = startLocalCloud({ gatewayPort: port, logDir: temporaryDirectory('logs') });

    await expect(start).rejects.toThrow(PortInUseError);
    await expect(start).rejects.toThrow(`port ${port} (gateway)`);
  });

  it('fails with PortInUseError when the moto port is taken, releasing the gateway port', async () => {
    const [motoPort, gatewayPort] = [await freePort(), await freePort()];
    servers.push(await occupy(motoPort));

    const start = startLocalCloud({ motoPort, gatewayPort, logDir: temporaryDirectory('logs') });

    await expect(start).rejects.toThrow(`port ${motoPort} (moto_server)`);
    await expect(assertPortFree(gatewayPort, 'gateway')).resolves.toBeUndefined();
  });
});
