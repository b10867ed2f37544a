/**
 * Fault injection through the emulator: for each way Twilio's REST APIs can fail (Sync throttling,
 * 5xx, no answer, a 200 whose JSON is cut off, pages arriving slowly) and each FAIL_MODE, the answer
 * the webhook gets, the log line that explains it, and that it arrives before the deadline.
 *
 * Every scenario makes the guard need the failing API: a rate rule for Sync; a GIF that SMS
 * participants cannot receive, or a chat join (participant list plus identity tally), for
 * Conversations. Cells covered elsewhere are not repeated here: Conversations hanging or answering
 * 500 and the whole API slower than the deadline (tests/integration/deadline.test.ts), Sync 429
 * with FAIL_MODE=open and Sync 429, 500 and hang with FAIL_MODE=closed on a rate rule
 * (tests/integration/rate-limits.test.ts).
 *
 * Each case runs under one of two deadlines, so that no verdict depends on how busy the machine is:
 * a request that hangs or is far slower than the deadline meets the short one (a slower machine only
 * makes it later), and anything that must fit (a fault answered at once, a few slow pages) meets a
 * long one that is many times the work it must hold. The runtime is one warm process, as a deployed
 * instance is.
 */
import { startEmulator, type Emulator, type Fault, type FaultMatch } from '../../emulator';
import { conversationKey, type TallyData } from '../../src/guard/facts/identity-tally';
import { CHAT_SERVICE_SID, messageAdd, participantAdd, type FormFields } from '../support/events';
import { file, mediaField } from '../support/media';
import { PRE_EVENT_PATH, startRuntime, type Runtime, type RuntimeResponse } from '../support/runtime';
import { emulatorClient, emulatorStore, runtimeEnv, seedIdentityConversations, seedMembers, writeTally } from '../support/state-emulator';

/** Met by requests that hang, or whose injected latency alone is past it. */
const SHORT_TIMEOUT_MS = 600;
/**
 * Holds what must fit with room to spare on a machine at half speed: an immediate fault is seen as
 * that fault (Sync gets 40%, 800 ms), two 30 ms pages are over thirty times inside it.
 */
const LONG_TIMEOUT_MS = 2000;
/**
 * Twilio's own wait for a webhook: what matters to a user is answering before it. Either deadline
 * plus a due rejection-count flush (at most 1 s) is well under half of it.
 */
const TWILIO_TIMEOUT_MS = 5000;
/** Per page of a list: ten pages (1.2 s), or three of twice this (720 ms), are past the short deadline. */
const PAGE_LATENCY_MS = 120;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const freshConversation = () => emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });

/** A chat author's GIF: every chat participant takes it, SMS participants cannot (MMS has no GIF). */
function gifToSms(members = { chat: 2, sms: 1 }): FormFields {
  const sid = freshConversation();
  seedMembers(emulator, sid, members);
  return messageAdd({ ConversationSid: sid, Body: '', Media: mediaField([file('gif', 50_000)]) });
}

/** A chat join: the participant list (Conversations) and the identity's tally (Sync), read together. */
function chatJoin(members = { chat: 2 }): FormFields {
  const sid = freshConversation();
  seedMembers(emulator, sid, members);
  return participantAdd({ ConversationSid: sid, Identity: `joiner-${sid.slice(-6)}` });
}

/** A short chat message: only the rate rule needs a remote fact (Sync). */
const rateCountedMessage = (): FormFields => messageAdd({ ConversationSid: freshConversation(), Body: 'hello' });

async function timedPost(runtime: Runtime, params: FormFields): Promise<RuntimeResponse & { elapsed: number }> {
  const started = performance.now();
  const res = await runtime.post(PRE_EVENT_PATH, params);
  return { ...res, elapsed: performance.now() - started };
}

type Mode = 'open' | 'closed';

/** What FAIL_MODE says the webhook gets when the guard cannot decide, and the line it logs. */
function expectFailMode(res: RuntimeResponse, mode: Mode, error: RegExp) {
  if (mode === 'open') {
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
  } else {
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ code: 'guard.unavailable', message: expect.stringMatching(/could not decide \(.+\) and FAIL_MODE is closed\./), limit: 0, actual: 0 });
    expect((res.json as { message: string }).message).toMatch(error);
  }
  expect(res.logs).toContainEqual(expect.objectContaining({ outcome: `fail-${mode}`, error: expect.stringMatching(error) }));
}

const SYNC: FaultMatch = { product: 'sync' };
const CONVERSATIONS: FaultMatch = { product: 'conversations' };
const PARTICIPANT_PAGES: FaultMatch = { product: 'conversations', method: 'GET', pathIncludes: '/Participants' };

interface Case {
  name: string;
  deadline: 'short' | 'long';
  fault?: Fault;
  latency?: { ms: number; match: FaultMatch };
  request: () => FormFields;
  /** The error the log line (and, closed, the answer's message) names. */
  error: RegExp;
  /** The warning logged when the rate counter could not be read or written. */
  insurance?: RegExp;
}

const SYNC_CASES: Case[] = [
  { name: 'Sync answers 500', deadline: 'long', fault: { kind: 'status', status: 500, ...SYNC }, request: rateCountedMessage, error: /RateStoreUnavailableError/, insurance: /500 \/ 20500/ },
  {
    name: 'Sync does not answer',
    deadline: 'short',
    fault: { kind: 'hang', ...SYNC },
    request: rateCountedMessage,
    error: /RateStoreUnavailableError/,
    // Sync's share of the deadline: 40%.
    insurance: new RegExp(`did not answer within ${SHORT_TIMEOUT_MS * 0.4} ms`),
  },
  { name: 'Sync answers 200 with broken JSON', deadline: 'long', fault: { kind: 'invalid-json', ...SYNC }, request: rateCountedMessage, error: /RateStoreUnavailableError/, insurance: /JSON/ },
];

/** Faults on the identity tally alone (a Sync document), not on the rate slots (Sync Maps). */
const TALLY_FAULTS: Array<[string, Fault]> = [
  ['throttled (429 / 54009)', { kind: 'status', status: 429, code: 54009, product: 'sync', pathIncludes: '/Documents/guard_identity_' }],
  ['answering 200 with broken JSON', { kind: 'invalid-json', product: 'sync', pathIncludes: '/Documents/guard_identity_' }],
];

const CONVERSATIONS_CASES: Case[] = [
  { name: 'Conversations throttled (429), GIF to SMS', deadline: 'long', fault: { kind: 'status', status: 429, ...CONVERSATIONS }, request: () => gifToSms(), error: /429|Too Many Requests/ },
  { name: 'Conversations throttled (429), chat join', deadline: 'long', fault: { kind: 'status', status: 429, ...CONVERSATIONS }, request: () => chatJoin(), error: /429|Too Many Requests/ },
  { name: 'Conversations answers 200 with broken JSON, GIF to SMS', deadline: 'long', fault: { kind: 'invalid-json', ...CONVERSATIONS }, request: () => gifToSms(), error: /JSON/ },
  { name: 'Conversations answers 200 with broken JSON, chat join', deadline: 'long', fault: { kind: 'invalid-json', ...CONVERSATIONS }, request: () => chatJoin(), error: /JSON/ },
  {
    name: 'participant pages slow (10 pages), GIF to SMS',
    deadline: 'short',
    latency: { ms: PAGE_LATENCY_MS, match: PARTICIPANT_PAGES },
    request: () => gifToSms({ chat: 999, sms: 1 }),
    error: new RegExp(`DECISION_TIMEOUT \\(${SHORT_TIMEOUT_MS} ms\\)`),
  },
  {
    name: 'participant pages slow (10 pages), chat join',
    deadline: 'short',
    latency: { ms: PAGE_LATENCY_MS, match: PARTICIPANT_PAGES },
    request: () => chatJoin({ chat: 990 }),
    error: new RegExp(`DECISION_TIMEOUT \\(${SHORT_TIMEOUT_MS} ms\\)`),
  },
  {
    name: 'ParticipantConversations pages slow, chat join of an identity with no tally yet (3 pages to count)',
    deadline: 'short',
    latency: { ms: PAGE_LATENCY_MS * 2, match: { product: 'conversations', pathIncludes: '/ParticipantConversations' } },
    request: () => {
      seedIdentityConversations(emulator, 'many-conversations', 120, { serviceSid: CHAT_SERVICE_SID });
      return { ...chatJoin(), Identity: 'many-conversations' };
    },
    error: new RegExp(`DECISION_TIMEOUT \\(${SHORT_TIMEOUT_MS} ms\\)`),
  },
];

describe.each(['open', 'closed'] as const)('FAIL_MODE=%s', (mode) => {
  const cases = [...SYNC_CASES, ...CONVERSATIONS_CASES];

  describe.each([
    ['short', SHORT_TIMEOUT_MS],
    ['long', LONG_TIMEOUT_MS],
  ] as const)('%s deadline (DECISION_TIMEOUT=%sms)', (deadline, timeoutMs) => {
    let runtime: Runtime;
    beforeAll(async () => {
      runtime = await startRuntime(runtimeEnv(emulator, { FAIL_MODE: mode, DECISION_TIMEOUT: `${timeoutMs}ms`, RATE_LIMIT_ACTIONS_PER_CONVERSATION: '5/10s' }), {
        forkProcess: false,
      });
      // Warm, as a deployed instance is: the Twilio client loaded (a chat join reads Conversations
      // and Sync), so that under the short deadline every request a case expects is sent.
      await runtime.post(PRE_EVENT_PATH, chatJoin());
      emulator.reset();
    });
    afterAll(() => runtime?.stop());

    const own = cases.filter((c) => c.deadline === deadline);
    test.each(own.map((c) => [c.name, c] as const))(`%s: FAIL_MODE=${mode} answers before Twilio's 5 s`, async (_name, c) => {
      const params = c.request();
      if (c.fault) emulator.injectFault(c.fault);
      if (c.latency) emulator.setLatency(c.latency.ms, c.latency.match);

      const res = await timedPost(runtime, params);

      expect(res.elapsed).toBeLessThan(TWILIO_TIMEOUT_MS);
      expectFailMode(res, mode, c.error);
      if (c.insurance) {
        expect(res.logs).toContainEqual(
          expect.objectContaining({ warning: 'rate counter unavailable, insurance limiter used', rule: 'rate.actions-per-conversation', insurance: 'admit', error: expect.stringMatching(c.insurance) }),
        );
      }
      // The fault was met: the guard did ask the failing API.
      const product = (c.fault ?? c.latency!.match).product;
      expect(emulator.log.some((e) => e.product === product)).toBe(true);
    });

    if (deadline !== 'long') return;

    test('participant pages slow but within the deadline (2 pages): decided on the facts, the GIF refused for SMS', async () => {
      const params = gifToSms({ chat: 150, sms: 1 });
      emulator.setLatency(PAGE_LATENCY_MS / 4, PARTICIPANT_PAGES);
      const res = await timedPost(runtime, params);
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'message.fanout.sms.media.type' });
      expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'reject', rule: 'message.fanout.sms.media.type' }));
      expect(emulator.log.filter((e) => e.path.endsWith('/Participants')).map((e) => e.delayMs)).toEqual([PAGE_LATENCY_MS / 4, PAGE_LATENCY_MS / 4]);
    });

    test('ParticipantConversations never answering, old tally far from the cap: the old tally answers at half the deadline, whatever FAIL_MODE', async () => {
      const identity = 'old-tally';
      const sids = seedIdentityConversations(emulator, identity, 120, { serviceSid: CHAT_SERVICE_SID });
      const ancient: TallyData = { keys: sids.map(conversationKey).join(''), verifiedAt: 0 };
      await writeTally(emulatorStore(emulatorClient(emulator)), identity, ancient, CHAT_SERVICE_SID);
      emulator.injectFault({ kind: 'hang', product: 'conversations', pathIncludes: '/ParticipantConversations' });

      const res = await timedPost(runtime, { ...chatJoin(), Identity: identity });

      expect(res.elapsed).toBeLessThan(TWILIO_TIMEOUT_MS);
      expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
      const decision = res.logs.find((l) => l.outcome === 'allow');
      expect(decision).toBeDefined();
      // It waited for the rebuild budget (half the deadline), then decided on the old tally: an
      // allow, not a fail-open, so not the deadline. The count never came.
      expect(decision!.ms).toBeGreaterThanOrEqual(LONG_TIMEOUT_MS / 2 - 5);
      const counts = emulator.log.filter((e) => e.path.endsWith('/ParticipantConversations'));
      expect(counts.length).toBeGreaterThan(0);
      expect(counts.every((e) => e.status !== 200)).toBe(true);
    });
  });
});

describe('FAIL_MODE=closed, default DECISION_TIMEOUT (3 s)', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { FAIL_MODE: 'closed' }));
  });
  afterAll(() => runtime?.stop());

  test.each(TALLY_FAULTS)('Sync %s on the identity tally: bookkeeping does not decide; the count is taken exactly and the join allowed', async (_name, fault) => {
    const params = chatJoin();
    emulator.injectFault(fault);
    const res = await timedPost(runtime, params);
    expect(res.elapsed).toBeLessThan(TWILIO_TIMEOUT_MS);
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'allow' }));
    expect(emulator.log.some((e) => e.path.endsWith('/ParticipantConversations'))).toBe(true);
  });
});
