/**
 * The pages and the browser module in a real headless Chromium, one browser for every suite
 * (starting Chromium is the dearest step of each): the status page (./status-page.ts) and
 * limits-client.js (./limits-client.ts), each served by its own local runtime, with the emulator
 * as Twilio, and the page `npm run audit -- --html` writes (./audit-page.ts).
 */
import { startEmulator } from '../../emulator';
import { browserPath, browserRequired, launchBrowser } from '../support/browser';
import { auditPageTests } from './audit-page';
import { limitsClientTests } from './limits-client';
import { statusPageTests } from './status-page';
import type { BrowserWorld } from './world';

const available = Boolean(browserPath()) || browserRequired();
if (!available) console.warn('Browser tests skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH).');
const describeInBrowser = available ? describe : describe.skip;
jest.setTimeout(60_000);

describeInBrowser('in Chromium', () => {
  const world: Partial<BrowserWorld> = {};
  beforeAll(async () => {
    // One after the other: if the browser cannot start, the emulator is already there for afterAll to close.
    world.emulator = await startEmulator();
    world.browser = await launchBrowser();
  });
  afterAll(async () => {
    await world.browser?.close();
    await world.emulator?.close();
  });
  const started = () => world as BrowserWorld;

  describe('status page', () => statusPageTests(started));
  describe('limits-client.js', () => limitsClientTests(started));
  describe('the audit page', () => auditPageTests(started));
});
