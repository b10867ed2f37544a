/**
 * Rate limits end to end: signed webhook requests to the built functions served by the real local
 * Functions runtime, warm as a deployed instance, with the counters in Sync (here the local Twilio
 * API emulator, via TWILIO_API_BASE_URL). That a limit holds across instances, each with its own
 * memory, is shown by the three runtimes sharing one emulator at the end.
 *
 * Two runtimes are started first (FAIL_MODE=open and closed). Tests that read a request's log lines
 * (runtime.post) come before the simultaneous bursts (postAll) on the same runtime; see
 * tests/support/rate-burst.ts.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { ACCOUNT_SID, CHAT_SERVICE_SID, conversationAdd, messageAdd } from '../support/events';
import { postAll, type BurstResponse } from '../support/rate-burst';
import { PRE_EVENT_PATH, startedAll, startRuntime, type Runtime } from '../support/runtime';
import { AUTH_TOKEN } from '../support/twilio-request';

jest.setTimeout(120_000);

const RATE_ENV = {
  RATE_LIMIT_ACTIONS_PER_CONVERSATION: '5/10s',
  RATE_LIMIT_CONVERSATIONS_PER_SERVICE: '3/10s',
  RATE_LIMIT_MESSAGES_PER_AUTHOR: '4/10s',
  RATE_LIMITS: 'email-actions=2/10s per conversation from email',
};

let emu: Emulator;
let open: Runtime;
let closed: Runtime;

beforeAll(async () => {
  emu = await startEmulator();
  const common = { AUTH_TOKEN, ACCOUNT_SID, TWILIO_API_BASE_URL: emu.url, ...RATE_ENV };
  [open, closed] = await startedAll([
    startRuntime({ ...common, FAIL_MODE: 'open', DECISION_TIMEOUT: '3s' }),
    startRuntime({ ...common, FAIL_MODE: 'closed', DECISION_TIMEOUT: '1s' }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.stop(), closed?.stop()]);
  await emu?.close();
});
beforeEach(() => emu.reset());

let conversations = 0;
const freshConversation = () => 'CH' + String(++conversations).padStart(4, '0') + 'e'.repeat(28);
const SERVICE_B = 'IS' + 'b'.repeat(32);

/** A chat message from its own author (so only the conversation's limit can bite). */
const chatMessage = (conversationSid: string, author: string) => messageAdd({ ConversationSid: conversationSid, Author: author, ClientIdentity: author });

const allowed = (responses: BurstResponse[]) => responses.filter((r) => r.status === 200);
const rejected = (responses: BurstResponse[]) => responses.filter((r) => r.status === 403);

function expectRateRejection(body: unknown, code: string, window: { limit: number; windowMs: number }) {
  expect(body).toMatchObject({ code, limit: window.limit, actual: window.limit + 1 });
  const { message, retryAfterMs } = body as { message: string; retryAfterMs: number };
  expect(retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterMs).toBeLessThanOrEqual(window.windowMs);
  expect(message).toContain(`retry in ${retryAfterMs} ms`);
}

describe('Sync failing (logs read first, before any burst)', () => {
  test('FAIL_MODE=open, Sync throttled (429 / 54009): allowed, and the log says the insurance limiter decided', async () => {
    emu.injectFault({ kind: 'status', status: 429, code: 54009, product: 'sync' });
    const started = Date.now();
    const res = await open.post(PRE_EVENT_PATH, chatMessage(freshConversation(), 'alice'));
    // Twilio's own wait for a webhook; a 429 answered at once leaves the 3 s deadline far inside it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({});
    expect(res.logs).toContainEqual(
      expect.objectContaining({ warning: 'rate counter unavailable, insurance limiter used', rule: 'rate.actions-per-conversation', insurance: 'admit', error: expect.stringMatching(/429 \/ 54009/) }),
    );
    expect(res.logs).toContainEqual(expect.objectContaining({ event: 'onMessageAdd', outcome: 'fail-open', error: expect.stringMatching(/RateStoreUnavailableError/) }));
    expect(emu.log.filter((e) => e.product === 'sync' && e.status === 429).length).toBeGreaterThan(0);
  });

  test.each([
    ['throttled (429 / 54009)', { kind: 'status', status: 429, code: 54009, product: 'sync' }],
    ['failing (500)', { kind: 'status', status: 500, product: 'sync' }],
    ['not answering', { kind: 'hang', product: 'sync' }],
  ] as const)('FAIL_MODE=closed, Sync %s: 403 guard.unavailable within DECISION_TIMEOUT (1 s)', async (_kind, fault) => {
    emu.injectFault(fault);
    const started = Date.now();
    const res = await closed.post(PRE_EVENT_PATH, chatMessage(freshConversation(), 'alice'));
    // Twilio's own wait for a webhook: the 1 s deadline plus a due rejection-count flush (at most 1 s) is well inside it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'guard.unavailable' });
    expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'fail-closed' }));
  });
});

describe('limits counted in Sync across processes', () => {
  test('RATE_LIMIT_ACTIONS_PER_CONVERSATION=5/10s: of 15 simultaneous messages, exactly 5 are allowed; another conversation is not affected', async () => {
    const conversation = freshConversation();
    const responses = await postAll(open, PRE_EVENT_PATH, Array.from({ length: 15 }, (_, i) => chatMessage(conversation, `user-${i}`)));
    expect(allowed(responses)).toHaveLength(5);
    for (const r of allowed(responses)) expect(r.json).toEqual({});
    expect(rejected(responses)).toHaveLength(10);
    for (const r of rejected(responses)) expectRateRejection(r.json, 'rate.actions-per-conversation', { limit: 5, windowMs: 10_000 });
    expect(responses.filter((r) => r.status !== 200 && r.status !== 403)).toEqual([]);
    // Every decision was made by Sync: nothing throttled, nothing failed over to the insurance limiter.
    expect(emu.log.filter((e) => e.product === 'sync' && e.status >= 429)).toEqual([]);

    const other = await postAll(open, PRE_EVENT_PATH, [chatMessage(freshConversation(), 'user-0')]);
    expect(other).toEqual([{ status: 200, json: {} }]);
  });

  test('RATE_LIMIT_CONVERSATIONS_PER_SERVICE=3/10s: of 5 simultaneous new conversations, 3 are allowed; another service is not affected', async () => {
    const responses = await postAll(open, PRE_EVENT_PATH, Array.from({ length: 5 }, (_, i) => conversationAdd({ ChatServiceSid: CHAT_SERVICE_SID, UniqueName: `support-${i}` })));
    expect(allowed(responses)).toHaveLength(3);
    expect(rejected(responses)).toHaveLength(2);
    for (const r of rejected(responses)) expectRateRejection(r.json, 'rate.conversations-per-service', { limit: 3, windowMs: 10_000 });
    expect(await postAll(open, PRE_EVENT_PATH, [conversationAdd({ ChatServiceSid: SERVICE_B })])).toEqual([{ status: 200, json: {} }]);
  });

  test('RATE_LIMIT_MESSAGES_PER_AUTHOR=4/10s counts one author across conversations; the refused messages use no conversation\'s quota', async () => {
    const [a, b] = [freshConversation(), freshConversation()];
    const answers: number[] = [];
    for (const conversation of [a, b, a, b, a, b]) {
      const [res] = await postAll(open, PRE_EVENT_PATH, [chatMessage(conversation, 'carol')]);
      answers.push(res!.status);
      if (res!.status === 403) expectRateRejection(res!.json, 'rate.messages-per-author', { limit: 4, windowMs: 10_000 });
    }
    expect(answers).toEqual([200, 200, 200, 200, 403, 403]);
    // Conversation a has 2 of carol's messages; 3 more from others fit in its 5, the 6th does not.
    const more = [];
    for (const author of ['dave', 'erin', 'frank', 'grace']) more.push((await postAll(open, PRE_EVENT_PATH, [chatMessage(a, author)]))[0]!);
    expect(more.map((r) => r.status)).toEqual([200, 200, 200, 403]);
    expect(more[3]!.json).toMatchObject({ code: 'rate.actions-per-conversation' });
  });

  test('RATE_LIMITS "email-actions=2/10s per conversation from email": the third email is refused, a chat message is not', async () => {
    const conversation = freshConversation();
    const email = (n: number) => messageAdd({ ConversationSid: conversation, Author: `customer${n}@example.com` }, 'email');
    const emails = await postAll(open, PRE_EVENT_PATH, [email(1), email(2), email(3)]);
    expect(emails.map((r) => r.status).sort()).toEqual([200, 200, 403]);
    expectRateRejection(rejected(emails)[0]!.json, 'rate.email-actions', { limit: 2, windowMs: 10_000 });
    expect(rejected(emails)[0]!.json).toMatchObject({ variable: 'RATE_LIMITS' });
    expect(await postAll(open, PRE_EVENT_PATH, [chatMessage(conversation, 'agent')])).toEqual([{ status: 200, json: {} }]);
  });
});

describe('three warm instances sharing Sync, as Twilio runs a busy function', () => {
  let instances: Runtime[];
  beforeAll(async () => {
    // The longest deadline: Sync's share (40%, 1.8 s) is eighteen times the latency below, so a busy
    // machine makes instances contend longer but never sends a decision to the insurance limiter.
    const env = { AUTH_TOKEN, ACCOUNT_SID, TWILIO_API_BASE_URL: emu.url, RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1m', FAIL_MODE: 'open', DECISION_TIMEOUT: '4.5s' };
    instances = await startedAll([1, 2, 3].map(() => startRuntime(env, { forkProcess: false })));
    // Warm, as busy deployed instances are: the function loaded, connections to Sync open.
    const warmUp = emu.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    await Promise.all(instances.map((runtime) => runtime.post(PRE_EVENT_PATH, messageAdd({ ConversationSid: warmUp }))));
  });
  afterAll(() => Promise.all(instances.map((r) => r.stop())));

  // A refusal is the limit itself, or, where instances raced for the same slots longer than the
  // decision could wait (a loaded machine makes that likelier), `rate.contended`: never an
  // admission past the limit, never a fail-open, never a failure. An admission is missing only
  // where a contended refusal took its place, and never more than half of the limit.
  test.each([0, 100])('a burst of 90 messages on one conversation, 30 to each instance, Sync answering in %i ms: at most 30 admitted, every refusal the limit or contended, no 429, no fail-open', async (latency) => {
    emu.reset();
    emu.setLatency(latency, { product: 'sync' });
    const sid = emu.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    const logsBefore = instances.map((r) => r.guardLogs().length);
    const answers = (await Promise.all(instances.map((runtime) => postAll(runtime, PRE_EVENT_PATH, Array.from({ length: 30 }, () => messageAdd({ ConversationSid: sid })))))).flat();
    emu.setLatency(0);
    const outcomes = instances.flatMap((r, i) => r.guardLogs().slice(logsBefore[i]).filter((l) => 'outcome' in l).map((l) => `${l.outcome}${l.error ? `: ${l.error}` : ''}`));
    expect(outcomes.filter((o) => !['allow', 'reject', 'contended'].some((ok) => o.startsWith(ok)))).toEqual([]);
    const codes = answers.filter((a) => a.status !== 200).map((a) => (a.json as { code?: string }).code);
    expect(codes.filter((code) => code !== 'rate.actions-per-conversation' && code !== 'rate.contended')).toEqual([]);
    const admitted = answers.filter((a) => a.status === 200).length;
    const contended = codes.filter((code) => code === 'rate.contended').length;
    expect(admitted).toBeLessThanOrEqual(30);
    expect(admitted).toBeGreaterThanOrEqual(Math.min(29, 30 - contended));
    // However contended, the burst gets at least half the limit through.
    expect(admitted).toBeGreaterThanOrEqual(15);
    expect(Object.values(emu.counters()).reduce((n, c) => n + c.throttled, 0)).toBe(0);
  });
});
