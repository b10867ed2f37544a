/**
 * The status page in a real headless Chromium, served by the local runtime with the emulator as
 * Twilio: what a person sees after signing in.
 */
import type { Browser, Page } from 'playwright-core';
import { ACCOUNT_SID, messageAdd } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime } from '../support/runtime';
import { runtimeEnv } from '../support/state-emulator';
import { STATUS_PASSWORD } from '../support/status-client';
import { AUTH_TOKEN } from '../support/twilio-request';
import type { BrowserWorld } from './world';

const overLong = () => messageAdd({ Body: 'x'.repeat(11) });
const signedIn = { httpCredentials: { username: 'anyone', password: STATUS_PASSWORD } };

async function openStatus(browser: Browser, runtime: Runtime, options = signedIn): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(`${runtime.url}/status.html`);
  return page;
}

const cells = (page: Page, table: string, rule: string) =>
  page.locator(`#${table} tr[data-rule="${rule}"] td.count`).allTextContents();

/** The status page's tests, in the Chromium and emulator that `world` gives once they are up. */
export function statusPageTests(world: () => BrowserWorld) {
  let emulator: BrowserWorld['emulator'];
  let browser: Browser;
  beforeAll(() => {
    ({ emulator, browser } = world());
    emulator.reset();
  });

  describe('enforcing', () => {
    let runtime: Runtime;
    beforeAll(async () => {
      runtime = await startRuntime(runtimeEnv(emulator, { MAX_CHAT_BODY_BYTES: '10', STATUS_FLUSH_INTERVAL: '1ms', STATUS_PASSWORD }), { forkProcess: false });
      for (let i = 0; i < 3; i += 1) expect((await runtime.post(PRE_EVENT_PATH, overLong())).status).toBe(403);
      expect((await runtime.post(PRE_EVENT_PATH, overLong(), { sign: false })).status).toBe(401);
      expect((await runtime.post(PRE_EVENT_PATH, messageAdd({ Body: 'ok' }))).status).toBe(200);
    });
    // One signed-in page for the three tests that only read it, as a person reads one page.
    let signedInPage: Promise<Page> | undefined;
    const readSignedIn = () => (signedInPage ??= openStatus(browser, runtime));
    afterAll(async () => {
      await (await signedInPage)?.context().close();
      await runtime.stop();
    });

    it('shows rejections per rule for the last hour and day, as bars scaled to the largest', async () => {
      const page = await readSignedIn();
      await page.locator('#last-hour tr[data-rule="message.body.bytes"]').waitFor();
      expect(await cells(page, 'last-hour', 'message.body.bytes')).toEqual(['3', '0']);
      expect(await cells(page, 'last-hour', 'request.signature')).toEqual(['1', '0']);
      expect(await cells(page, 'last-day', 'message.body.bytes')).toEqual(['3', '0']);
      const widths = await page.$$eval('#last-hour tr[data-rule] .bar', (bars) => bars.map((bar) => [bar.closest('tr')!.dataset.rule, bar.getBoundingClientRect().width]));
      const width = Object.fromEntries(widths) as Record<string, number>;
      expect(width['request.signature']! / width['message.body.bytes']!).toBeCloseTo(1 / 3, 1);
      expect(await page.locator('#mode').textContent()).toBe('enforce');
      expect(await page.locator('#shadow-summary').isHidden()).toBe(true);
    });

    it('lists every limit with its value, its default and where it comes from, marking changed ones', async () => {
      const page = await readSignedIn();
      const row = page.locator('#limits tr[data-variable="MAX_CHAT_BODY_BYTES"]');
      await row.waitFor();
      expect(await row.getAttribute('class')).toBe('changed');
      expect(await row.locator('td.value').textContent()).toBe('10');
      expect(await row.locator('td.default').textContent()).toBe('32768');
      expect(await row.locator('a').getAttribute('href')).toBe('https://www.twilio.com/docs/conversations/conversations-limits');
      const sms = page.locator('#limits tr[data-variable="MAX_SMS_BODY_CHARS"]');
      expect(await sms.getAttribute('class')).toBe('');
      expect(await sms.locator('td.value').textContent()).toBe('1600');
      expect(await page.locator('#limits tr.group th').allTextContents()).toContain('Rate limits');
      expect(await page.content()).not.toContain(AUTH_TOKEN);
      expect(await page.content()).not.toContain(STATUS_PASSWORD);
    });

    it('shows the message limits in effect, as GET /limits publishes them', async () => {
      const page = await readSignedIn();
      const body = page.locator('#message-limits tr[data-variable="MAX_CHAT_BODY_BYTES"]');
      await body.waitFor();
      expect(await body.locator('td').allTextContents()).toEqual(['Message body', '10 bytes (UTF-8)', 'MAX_CHAT_BODY_BYTES', 'message.body.bytes']);
      const sms = page.locator('#message-limits tr[data-rule="message.fanout.sms.body-chars"] td.value');
      expect(await sms.textContent()).toBe('1,600 characters (UTF-16 code units)');
      expect(await page.locator('#message-limits tr[data-variable="MAX_SMS_SEGMENTS"] td.value').textContent()).toBe('off');
      expect(await page.locator('#message-limits tr.group th').allTextContents()).toEqual(expect.arrayContaining(['Every message', 'From chat (SDK) authors (attachment table)', 'Delivered to WhatsApp participants']));
      const { version } = (await (await fetch(`${runtime.url}/limits`)).json()) as { version: string };
      expect(await page.locator('#message-limits-summary').textContent()).toContain(`Version ${version}. Inbound messages (SMS, WhatsApp, email, …) over a limit: let through, with the violations in their Attributes (INBOUND_POLICY=annotate).`);
    });

    it('tells a person who is not signed in how to sign in; the account credentials do not open it', async () => {
      const page = await openStatus(browser, runtime, { httpCredentials: { username: ACCOUNT_SID, password: AUTH_TOKEN } });
      await page.locator('#summary', { hasText: 'Not signed in' }).waitFor();
      expect(await page.locator('#last-hour tr[data-rule]').count()).toBe(0);
      await page.context().close();
    });
  });

  describe('without STATUS_PASSWORD', () => {
    let runtime: Runtime;
    beforeAll(async () => {
      runtime = await startRuntime(runtimeEnv(emulator, {}), { forkProcess: false });
    });
    afterAll(() => runtime.stop());

    it('is off, and says how to turn it on, asking for no credential', async () => {
      const page = await openStatus(browser, runtime, { httpCredentials: { username: ACCOUNT_SID, password: AUTH_TOKEN } });
      await page.locator('#summary', { hasText: 'The status page is off' }).waitFor();
      expect(await page.locator('#summary').textContent()).toContain('setting STATUS_PASSWORD in the environment');
      expect(await page.locator('#limits tr[data-variable]').count()).toBe(0);
      await page.context().close();
    });
  });

  describe('when Sync does not answer in time', () => {
    let runtime: Runtime;
    beforeAll(async () => {
      emulator.reset();
      runtime = await startRuntime(runtimeEnv(emulator, { DECISION_TIMEOUT: '300ms', STATUS_COUNTERS: 'off', STATUS_PASSWORD }), { forkProcess: false });
    });
    afterAll(() => runtime.stop());

    it('says the counts are incomplete, which Sync document is missing and why', async () => {
      const reads = emulator.hold({ product: 'sync', method: 'GET', pathIncludes: 'guard_rejections_1' });
      const page = await openStatus(browser, runtime);
      try {
        const notice = page.locator('#counts-incomplete');
        await notice.waitFor();
        expect(await notice.textContent()).toMatch(/^The counts are incomplete: Sync document guard_rejections_1 did not answer within DECISION_TIMEOUT \(300 ms\)\./);
        expect(await page.locator('figcaption').allTextContents()).toEqual(['Last hour (incomplete)', 'Last day (incomplete)']);
        expect(reads.waiting).toBe(1);
      } finally {
        reads.release();
        await page.context().close();
      }
    });
  });

  describe('with a STATUS_PASSWORD too short', () => {
    let runtime: Runtime;
    beforeAll(async () => {
      runtime = await startRuntime(runtimeEnv(emulator, { STATUS_PASSWORD: 'abc' }), { forkProcess: false });
    });
    afterAll(() => runtime.stop());

    it('is off, and says why, even to a person who types that password', async () => {
      const page = await openStatus(browser, runtime, { httpCredentials: { username: 'anyone', password: 'abc' } });
      await page.locator('#summary', { hasText: 'The status page is off' }).waitFor();
      expect(await page.locator('#summary').textContent()).toMatch(/^The status page is off: its STATUS_PASSWORD is shorter than 16 characters/);
      expect(await page.locator('#limits tr[data-variable]').count()).toBe(0);
      await page.context().close();
    });
  });

  describe('in shadow mode', () => {
    let runtime: Runtime;
    beforeAll(async () => {
      emulator.reset();
      runtime = await startRuntime(runtimeEnv(emulator, { GUARD_MODE: 'shadow', MAX_CHAT_BODY_BYTES: '10', STATUS_FLUSH_INTERVAL: '1ms', STATUS_PASSWORD }), { forkProcess: false });
      for (let i = 0; i < 2; i += 1) expect((await runtime.post(PRE_EVENT_PATH, overLong())).status).toBe(200);
    });
    afterAll(() => runtime.stop());

    it('shows what would have been rejected, with the shadow badge', async () => {
      const page = await openStatus(browser, runtime);
      await page.locator('#last-hour tr[data-rule="message.body.bytes"]').waitFor();
      expect(await cells(page, 'last-hour', 'message.body.bytes')).toEqual(['0', '2']);
      expect(await page.locator('#mode').textContent()).toBe('shadow');
      expect(await page.locator('#shadow-summary').textContent()).toMatch(/^Shadow mode: 2 action\(s\) in the last hour and 2 in the last day would have been rejected/);
      await page.screenshot({ path: 'node_modules/.cache/status-page.png', fullPage: false });
      await page.context().close();
    });
  });
}
