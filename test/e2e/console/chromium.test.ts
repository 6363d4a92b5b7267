import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChromiumUnavailableError, INSTALL_CHROMIUM, launchChromium } from './chromium.js';

describe("the console test's browser", () => {
  it('fails with the install command when Chromium is not installed', async () => {
    const launch = launchChromium('/nonexistent/chromium');

    await expect(launch).rejects.toThrow(ChromiumUnavailableError);
    await expect(launch).rejects.toThrow(`Install it with: ${INSTALL_CHROMIUM}`);
  });

  it('starts headless with a fresh profile of its own, removed on close', async () => {
    const browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.setContent('<p id="greeting">drains, seen</p>');

    expect(await page.locator('#greeting').textContent()).toBe('drains, seen');
    expect(await page.evaluate(() => navigator.userAgent)).toContain('HeadlessChrome');
    expect(existsSync(browser.profile)).toBe(true);
    await browser.close();
    expect(existsSync(browser.profile)).toBe(false);
  });
});
