import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { NamedError } from '../../../functions/shared/errors.js';

/**
 * Headless Chromium for the console's browser test: the Debian package, never a downloaded
 * browser. The flags keep it off the network (the CI machine's network is closed) and away from
 * any profile: each launch gets a fresh user data directory, removed on close.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const INSTALL_CHROMIUM = 'apt-get update && apt-get install -y chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export class ChromiumUnavailableError extends NamedError {
  override readonly name = 'ChromiumUnavailableError';
}

export interface Browser {
  context: BrowserContext;
  /** The fresh user data directory (--user-data-dir) of this launch. */
  profile: string;
  close(): Promise<void>;
}

export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new ChromiumUnavailableError(`no Chromium at ${executablePath}: the console's browser test needs it. Install it with: ${INSTALL_CHROMIUM} (or set CHROMIUM_PATH)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: FLAGS, viewport: { width: 1500, height: 1000 } });
    return {
      context,
      profile,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new ChromiumUnavailableError(`Chromium at ${executablePath} did not start: ${(error as Error).message}`, { cause: error });
  }
}
