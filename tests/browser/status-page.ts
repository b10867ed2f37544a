/**
 * The status page in a real headless Chromium, served by the local runtime with the emulator as
 * Twilio: what a person sees after signing in.
 */
import type { Browser, Page } from 'playwright-core';
import { ACCOUNT_SID, CONVERSATION_SID, messageAdd } from '../support/events';
import { contactsIn, SCENARIO_SETTINGS, sendRejections, waitUntilFlushed, type Scenario, type SentRecord } from '../support/rejection-scenario';
import { PRE_EVENT_PATH, startedAll, startRuntime, type Runtime } from '../support/runtime';
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
      expect(await row.locator('td.value').textContent()).toBe('10 bytes');
      expect(await row.locator('td.value').getAttribute('data-raw')).toBe('10');
      expect(await row.locator('td.default').textContent()).toBe('32 KiB (32,768 bytes)');
      expect(await row.locator('td.default').getAttribute('data-raw')).toBe('32768');
      expect(await row.locator('a').getAttribute('href')).toBe('https://www.twilio.com/docs/conversations/conversations-limits');
      const sms = page.locator('#limits tr[data-variable="MAX_SMS_BODY_CHARS"]');
      expect(await sms.getAttribute('class')).toBe('');
      expect(await sms.locator('td.value').textContent()).toBe('1600');
      // Sizes as a person reads them, the exact number of bytes beside: every variable ending in _BYTES.
      const size = (variable: string) => page.locator(`#limits tr[data-variable="${variable}"] td.value`).textContent();
      expect(await size('ATTACHMENTS_WEB_MAX_FILE_BYTES')).toBe('16 MiB (16,777,216 bytes)');
      expect(await size('MAX_CHAT_MEDIA_BYTES')).toBe('150 MiB (157,286,400 bytes)');
      expect(await size('MAX_MESSAGE_ATTRIBUTES_BYTES')).toBe('4 KiB (4,096 bytes)');
      expect(await page.locator('#limits tr[data-variable] td.value:not([data-raw])').evaluateAll((cells) => cells.filter((cell) => cell.closest('tr')!.getAttribute('data-variable')!.endsWith('_BYTES')).length)).toBe(0);
      expect(await page.locator('#limits tr.group th').allTextContents()).toContain('Rate limits');
      // The test's conversation SID happens to hold the test's Auth Token: the SIDs the log shows are not it.
      expect((await page.content()).replaceAll(CONVERSATION_SID, '')).not.toContain(AUTH_TOKEN);
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

  describe('recent rejections, from two instances', () => {
    let runtimes: [Runtime, Runtime];
    let scenario: Scenario;
    let page: Page;
    beforeAll(async () => {
      emulator.reset();
      const env = runtimeEnv(emulator, { ...SCENARIO_SETTINGS });
      runtimes = (await startedAll([startRuntime(env), startRuntime(env)])) as [Runtime, Runtime];
      scenario = await sendRejections(emulator, runtimes);
      await waitUntilFlushed(emulator, runtimes, { records: scenario.sent.length, rejections: scenario.rejected }, scenario.conversations[0]);
      page = await openStatus(browser, runtimes[0]);
    });
    afterAll(async () => {
      await page?.context().close();
      await Promise.all(runtimes?.map((runtime) => runtime.stop()) ?? []);
    });

    /** The rows of the table, as what identifies each: conversation, event, outcome, rule, author, channel. */
    const rows = () =>
      page.$$eval('#recent tbody tr[data-rule]', (trs) =>
        trs.map((tr) => {
          const text = (name: string) => tr.querySelector(`td.${name}`)!.textContent;
          return [tr.getAttribute('data-conversation'), text('event'), text('outcome'), text('rule'), text('author'), tr.querySelector('td.channel')!.getAttribute('data-channel')].join(' ');
        }),
      );
    const expected = (sent: readonly SentRecord[]) => sent.map((r) => [r.conversationSid, r.event, r.outcome, r.rule, r.masked, r.channel].join(' ')).sort();
    const times = () => page.$$eval('#recent tbody tr[data-rule] td.time time[title]', (cells) => cells.map((cell) => Date.parse(cell.getAttribute('datetime')!)));
    const showing = (n: number) => page.waitForFunction(`document.querySelectorAll('#recent tbody tr[data-rule]').length === ${n}`);

    it('lists every rejection and annotation of both instances, newest first, phone numbers and e-mail addresses masked', async () => {
      await showing(scenario.sent.length);
      expect((await rows()).sort()).toEqual(expected(scenario.sent));
      const at = await times();
      expect(at.every((t, i) => i === 0 || at[i - 1]! >= t)).toBe(true);
      expect(new Set(await page.$$eval('#recent tbody tr[data-rule]', (trs) => trs.map((tr) => tr.getAttribute('data-instance')))).size).toBe(2);
      const authors = await page.locator('#recent td.author').allTextContents();
      expect(authors).toEqual(expect.arrayContaining(['+1•••••0001', 'whatsapp:+1•••••0002', '+1•••••4321', 'a•••@example.com', 'm•••@example.com']));
      expect(await page.locator('#recent tr[data-rule="participant.identity.conversations"] td.reason').textContent()).toContain('identity "m•••@example.com"');
      expect(await page.locator('#log-summary').textContent()).toBe(`The latest ${scenario.sent.length} records of every instance (rejected, annotated or undecided), newest first.`);
      expect(await page.locator('#log-note').textContent()).toContain('Phone numbers keep their country code and last 4 digits');
      expect(await page.locator('#log-all').isHidden()).toBe(true);
      // Nowhere on the page, text or markup, is a number or an address as it was sent.
      expect(contactsIn(await page.locator('body').innerText())).toEqual([]);
      expect(contactsIn(await page.content())).toEqual([]);
    });

    it('draws rejections per hour as stacked bars, one colour per rule, adding up to the last-day table', async () => {
      await page.locator('#per-hour-svg rect.segment').first().waitFor();
      const segments = await page.$$eval('#per-hour-svg rect.segment', (rects) => rects.map((rect) => [rect.getAttribute('data-rule')!, Number(rect.getAttribute('data-count'))] as const));
      const byRule: Record<string, number> = {};
      for (const [rule, n] of segments) byRule[rule] = (byRule[rule] ?? 0) + n;
      const lastDay = await page.$$eval('#last-day tr[data-rule]', (trs) => trs.map((tr) => [tr.getAttribute('data-rule')!, [...tr.querySelectorAll('td.count')].reduce((n, td) => n + Number(td.textContent), 0)] as const));
      expect(byRule).toEqual(Object.fromEntries(lastDay));
      expect(Object.values(byRule).reduce((a, b) => a + b, 0)).toBe(scenario.rejected);
      // Annotations are let through: logged, but not counted as rejections.
      expect(Object.keys(byRule).sort()).toEqual([...new Set(scenario.sent.filter((r) => r.outcome === 'reject').map((r) => r.rule))].sort());
      // The legend names each rule in its bars' colour, with its count.
      const legend = await page.$$eval('#per-hour-legend li', (items) => items.map((li) => [li.getAttribute('data-rule')!, Number(li.getAttribute('data-count'))] as const));
      expect(Object.fromEntries(legend)).toEqual(byRule);
      const colours = await page.$$eval('#per-hour-svg rect.segment', (rects) => rects.map((rect) => [rect.getAttribute('data-rule'), rect.getAttribute('fill')]));
      const swatches = await page.$$eval('#per-hour-legend li', (items) => items.map((li) => [li.getAttribute('data-rule'), li.querySelector('.swatch')!.getAttribute('style')]));
      expect(new Set(colours.map(([, fill]) => fill)).size).toBe(Object.keys(byRule).length);
      for (const [rule, fill] of colours) expect(swatches).toContainEqual([rule, `background: ${fill}`]);
      // 24 hours, the segments of each adding up to its total; words for those who do not see it.
      const hours = await page.$$eval('#per-hour-svg g.hour', (groups) => groups.map((g) => [Number(g.getAttribute('data-total')), [...g.querySelectorAll('rect.segment')].reduce((n, r) => n + Number(r.getAttribute('data-count')), 0)]));
      expect(hours).toHaveLength(24);
      for (const [total, segmentsSum] of hours) expect(segmentsSum).toBe(total);
      const svg = page.locator('#per-hour-svg');
      expect(await svg.getAttribute('role')).toBe('img');
      expect(await svg.locator('title').first().textContent()).toBe('Rejections per hour over the last 24 hours, stacked by rule');
      expect(await svg.locator('desc').textContent()).toMatch(new RegExp(`^${scenario.rejected} rejections from \\d\\d:00 to \\d\\d:00; .* By rule: message\\.body\\.bytes 3, `));
    });

    it('searching one conversation SID asks /status and shows only its records, with a way back to all', async () => {
      const [a, b] = scenario.conversations;
      await showing(scenario.sent.length);
      await page.locator('#log-filter input[name="conversation"]').fill(a);
      const asked = page.waitForRequest((request) => request.url().includes(`/status?conversation=${a}`));
      await page.locator('#log-filter button[type="submit"]').click();
      await asked;
      const inA = scenario.sent.filter((r) => r.conversationSid === a);
      await page.locator('#log-summary', { hasText: `matching conversation ${a}` }).waitFor();
      await showing(inA.length);
      expect((await rows()).sort()).toEqual(expected(inA));
      expect(await page.locator('#log-summary').textContent()).toBe(`${inA.length} records matching conversation ${a}, newest first.`);
      expect(new URL(page.url()).search).toBe(`?conversation=${a}`);

      await page.locator('#log-all').click();
      await showing(scenario.sent.length);
      expect(new URL(page.url()).search).toBe('');
      expect(await page.locator('#log-filter input[name="conversation"]').inputValue()).toBe('');
      expect(await page.locator('#log-all').isHidden()).toBe(true);

      // A conversation SID in the table is a search for it too; Back returns to all records.
      const inB = scenario.sent.filter((r) => r.conversationSid === b);
      await page.locator(`#recent tr[data-conversation="${b}"] a.conversation`).first().click();
      await page.locator('#log-summary', { hasText: `matching conversation ${b}` }).waitFor();
      expect((await rows()).sort()).toEqual(expected(inB));
      expect(await page.locator('#log-filter input[name="conversation"]').inputValue()).toBe(b);
      await page.goBack();
      await showing(scenario.sent.length);
      expect(await page.locator('#log-all').isHidden()).toBe(true);

      // The address bar holds the search: opened as a link, the page shows it at once.
      const direct = await browser.newContext(signedIn).then((context) => context.newPage());
      try {
        await direct.goto(`${runtimes[1].url}/status.html?conversation=${b}`);
        await direct.locator('#log-summary', { hasText: `${inB.length} records matching conversation ${b}` }).waitFor();
        expect(await direct.$$eval('#recent tbody tr[data-rule]', (trs) => trs.map((tr) => tr.getAttribute('data-conversation')))).toEqual(inB.map(() => b));
        expect(await direct.locator('#log-filter input[name="conversation"]').inputValue()).toBe(b);
      } finally {
        await direct.context().close();
      }
    });

    it('searches by identity or address as sent, by outcome and by rule; a refused search says why', async () => {
      const search = async (fields: Record<string, string>) => {
        for (const name of ['conversation', 'identity', 'rule']) await page.locator(`#log-filter input[name="${name}"]`).fill(fields[name] ?? '');
        await page.locator('#log-filter select[name="outcome"]').selectOption(fields.outcome ?? '');
        await page.locator('#log-filter select[name="since"]').selectOption(fields.since ?? '');
        const answered = page.waitForResponse((response) => response.url().includes('/status?'));
        await page.locator('#log-filter button[type="submit"]').click();
        await answered;
        await page.waitForFunction(`!document.getElementById('log-summary').textContent.startsWith('Searching')`);
        return rows();
      };
      expect(await search({ identity: '+15557654321' })).toEqual(expected(scenario.sent.filter((r) => r.author === '+15557654321')));
      expect((await search({ outcome: 'annotate', since: '1h' })).sort()).toEqual(expected(scenario.sent.filter((r) => r.outcome === 'annotate')));
      expect(await page.locator('#log-summary').textContent()).toBe('2 records matching outcome annotate, since 1h, newest first.');
      expect((await search({ rule: 'message.body.bytes', identity: 'alice' })).sort()).toEqual(expected(scenario.sent.filter((r) => r.rule === 'message.body.bytes' && r.author === 'alice')));
      expect(await search({ rule: 'no.such.rule' })).toEqual([]);
      expect(await page.locator('#recent tbody td.note').textContent()).toBe('No records.');
      expect(contactsIn(await page.locator('body').innerText())).toEqual([]);
      await page.locator('#log-all').click();
      await showing(scenario.sent.length);

      // A search /status refuses (here from an edited link) is answered with its sentence.
      const edited = await browser.newContext(signedIn).then((context) => context.newPage());
      try {
        await edited.goto(`${runtimes[0].url}/status.html?since=yesterday`);
        await edited.locator('#log-summary.problem').waitFor();
        expect(await edited.locator('#log-summary').textContent()).toMatch(/^The search could not be made: since=yesterday is neither a duration back from now/);
        expect(await edited.locator('#log-all').isVisible()).toBe(true);
      } finally {
        await edited.context().close();
      }
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
      // A held Sync object can only miss the deadline; the ones not held must fit, so the deadline is
      // many times their work (docs/testing.md).
      runtime = await startRuntime(runtimeEnv(emulator, { DECISION_TIMEOUT: '2s', STATUS_COUNTERS: 'off', STATUS_PASSWORD }), { forkProcess: false });
    });
    afterAll(() => runtime.stop());

    it('says the counts and the rejection log are incomplete, which Sync object is missing and why', async () => {
      const counts = emulator.hold({ product: 'sync', method: 'GET', pathIncludes: 'guard_rejections_1' });
      const log = emulator.hold({ product: 'sync', method: 'GET', pathIncludes: 'guard_rejection_log_1' });
      const page = await openStatus(browser, runtime);
      try {
        const notice = page.locator('#counts-incomplete');
        await notice.waitFor();
        expect(await notice.textContent()).toMatch(/^The counts are incomplete: Sync document guard_rejections_1 did not answer within DECISION_TIMEOUT \(2000 ms\)\. The rejections it holds/);
        expect(await page.locator('figcaption').allTextContents()).toEqual(['Last hour (incomplete)', 'Last day (incomplete)', 'The last 24 hours (incomplete): no rejections.']);
        expect(await page.locator('#log-incomplete').textContent()).toBe('The search is incomplete: Sync Map guard_rejection_log_1 did not answer in time.');
        expect(await page.locator('#log-incomplete').isVisible()).toBe(true);
        expect([counts.waiting, log.waiting]).toEqual([1, 1]);
      } finally {
        counts.release();
        log.release();
        await page.context().close();
      }
    });
  });

  describe('with a setting that is not valid', () => {
    let runtime: Runtime;
    beforeAll(async () => {
      runtime = await startRuntime(runtimeEnv(emulator, { MAX_CHAT_BODY_BYTES: '10 KB', STATUS_PASSWORD }), { forkProcess: false });
    });
    afterAll(() => runtime.stop());

    it('names the setting, shows its value as given, and says why the log and the chart are missing', async () => {
      const page = await openStatus(browser, runtime);
      try {
        await page.locator('#problem').waitFor();
        expect(await page.locator('#problem').textContent()).toContain('MAX_CHAT_BODY_BYTES');
        const value = page.locator('#limits tr[data-variable="MAX_CHAT_BODY_BYTES"] td.value');
        expect(await value.textContent()).toBe('10 KB');
        expect(await value.getAttribute('data-raw')).toBeNull();
        expect(await page.locator('#log-summary').textContent()).toBe('The configuration is invalid, so the rejection log cannot be read.');
        expect(await page.locator('#per-hour-caption').textContent()).toBe('Rejections per hour are not available: the counters could not be read.');
        expect(await page.locator('#per-hour-svg').count()).toBe(0);
      } finally {
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
