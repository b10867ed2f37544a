/**
 * RateGate: every rate rule applied to one event in two phases (reserve reads, commit writes), the
 * violation a rejected action gets, and what happens when Sync cannot count: the insurance limiter
 * of this (warm) instance decides, and when it admits the decision goes to FAIL_MODE.
 */
import { parseSettings } from '../../../src/guard/config/load';
import type { Settings } from '../../../src/guard/config/variables';
import { parseEvent } from '../../../src/guard/event/parse';
import type { PreEvent } from '../../../src/guard/event/types';
import { CONTENDED, RateGate, RateStoreUnavailableError } from '../../../src/guard/rate/gate';
import { MemoryRateLimiter } from '../../../src/guard/rate/memory-limiter';
import { SlotRateLimiter, slotsId } from '../../../src/guard/rate/slot-limiter';
import type { SlotStore } from '../../../src/guard/store/slot-store';
import { conversationAdd, messageAdd, participantAdd } from '../../support/events';
import { FailingSlotStore, HangingSlotStore, manualClock, RecordingSlotStore, takeFirst } from '../../support/rate-store';
import type { MemorySlotStore } from '../../../src/guard/store/memory-slot-store';

type Line = Record<string, unknown>;

function gateOver(store: SlotStore, options: { clock?: () => number; insurance?: MemoryRateLimiter; timeoutMs?: number } = {}) {
  const lines: Line[] = [];
  let built = 0;
  const limiter = new SlotRateLimiter(store, { now: options.clock });
  const insurance = options.insurance ?? new MemoryRateLimiter(options.clock);
  const gate = new RateGate(
    () => {
      built++;
      return limiter;
    },
    insurance,
    (line) => lines.push(line),
    options.timeoutMs ?? 1_000,
  );
  const decide = async (event: PreEvent, settings: Settings) => gate.commit(await gate.reserve(event, settings));
  return { gate, decide, lines, insurance, built: () => built };
}

const only = (vars: Record<string, string>) =>
  parseSettings({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: 'off', RATE_LIMIT_CONVERSATIONS_PER_SERVICE: 'off', ...vars });

const inConversation = (sid: string, fields: Record<string, string> = {}) => parseEvent(messageAdd({ ConversationSid: sid, ...fields }));
const CH = (n: number) => 'CH' + String(n).padStart(32, '0');
/** The slot group a rule of one group (`limit` per 10 s) keeps a key's slots in. */
const groupOf = (rule: string, limit: number, key: string) => {
  const window = { limit, windowMs: 10_000 };
  return SlotRateLimiter.groupOf(slotsId(rule, window, key), window, 0);
};

describe('with Sync counting', () => {
  test('admits up to the limit, then rejects with the rule\'s code, the limit in words and when to retry', async () => {
    const clock = manualClock();
    const { decide } = gateOver(new RecordingSlotStore(), { clock: clock.now });
    const settings = only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '3/10s' });
    for (let i = 0; i < 3; i++) {
      expect(await decide(inConversation(CH(1)), settings)).toBeUndefined();
      clock.advance(1_000);
    }
    const violation = await decide(inConversation(CH(1)), settings);
    expect(violation).toEqual({
      code: 'rate.actions-per-conversation',
      message: 'Too many actions in this conversation: rate limit "actions-per-conversation" allows 3 per 10 seconds; retry in 7000 ms.',
      limit: 3,
      actual: 4,
      variable: 'RATE_LIMIT_ACTIONS_PER_CONVERSATION',
      retryAfterMs: 7_000,
    });
    expect(await decide(inConversation(CH(2)), settings)).toBeUndefined();
  });

  const EVENTS = { conversationAdd: () => parseEvent(conversationAdd()), messageAdd: () => inConversation(CH(1)) };
  test.each([
    ['RATE_LIMIT_CONVERSATIONS_PER_SERVICE', 'rate.conversations-per-service', 'conversationAdd', 'in this Conversations service'],
    ['RATE_LIMIT_MESSAGES_PER_AUTHOR', 'rate.messages-per-author', 'messageAdd', 'from this author'],
  ] as const)('%s: the code is %s (on %s) and the message says "%s"', async (variable, code, event, where) => {
    const { decide } = gateOver(new RecordingSlotStore(), { clock: manualClock().now });
    const settings = only({ [variable]: '1/1s' });
    expect(await decide(EVENTS[event](), settings)).toBeUndefined();
    const violation = await decide(EVENTS[event](), settings);
    expect(violation).toMatchObject({ code, variable, limit: 1, actual: 2, retryAfterMs: 1_000 });
    expect(violation?.message).toContain(where);
  });

  test('a RATE_LIMITS rule rejects with rate.<name> and names RATE_LIMITS', async () => {
    const { decide } = gateOver(new RecordingSlotStore(), { clock: manualClock().now });
    const settings = only({ RATE_LIMITS: 'joins=1/1 minute per participant' });
    expect(await decide(parseEvent(participantAdd({ Identity: 'dave' })), settings)).toBeUndefined();
    expect(await decide(parseEvent(participantAdd({ Identity: 'dave', ConversationSid: CH(9) })), settings)).toMatchObject({
      code: 'rate.joins',
      variable: 'RATE_LIMITS',
      message: expect.stringContaining('for this participant'),
      retryAfterMs: 60_000,
    });
    expect(await decide(parseEvent(participantAdd({ Identity: 'erin' })), settings)).toBeUndefined();
  });

  test('an event no rule applies to builds no Sync limiter and makes no request', async () => {
    const store = new RecordingSlotStore();
    const { decide, built } = gateOver(store);
    expect(await decide(parseEvent(conversationAdd()), only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '1/1s' }))).toBeUndefined();
    expect(built()).toBe(0);
    expect(store.calls).toEqual([]);
  });

  test('rules are counted apart even on the same key: a per-conversation and an email rule', async () => {
    const store = new RecordingSlotStore();
    const { decide } = gateOver(store, { clock: manualClock().now });
    const settings = only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '5/10s', RATE_LIMITS: 'email-actions=2/10s per conversation from email' });
    const email = () => parseEvent(messageAdd({ ConversationSid: CH(1) }, 'email'));
    expect(await decide(email(), settings)).toBeUndefined();
    expect(await decide(email(), settings)).toBeUndefined();
    expect(await decide(email(), settings)).toMatchObject({ code: 'rate.email-actions' });
    expect(await decide(inConversation(CH(1)), settings)).toBeUndefined();
    expect(new Set(store.calls.filter((c) => c.op === 'take').map((c) => c.group)).size).toBe(2);
  });

  test('an action one rule already refuses on reads takes no place in the other rules\' windows', async () => {
    const store = new RecordingSlotStore();
    const { decide } = gateOver(store, { clock: manualClock().now });
    // A noisy author is held to 2 messages; the conversation allows 4 actions.
    const settings = only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '4/10s', RATE_LIMIT_MESSAGES_PER_AUTHOR: '2/10s' });
    const from = (author: string) => inConversation(CH(1), { Author: author, ClientIdentity: author });
    expect(await decide(from('mallory'), settings)).toBeUndefined();
    expect(await decide(from('mallory'), settings)).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(await decide(from('mallory'), settings)).toMatchObject({ code: 'rate.messages-per-author' });
    // The five refused messages did not happen: the conversation still has room for two more.
    expect(await decide(from('alice'), settings)).toBeUndefined();
    expect(await decide(from('bob'), settings)).toBeUndefined();
    expect(await decide(from('carol'), settings)).toMatchObject({ code: 'rate.actions-per-conversation' });
  });
});

describe('when Sync cannot count', () => {
  const settings = only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '2/10s' });

  test.each([
    ['throttled (429 / 54009)', () => new FailingSlotStore({ status: 429, code: 54009 }), /429 \/ 54009/],
    ['failing (500)', () => new FailingSlotStore({ status: 500, code: 20500 }), /500 \/ 20500/],
    ['unreachable', () => new FailingSlotStore({}), /ECONNREFUSED/],
  ])('%s: the insurance limiter admits, and FAIL_MODE is left to decide', async (_kind, makeStore, detail) => {
    const { decide, lines } = gateOver(makeStore());
    const error = await decide(inConversation(CH(1)), settings).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateStoreUnavailableError);
    expect((error as Error).message).toMatch(/^rate\.actions-per-conversation: /);
    expect((error as Error).message).toMatch(detail);
    expect(lines).toEqual([
      { warning: 'rate counter unavailable, insurance limiter used', rule: 'rate.actions-per-conversation', error: expect.stringMatching(detail), insurance: 'admit' },
    ]);
  });

  test('once the insurance limiter is full it rejects with the rate rule\'s code, however FAIL_MODE is set', async () => {
    const clock = manualClock();
    const { decide, lines } = gateOver(new FailingSlotStore(), { clock: clock.now });
    await expect(decide(inConversation(CH(1)), settings)).rejects.toThrow(RateStoreUnavailableError);
    clock.advance(3_000);
    await expect(decide(inConversation(CH(1)), settings)).rejects.toThrow(RateStoreUnavailableError);
    clock.advance(1_000);
    expect(await decide(inConversation(CH(1)), settings)).toMatchObject({
      code: 'rate.actions-per-conversation',
      variable: 'RATE_LIMIT_ACTIONS_PER_CONVERSATION',
      limit: 2,
      retryAfterMs: 6_000,
    });
    expect(lines.at(-1)).toMatchObject({ warning: 'rate counter unavailable, insurance limiter used', insurance: 'deny' });
    // Another conversation has its own window in the insurance limiter too.
    await expect(decide(inConversation(CH(2)), settings)).rejects.toThrow(RateStoreUnavailableError);
  });

  test('the insurance limiter knows what Sync admitted before Sync failed', async () => {
    const clock = manualClock();
    const insurance = new MemoryRateLimiter(clock.now);
    const healthy = gateOver(new RecordingSlotStore(), { clock: clock.now, insurance });
    expect(await healthy.decide(inConversation(CH(1)), settings)).toBeUndefined();
    expect(await healthy.decide(inConversation(CH(1)), settings)).toBeUndefined();
    const failing = gateOver(new FailingSlotStore(), { clock: clock.now, insurance });
    expect(await failing.decide(inConversation(CH(1)), settings)).toMatchObject({ code: 'rate.actions-per-conversation' });
  });

  test('Sync not answering: the insurance limiter decides once syncTimeoutMs has passed', async () => {
    const store = new HangingSlotStore();
    const { decide, lines } = gateOver(store, { timeoutMs: 150 });
    const started = Date.now();
    const error = await decide(inConversation(CH(1)), settings).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateStoreUnavailableError);
    expect((error as Error).message).toMatch(/did not answer within 150 ms/);
    // Generous: the point is that it comes back at all, well before Twilio's 5 s.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(store.requests).toBe(1);
    expect(lines[0]).toMatchObject({ insurance: 'admit' });
  });

  test('an error that is not Sync trouble (a bug) is not papered over by the insurance limiter', async () => {
    const broken: SlotStore = {
      list: () => Promise.reject(new TypeError('boom')),
      take: () => Promise.reject(new TypeError('boom')),
    };
    const { decide, lines } = gateOver(broken);
    await expect(decide(inConversation(CH(1)), settings)).rejects.toThrow(TypeError);
    expect(lines).toEqual([]);
  });

  test('contention: every slot raced for is lost to other instances until the time is up; refused as rate.contended, never as the limit, and never admitted past it', async () => {
    const clock = manualClock();
    const store = new RecordingSlotStore();
    // Another instance always takes the chosen slot first, but never all of them: room is always seen.
    let stolen = 0;
    store.beforeTake = async (group, key, raw) => {
      stolen++;
      await takeFirst(raw, group, key, clock.now() - 20_000);
    };
    const { decide, lines } = gateOver(store, { clock: clock.now });
    const violation = await decide(inConversation(CH(1)), only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '2/10s' }));
    expect(violation).toMatchObject({ code: CONTENDED, limit: 2, actual: 2, variable: 'RATE_LIMIT_ACTIONS_PER_CONVERSATION', retryAfterMs: 5_000 });
    expect(violation?.message).toMatch(/^Too many simultaneous actions raced for rate limit "actions-per-conversation" \(2 per 10 seconds\).*The limit may not be reached; retry in 5000 ms\.$/);
    expect(violation?.message).not.toContain('Too many actions in this conversation');
    expect(stolen).toBeGreaterThan(1);
    // Sync answered every time: the insurance limiter and FAIL_MODE have nothing to decide.
    expect(lines).toEqual([]);
  });

  test('one rule counted in Sync, another whose Sync documents fail: a rejection by the counted rule wins', async () => {
    const clock = manualClock();
    const failingNames = new Set([groupOf('messages-per-author', 5, 'alice')]);
    const store = new RecordingSlotStore();
    const partly: SlotStore = {
      list: (group) => (failingNames.has(group) ? new FailingSlotStore().list(group) : store.list(group)),
      take: (group, key, takenAt, revision, ttl) => (failingNames.has(group) ? new FailingSlotStore().take(group, key) : store.take(group, key, takenAt, revision)),
    };
    const { decide } = gateOver(partly, { clock: clock.now });
    const both = only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '1/10s', RATE_LIMIT_MESSAGES_PER_AUTHOR: '5/10s' });
    // The conversation's rule admits, the author's cannot count: FAIL_MODE decides.
    await expect(decide(inConversation(CH(1)), both)).rejects.toThrow(/^rate\.messages-per-author: /);
    // Now the conversation is full: that is a rejection, whatever the author's counters do.
    expect(await decide(inConversation(CH(1)), both)).toMatchObject({ code: 'rate.actions-per-conversation' });
  });
});

describe('a rule whose read fails asks the insurance limiter before any rule writes', () => {
  // The conversation's rule cannot reach Sync (503, or 54009 throttling); the author's reads and writes
  // work. A key's first action reads nothing: the failure shows at its write, beside the author's
  // rule's. From then on the conversation's group is read first, and its failure is known before any write.
  const authorGroup = groupOf('messages-per-author', 5, 'alice');
  const fromAlice = () => inConversation(CH(1), { Author: 'alice', ClientIdentity: 'alice' });

  function partlyFailing(failure: { status: number; code: number }, conversationLimit = 1) {
    const conversationGroup = groupOf('actions-per-conversation', conversationLimit, CH(1));
    const store = new RecordingSlotStore();
    const failing = new FailingSlotStore(failure);
    const partly: SlotStore = {
      list: (group, size) => (group === conversationGroup ? failing.list(group) : store.list(group, size)),
      take: (group, key, takenAt, revision, ttl, writer) => (group === conversationGroup ? failing.take(group, key) : store.take(group, key, takenAt, revision, ttl, writer)),
    };
    return { store, partly, failing };
  }

  test.each([
    ['failing (503)', { status: 503, code: 20503 }],
    ['throttled (429 / 54009)', { status: 429, code: 54009 }],
  ])('%s: an action the insurance limiter refuses takes no slot of the author\'s rule', async (_kind, failure) => {
    const clock = manualClock();
    const { store, partly, failing } = partlyFailing(failure);
    const { decide } = gateOver(partly, { clock: clock.now });
    const settings = only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '1/10s', RATE_LIMIT_MESSAGES_PER_AUTHOR: '5/10s' });
    // The insurance limiter admits the first (FAIL_MODE decides: open admits it, and the author's rule counts it)...
    await expect(decide(fromAlice(), settings)).rejects.toThrow(/^rate\.actions-per-conversation: /);
    expect(await store.raw.list(authorGroup)).toHaveLength(1);
    // ...and refuses the next three, each after a failed read: they take no slot of alice's.
    for (let i = 0; i < 3; i++) expect(await decide(fromAlice(), settings)).toMatchObject({ code: 'rate.actions-per-conversation' });
    expect(failing.requests).toBe(4);
    expect(store.writes()).toBe(1);
    expect(await store.raw.list(authorGroup)).toHaveLength(1);
  });

  test('FAIL_MODE=closed: once a rule\'s Sync failure is known, an action the insurance limiter admits is refused anyway, and no other rule writes', async () => {
    const clock = manualClock();
    const { store, partly } = partlyFailing({ status: 503, code: 20503 }, 2);
    const { decide } = gateOver(partly, { clock: clock.now });
    const closed = only({ FAIL_MODE: 'closed', RATE_LIMIT_ACTIONS_PER_CONVERSATION: '2/10s', RATE_LIMIT_MESSAGES_PER_AUTHOR: '5/10s' });
    // The key's first action: the failure shows at the conversation's write, sent beside the author's.
    await expect(decide(fromAlice(), closed)).rejects.toThrow(RateStoreUnavailableError);
    expect(store.writes()).toBe(1);
    // The next: the conversation's read fails, the insurance limiter admits, FAIL_MODE refuses: no write.
    await expect(decide(fromAlice(), closed)).rejects.toThrow(RateStoreUnavailableError);
    expect(store.writes()).toBe(1);
    // In shadow mode FAIL_MODE refuses nothing: the author's rule counts the action as before.
    const shadow = partlyFailing({ status: 503, code: 20503 }, 2);
    const { decide: decideShadow } = gateOver(shadow.partly, { clock: clock.now });
    const inShadow = only({ GUARD_MODE: 'shadow', FAIL_MODE: 'closed', RATE_LIMIT_ACTIONS_PER_CONVERSATION: '2/10s', RATE_LIMIT_MESSAGES_PER_AUTHOR: '5/10s' });
    await expect(decideShadow(fromAlice(), inShadow)).rejects.toThrow(RateStoreUnavailableError);
    await expect(decideShadow(fromAlice(), inShadow)).rejects.toThrow(RateStoreUnavailableError);
    expect(shadow.store.writes()).toBe(2);
  });
});

describe('an action one rule refuses at its write', () => {
  // The conversation allows 1 action in 10 s, the author 2; another instance takes the conversation's
  // only slot between this decision's read and its write, so the conversation's rule refuses at its write.
  const settings = only({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '1/10s', RATE_LIMIT_MESSAGES_PER_AUTHOR: '2/10s' });
  const conversationGroup = groupOf('actions-per-conversation', 1, CH(1));
  const authorGroup = groupOf('messages-per-author', 2, 'alice');
  const fromAlice = () => inConversation(CH(1), { Author: 'alice', ClientIdentity: 'alice' });
  const takenFor = (store: RecordingSlotStore, group: string) => store.calls.filter((c) => c.op === 'take' && c.group === group && c.result === 'taken');

  /** The store, and a promise that settles once the conversation's rule has read its group again after losing its race. */
  function racedStore(clock: ReturnType<typeof manualClock>) {
    const store = new RecordingSlotStore();
    const inner: SlotStore = store;
    let reads = 0;
    let reread!: () => void;
    const conversationReread = new Promise<void>((resolve) => (reread = resolve));
    const watched: SlotStore = {
      list: async (group) => {
        const slots = await store.list(group);
        if (group === conversationGroup && ++reads === 2) reread();
        return slots;
      },
      take: (...args: Parameters<SlotStore['take']>) => inner.take(...args),
    };
    const stealConversation = async (group: string, key: string, raw: MemorySlotStore) => {
      if (group === conversationGroup) await takeFirst(raw, group, key, clock.now());
    };
    return { store, watched, conversationReread, stealConversation };
  }

  test('the other rules stop racing: a rule that lost its first race takes no slot once the action is refused', async () => {
    const clock = manualClock();
    const { store, watched, conversationReread, stealConversation } = racedStore(clock);
    let authorTakes = 0;
    store.beforeTake = async (group, key, raw) => {
      await stealConversation(group, key, raw);
      if (group !== authorGroup || authorTakes++ > 0) return;
      // The author's first race is lost too, and its write answers only once the conversation's rule has refused.
      await takeFirst(raw, group, key, clock.now());
      await conversationReread;
      await new Promise((resolve) => setTimeout(resolve, 0));
    };
    const { decide } = gateOver(watched, { clock: clock.now });
    expect(await decide(fromAlice(), settings)).toMatchObject({ code: 'rate.actions-per-conversation', retryAfterMs: 10_000 });
    expect(takenFor(store, authorGroup)).toEqual([]);
    // The slot alice's refused message did not take is still hers to use.
    expect((await store.raw.list(authorGroup)).length).toBe(1);
  });

  test('a slot another rule took at the same moment stays taken for one period, and only makes that rule stricter', async () => {
    const clock = manualClock();
    const { store, watched, stealConversation } = racedStore(clock);
    store.beforeTake = (group, key, raw) => stealConversation(group, key, raw);
    const { decide } = gateOver(watched, { clock: clock.now });
    expect(await decide(fromAlice(), settings)).toMatchObject({ code: 'rate.actions-per-conversation' });
    // At most one slot of the author's rule per refused action...
    expect(takenFor(store, authorGroup)).toHaveLength(1);
    store.beforeTake = undefined;
    // ...so alice has one message left in this window, in another conversation, not two: never more than 2.
    expect(await decide(inConversation(CH(2), { Author: 'alice', ClientIdentity: 'alice' }), settings)).toBeUndefined();
    expect(await decide(inConversation(CH(3), { Author: 'alice', ClientIdentity: 'alice' }), settings)).toMatchObject({ code: 'rate.messages-per-author' });
    // ...and for one period only.
    clock.advance(10_000);
    expect(await decide(inConversation(CH(3), { Author: 'alice', ClientIdentity: 'alice' }), settings)).toBeUndefined();
  });
});
