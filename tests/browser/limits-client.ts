/**
 * The limits-client module in a real headless Chromium, loaded from the local runtime with import()
 * as a page would load it, fed GET /limits as served: its verdict on a draft is the webhook's answer
 * for the same message, and on a sample of random drafts and settings it answers what it answers in
 * Node (Intl, TextEncoder and the rest behave alike).
 */
import fc from 'fast-check';
import type { Page } from 'playwright-core';
import type { Draft } from '../../src/client/limits-client';
import { handleLimits } from '../../src/guard/limits-endpoint';
import { draftCase, loadBuiltClient, webhookFields } from '../support/drafts';
import { CHAT_SERVICE_SID } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime } from '../support/runtime';
import { runtimeEnv } from '../support/state-emulator';
import type { BrowserWorld } from './world';

/** FUZZ_BROWSER_RUNS: random drafts judged in Chromium and in Node (the in-process property takes thousands). */
const SAMPLE = Number(process.env.FUZZ_BROWSER_RUNS ?? 100);

/** The module's tests, in the Chromium and emulator that `world` gives once they are up. */
export function limitsClientTests(world: () => BrowserWorld) {
  let emulator: BrowserWorld['emulator'];
  let runtime: Runtime;
  let page: Page;
  beforeAll(async () => {
    const up = world();
    emulator = up.emulator;
    emulator.reset();
    runtime = await startRuntime(runtimeEnv(emulator, { MAX_SMS_BODY_CHARS: '20', FAIL_MODE: 'closed' }), { forkProcess: false });
    page = await (await up.browser.newContext()).newPage();
    // Any page of the service's origin: the module and /limits are then same-origin.
    await page.goto(`${runtime.url}/status.html`);
  });
  afterAll(async () => {
    await page?.context().close();
    await runtime?.stop();
  });

  /** Imports the module in the page and judges `drafts` with the /limits the page fetches (or the `limits` given). */
  const inPage = (drafts: Draft[], limits?: unknown[]) =>
    page.evaluate(
      async ({ drafts, limits }) => {
        // import() written so that the test's TypeScript compilation (CommonJS) leaves it alone.
        const load = new Function('url', 'return import(url)') as (url: string) => Promise<{ checkDraft: (l: unknown, d: unknown) => unknown }>;
        const { checkDraft } = await load('/limits-client.js');
        const served = await (await fetch('/limits')).json();
        return drafts.map((draft, i) => checkDraft(limits ? limits[i] : served, draft) ?? null);
      },
      { drafts, limits },
    );

  it('judges a draft as the webhook judges the same message', async () => {
    const conversation = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    emulator.seed.participant(conversation, { identity: 'alice' });
    emulator.seed.participant(conversation, { address: '+15551239999', proxyAddress: '+15559870000' });
    const drafts: Draft[] = [
      { body: 'Twenty-one characters', author: { channel: 'web' }, recipients: ['sms'] },
      { body: 'Twenty characters ok', author: { channel: 'web' }, recipients: ['sms'] },
      { body: 'hi', media: [{ filename: 'party.gif', contentType: 'image/gif', size: 2048 }], author: { channel: 'web' }, recipients: ['sms'] },
    ];
    const verdicts = await inPage(drafts);
    expect(verdicts[0]).toMatchObject({ code: 'message.fanout.sms.body-chars', limit: 20, actual: 21 });
    expect(verdicts[1]).toBeNull();
    expect(verdicts[2]).toMatchObject({ code: 'message.fanout.sms.media.type', accepted: expect.arrayContaining(['jpg']) });
    for (const [i, draft] of drafts.entries()) {
      const answer = await runtime.post(PRE_EVENT_PATH, webhookFields(draft, conversation));
      expect(answer.status === 200 ? null : answer.json).toEqual(verdicts[i]);
    }
  });

  it(`answers as in Node on ${SAMPLE} random drafts and settings`, async () => {
    const cases = fc.sample(draftCase(), { numRuns: SAMPLE, seed: 1129 });
    const limits = cases.map((c) => JSON.parse(JSON.stringify(handleLimits({ event: {}, env: c.env }, { log: () => undefined }).body)));
    const drafts = cases.map((c) => ({ ...c.draft, recipients: c.clientRecipients }));
    const inChromium = await inPage(drafts, limits);
    const client = loadBuiltClient();
    const inNode = drafts.map((draft, i) => JSON.parse(JSON.stringify(client.checkDraft(limits[i], draft) ?? null)));
    expect(inChromium).toEqual(inNode);
    expect(inNode.filter((v) => v !== null).length).toBeGreaterThan(SAMPLE / 5);
  });
}
