/**
 * A real headless Chromium for page tests, driven by playwright-core. The browser is the system's
 * (Debian's `chromium` package, or CHROMIUM_PATH); nothing is downloaded. Without one, page tests
 * are skipped with a note, except under CI or REQUIRE_BROWSER=1 (.ci/run sets it), where a missing browser fails the run.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

export function browserPath(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  return CANDIDATES.find((path) => existsSync(path));
}

export const browserRequired = () => process.env.REQUIRE_BROWSER === '1' || Boolean(process.env.CI);

export function launchBrowser(): Promise<Browser> {
  const executablePath = browserPath();
  if (!executablePath) throw new Error('No Chromium found: install Debian\'s chromium package (apt-get install chromium) or set CHROMIUM_PATH.');
  return chromium.launch({
    executablePath,
    headless: true,
    // The flags keep Chromium off the network: loopback is all a test may reach.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
