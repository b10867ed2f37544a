import type { Browser } from 'playwright-core';
import type { Emulator } from '../../emulator';

/** What the browser suites share: one Chromium and one emulator, started by tests/browser/chromium.test.ts. */
export interface BrowserWorld {
  browser: Browser;
  emulator: Emulator;
}
