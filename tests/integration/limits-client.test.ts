/**
 * GET /limits and GET /limits-client.js through the real local Functions runtime (one warm process,
 * as `npm start` serves), and a sample of the sameness property end to end: the module as served,
 * fed /limits as served, against the webhook's answer for the same message in a conversation seeded
 * in the emulator.
 *
 *   FUZZ_RUNTIME_RUNS=400 FUZZ_SEED=7 npx jest tests/integration/limits-client.test.ts
 *
 * FUZZ_RUNTIME_RUNS: cases (default 100, spread over 4 runtimes with different settings).
 */
import { verbose } from '../support/verbose';
import fc from 'fast-check';
import { startEmulator, type Emulator } from '../../emulator';
import { LOCAL_ONLY, SECRETS } from '../../src/guard/config/local-only';
import { CHANNELS } from '../../src/guard/limits/channels';
import { clientVerdict, draftCase, loadBuiltClient, messageEnv, participantsOf, webhookFields, webhookVerdict } from '../support/drafts';
import { CHAT_SERVICE_SID } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime } from '../support/runtime';
import { runtimeEnv } from '../support/state-emulator';

const RUNS = Number(process.env.FUZZ_RUNTIME_RUNS ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);
const RUNTIMES = 4;
jest.setTimeout(Math.max(60_000, RUNS * 500));

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator?.close());

describe('GET /limits', () => {
  let runtime: Runtime;
  // Every secret and local-only setting, set to a value that cannot be missed in an answer.
  const names = [...SECRETS, ...Object.keys(LOCAL_ONLY)];
  const marked = Object.fromEntries(names.map((name) => [name, name.endsWith('_BASE_URL') ? `https://${name.toLowerCase().replace(/_/g, '-')}-7f3a.example` : `value-of-${name.toLowerCase()}-7f3a`]));
  beforeAll(async () => {
    runtime = await startRuntime({ ...marked, MAX_SMS_BODY_CHARS: '150' }, { forkProcess: false });
  });
  afterAll(() => runtime?.stop());

  it('answers the limits to anyone, with CORS open and cacheable for a minute', async () => {
    const res = await fetch(`${runtime.url}/limits`, { headers: { Origin: 'https://shop.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const limits = (await res.json()) as { delivery: { sms: { bodyChars: unknown } }; version: string };
    expect(limits.delivery.sms.bodyChars).toEqual({ value: 150, rule: 'message.fanout.sms.body-chars', variable: 'MAX_SMS_BODY_CHARS', unit: 'characters (UTF-16 code units)' });
    expect(limits.version).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
  });

  it('answers 304 to a page that already has this version', async () => {
    const etag = (await fetch(`${runtime.url}/limits`)).headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{12}"$/);
    const again = await fetch(`${runtime.url}/limits`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('carries no secret and no local-only setting: neither its name with its value, nor the value', async () => {
    const res = await fetch(`${runtime.url}/limits`);
    const text = await res.text();
    for (const name of names) {
      expect(text).not.toContain(name);
      expect(text).not.toContain(marked[name]!);
    }
    expect([...res.headers.values()].join('\n')).not.toContain('7f3a');
  });

  it('answers a CORS preflight: 204, GET and OPTIONS allowed, the request headers allowed', async () => {
    const res = await fetch(`${runtime.url}/limits`, { method: 'OPTIONS', headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'accept' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    // The Functions runtime answers preflights itself, before the function (GET, POST, OPTIONS).
    expect(res.headers.get('access-control-allow-methods')!.split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'OPTIONS']));
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Accept/i);
  });

  it('serves the module as JavaScript at /limits-client.js', async () => {
    const res = await fetch(`${runtime.url}/limits-client.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(await res.text()).toMatch(/export\s*\{/);
  });
});

/**
 * Email participants are left out of the recipients here: the emulator types any address without a
 * channel prefix as SMS (the in-process property covers email recipients with their binding type).
 */
describe(`the served module's verdict is the webhook's answer (FUZZ_SEED=${SEED}, ${RUNS} cases through the runtime)`, () => {
  const client = loadBuiltClient();
  const profiles = fc.sample(messageEnv, { numRuns: RUNTIMES, seed: SEED });
  const cases = fc.sample(draftCase(CHANNELS, CHANNELS.filter((c) => c !== 'email')), { numRuns: RUNS, seed: SEED });
  verbose(`limits-client through the runtime: FUZZ_SEED=${SEED}, ${RUNS} cases over ${RUNTIMES} runtimes`);
  const tally = { cases: 0, listings: 0, delivery: 0 };

  it.each(profiles.map((env, i) => [i, env] as const))('runtime %i', async (i, env) => {
    emulator.reset();
    const runtime = await startRuntime(runtimeEnv(emulator, { ...(env as Record<string, string>), FAIL_MODE: 'closed', STATUS_COUNTERS: 'off', REJECTION_LOG: 'off' }), { forkProcess: false });
    try {
      const limits = await (await fetch(`${runtime.url}/limits`)).json();
      const mine = cases.filter((_, n) => n % RUNTIMES === i);
      let rejected = 0;
      for (const c of mine) {
        const conversation = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
        for (const p of participantsOf(c)) {
          emulator.seed.participant(conversation, p.identity !== null ? { identity: p.identity } : { address: p.messagingBinding!.address, proxyAddress: p.messagingBinding!.proxy_address });
        }
        const answer = await runtime.post(PRE_EVENT_PATH, webhookFields(c.draft, conversation));
        const expected = webhookVerdict(answer.status, answer.json);
        expect({ case: c, answer: expected }).toEqual({ case: c, answer: clientVerdict(client, limits, c) });
        if (expected) rejected += 1;
        if (expected && expected !== 'unexpected' && expected.code.startsWith('message.fanout.')) tally.delivery += 1;
      }
      tally.cases += mine.length;
      tally.listings += emulator.log.filter((entry) => entry.product === 'conversations' && entry.method === 'GET' && /Participants/.test(entry.path)).length;
      verbose(`runtime ${i}: ${mine.length} cases, ${rejected} rejected`);
    } finally {
      await runtime.stop();
    }
  });

  it('played every case, some of them judged on the participants the emulator listed', () => {
    expect(tally.cases).toBe(RUNS);
    expect(tally.listings).toBeGreaterThan(0);
    expect(tally.delivery).toBeGreaterThan(0);
    verbose(`through the runtime: ${tally.listings} participant listings, ${tally.delivery} delivery rejections`);
  });
});
