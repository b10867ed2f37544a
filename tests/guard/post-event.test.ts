import type { Twilio } from 'twilio';
import { startEmulator, type Emulator } from '../../emulator';
import type { Settings } from '../../src/guard/config/variables';
import type { ParticipantAdd } from '../../src/guard/event/types';
import { conversationKey, tallyKeys, type TallyData } from '../../src/guard/facts/identity-tally';
import { pageIndexCache } from '../../src/guard/facts/participant-pages';
import { handlePostEvent, MAX_REQUESTS_IN_FLIGHT } from '../../src/guard/post-event';
import { syncName } from '../../src/guard/store/names';
import { RateGate } from '../../src/guard/rate/gate';
import { MemoryRateLimiter } from '../../src/guard/rate/memory-limiter';
import { SlotRateLimiter } from '../../src/guard/rate/slot-limiter';
import { SyncSlotStore } from '../../src/guard/store/slot-store';
import { remoteJudge } from '../../src/guard/remote';
import type { SyncDocumentStore } from '../../src/guard/store/sync-document-store';
import { ACCOUNT_SID, CHAT_SERVICE_SID } from '../support/events';
import { twilioSignature, AUTH_TOKEN } from '../support/twilio-request';
import { RoundClient } from '../support/rounds';
import { expectViolation } from '../support/violations';
import { conversationsRequests, emulatorClient, emulatorStore, readTally, remoteSettings, RESOLVED_DEFAULT_SERVICE, seedIdentityConversations, seedMembers, syncRequests, writeTally } from '../support/state-emulator';

let emulator: Emulator;
let client: Twilio;
let store: SyncDocumentStore;
let logs: Record<string, unknown>[];

beforeAll(async () => {
  emulator = await startEmulator();
  client = emulatorClient(emulator);
  store = emulatorStore(client);
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  logs = [];
});

const PATH = '/conversations/post-event';
const UNSIGNED = { SIGNATURE_CHECK: 'off' };

function post(event: Record<string, unknown>, env: Record<string, unknown> = UNSIGNED) {
  return handlePostEvent({ event, env, path: PATH }, { log: (line) => logs.push(line), client: () => client, store: () => store });
}

/** A post-event as Twilio sends it (default Conversations service unless `serviceSid`). */
function postEvent(eventType: string, conversationSid: string, fields: Record<string, string> = {}, serviceSid?: string): Record<string, string> {
  return { AccountSid: ACCOUNT_SID, EventType: eventType, ConversationSid: conversationSid, Source: 'SDK', RetryCount: '0', ...(serviceSid && { ChatServiceSid: serviceSid }), ...fields };
}
const added = (sid: string, identity: string, serviceSid?: string) => postEvent('onParticipantAdded', sid, { Identity: identity, ParticipantSid: 'MB' + '1'.repeat(32), DateCreated: new Date().toISOString() }, serviceSid);
const removed = (sid: string, identity: string, serviceSid?: string) => postEvent('onParticipantRemoved', sid, { Identity: identity, ParticipantSid: 'MB' + '1'.repeat(32), DateRemoved: new Date().toISOString() }, serviceSid);
const stateUpdated = (sid: string, from: string, to: string, serviceSid?: string) => postEvent('onConversationStateUpdated', sid, { StateFrom: from, StateTo: to, Reason: 'API' }, serviceSid);

// Events without ChatServiceSid are keyed by the conversation's service, the default one here.
async function tally(identity: string, sids: string[], serviceSid = RESOLVED_DEFAULT_SERVICE) {
  await writeTally(store, identity, { keys: sids.map(conversationKey).join(''), verifiedAt: Date.now() } satisfies TallyData, serviceSid);
}
async function stored(identity: string, serviceSid = RESOLVED_DEFAULT_SERVICE) {
  const data = await readTally(store, identity, serviceSid);
  return data && tallyKeys(data).sort();
}
const keys = (sids: string[]) => sids.map(conversationKey).sort();

describe('onParticipantAdded / onParticipantRemoved', () => {
  test('Added records the conversation and answers 200 {}', async () => {
    const sid = emulator.seed.conversation({});
    await tally('bob', []);
    await expect(post(added(sid, 'bob'))).resolves.toEqual({ status: 200, body: {} });
    expect(await stored('bob')).toEqual(keys([sid]));
    expect(logs).toContainEqual(expect.objectContaining({ event: 'onParticipantAdded', conversation: sid, outcome: 'recorded' }));
  });

  test('Added twice (a retried webhook) counts once', async () => {
    const sid = emulator.seed.conversation({});
    await tally('bob', []);
    await post(added(sid, 'bob'));
    await post(added(sid, 'bob'));
    expect(await stored('bob')).toEqual(keys([sid]));
  });

  test('Removed forgets the conversation; twice changes nothing more', async () => {
    const [a, b] = [emulator.seed.conversation({}), emulator.seed.conversation({})];
    await tally('bob', [a, b]);
    await post(removed(a, 'bob'));
    await post(removed(a, 'bob'));
    expect(await stored('bob')).toEqual(keys([b]));
  });

  test('without a tally, onParticipantAdded builds it exactly from the REST API, with the join, in one write', async () => {
    const earlier = seedIdentityConversations(emulator, 'bob', 3);
    const sid = emulator.seed.conversation({});
    await post(added(sid, 'bob'));
    expect(await stored('bob')).toEqual(keys([...earlier, sid]));
    expect(syncRequests(emulator).filter((e) => e.method === 'POST')).toHaveLength(1);
  });

  test('a ChatServiceSid selects that service’s tally', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    await tally('bob', [], CHAT_SERVICE_SID);
    await tally('bob', []);
    await post(added(sid, 'bob', CHAT_SERVICE_SID));
    expect(await stored('bob', CHAT_SERVICE_SID)).toEqual(keys([sid]));
    expect(await stored('bob')).toEqual([]);
  });

  test('an empty ChatServiceSid: the pre-event join and the post-event use the same tally', async () => {
    const [a, b] = [emulator.seed.conversation({}), emulator.seed.conversation({})];
    const rate = new RateGate(() => new SlotRateLimiter(new SyncSlotStore(client, 'default')), new MemoryRateLimiter(), () => undefined, 2000);
    const settings = remoteSettings();
    await remoteJudge(settings, { client: () => client, store: () => store, rate, log: () => undefined }).judge({ type: 'onParticipantAdd', conversationSid: a, identity: 'bob', channel: 'web', attributes: '{}', chatServiceSid: '' }, 'judge', new AbortController().signal);
    expect(await stored('bob')).toEqual(keys([a]));
    await post({ ...added(b, 'bob'), ChatServiceSid: '' });
    expect(await stored('bob')).toEqual(keys([a, b]));
  });

  test('an SMS participant (no Identity) touches no tally', async () => {
    const sid = emulator.seed.conversation({});
    await post(postEvent('onParticipantAdded', sid, { 'MessagingBinding.Address': '+15550001111' }));
    expect(syncRequests(emulator)).toHaveLength(0);
  });
});

describe('onConversationStateUpdated', () => {
  test('closed: every chat participant forgets the conversation; SMS participants are ignored', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    const other = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    emulator.seed.participant(sid, { identity: 'alice' });
    emulator.seed.participant(sid, { identity: 'bob' });
    seedMembers(emulator, sid, { sms: 2 });
    await tally('alice', [sid, other], CHAT_SERVICE_SID);
    await tally('bob', [sid], CHAT_SERVICE_SID);

    await expect(post(stateUpdated(sid, 'inactive', 'closed', CHAT_SERVICE_SID))).resolves.toEqual({ status: 200, body: {} });
    expect(await stored('alice', CHAT_SERVICE_SID)).toEqual(keys([other]));
    expect(await stored('bob', CHAT_SERVICE_SID)).toEqual([]);
    expect(conversationsRequests(emulator).map((e) => e.path)).toEqual([`/conversations/v1/Services/${CHAT_SERVICE_SID}/Conversations/${sid}/Participants`]);
  });

  test('between active and inactive nothing changes what counts: no request at all', async () => {
    const sid = emulator.seed.conversation({});
    emulator.seed.participant(sid, { identity: 'alice' });
    await tally('alice', []);
    emulator.clearLog();
    await post(stateUpdated(sid, 'active', 'inactive'));
    await post(stateUpdated(sid, 'inactive', 'active'));
    expect(emulator.log.filter((e) => e.product !== 'control')).toEqual([]);
    expect(await stored('alice')).toEqual([]);
  });

  test('reopened (from closed): the conversation counts again and is recorded', async () => {
    const sid = emulator.seed.conversation({});
    emulator.seed.participant(sid, { identity: 'alice' });
    await tally('alice', []);
    await post(stateUpdated(sid, 'closed', 'active'));
    expect(await stored('alice')).toEqual(keys([sid]));
  });

  test('closing a conversation of 100 chat participants holds at most 10 Twilio requests at once', async () => {
    const sid = emulator.seed.conversation({});
    for (let i = 0; i < 100; i++) {
      emulator.seed.participant(sid, { identity: `member-${i}` });
      await tally(`member-${i}`, [sid]);
    }
    emulator.clearLog();
    emulator.setLatency(5);
    await expect(post(stateUpdated(sid, 'active', 'closed'))).resolves.toEqual({ status: 200, body: {} });
    expect(emulator.inFlight().peak).toBeGreaterThan(1);
    expect(emulator.inFlight().peak).toBeLessThanOrEqual(10);
    expect(await stored('member-99')).toEqual([]);
  });
});

describe('requests in flight', () => {
  test('onParticipantAdded walks a list of 1000 beside a tally rebuild: the walk and the tally share one bound of 10 requests at once', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 1000 });
    seedIdentityConversations(emulator, 'bob', 3, { serviceSid: CHAT_SERVICE_SID });
    // A stale index that names ten pages no page names any more: every one of them is asked for early.
    const pagesIndex = syncName('pages', CHAT_SERVICE_SID, sid);
    await store.create(pagesIndex, { queries: Array.from({ length: 10 }, (_, i) => `PageSize=100&Page=${i + 1}&PageToken=PAstale${i}`) });
    pageIndexCache.clear();
    const rounds = new RoundClient(emulator.url);
    const roundClient = rounds.client();
    const roundStore = emulatorStore(roundClient);
    const { result } = await rounds.run(() =>
      handlePostEvent({ event: added(sid, 'bob', CHAT_SERVICE_SID), env: UNSIGNED, path: PATH }, { log: (line) => logs.push(line), client: () => roundClient, store: () => roundStore }),
    );
    expect(result).toEqual({ status: 200, body: {} });
    expect(logs).toContainEqual(expect.objectContaining({ event: 'onParticipantAdded', outcome: 'recorded' }));
    // Each round is the requests waiting at once.
    expect(Math.max(...rounds.rounds.map((r) => r.length))).toBe(MAX_REQUESTS_IN_FLIGHT);
    expect(await stored('bob', CHAT_SERVICE_SID)).toHaveLength(4);
    expect((await store.get<{ queries: string[] }>(pagesIndex))?.data.queries.every((q) => !q.includes('stale'))).toBe(true);
  });
});

describe('what the post-event function never does', () => {
  test('onConversationRemoved makes no request', async () => {
    await expect(post(postEvent('onConversationRemoved', emulator.seed.conversation({})))).resolves.toEqual({ status: 200, body: {} });
    expect(emulator.log.filter((e) => e.product !== 'control')).toHaveLength(0);
  });

  test('a failing Sync is logged, not thrown, and still answers 200 {}', async () => {
    const sid = emulator.seed.conversation({});
    emulator.injectFault({ kind: 'status', status: 500, product: 'sync' });
    await expect(post(added(sid, 'bob'))).resolves.toEqual({ status: 200, body: {} });
    expect(logs).toContainEqual(expect.objectContaining({ event: 'onParticipantAdded', outcome: 'error', error: expect.stringContaining('500') }));
  });

  test('a request without ConversationSid is answered 200 {} without a request', async () => {
    const { ConversationSid: _omit, ...event } = added('CH' + '0'.repeat(32), 'bob');
    await expect(post(event)).resolves.toEqual({ status: 200, body: {} });
    expect(emulator.log).toHaveLength(0);
  });

  test('an unsigned request is refused (401) before any request', async () => {
    const answer = await post(added(emulator.seed.conversation({}), 'bob'), { AUTH_TOKEN, DOMAIN_NAME: 'localhost:3000' });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'request.signature' });
    expect(emulator.log).toHaveLength(0);
  });

  test('a signed request is accepted', async () => {
    const sid = emulator.seed.conversation({});
    await tally('bob', []);
    const event = added(sid, 'bob');
    const signature = twilioSignature(AUTH_TOKEN, `http://localhost:3000${PATH}`, event);
    const answer = await post({ ...event, request: { headers: { 'x-twilio-signature': signature } } }, { AUTH_TOKEN, DOMAIN_NAME: 'localhost:3000' });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(await stored('bob')).toEqual(keys([sid]));
  });
});

/**
 * Post-events and pre-event decisions together: the tally drifts when post-events are repeated,
 * reordered or lost, and the decisions near the cap still follow the REST API.
 */
describe('drift between post-events and reality', () => {
  const settings = remoteSettings({ MAX_CONVERSATIONS_PER_IDENTITY: '4', IDENTITY_TALLY_EXACT_MARGIN: '1' });
  const limit = 4;

  function join(event: Pick<ParticipantAdd, 'conversationSid' | 'identity'>, s: Settings = settings) {
    const rate = new RateGate(() => new SlotRateLimiter(new SyncSlotStore(client, 'default')), new MemoryRateLimiter(), () => undefined, 2000);
    return remoteJudge(s, { client: () => client, store: () => store, rate, log: () => undefined }).judge({ type: 'onParticipantAdd', channel: 'web', attributes: '{}', ...event }, 'judge', new AbortController().signal).then((verdict) => verdict.violation);
  }
  /** What Twilio does after an allowed join: adds the participant and fires onParticipantAdded. */
  async function joined(sid: string, identity: string, { deliver = true } = {}) {
    emulator.seed.participant(sid, { identity });
    if (deliver) await post(added(sid, identity));
  }
  async function left(sid: string, identity: string, { deliver = true } = {}) {
    await client.conversations.v1.conversations(sid).participants(identity).remove();
    if (deliver) await post(removed(sid, identity));
  }

  test('joins through the guard fill the tally up to the cap, and the next join is refused', async () => {
    const sids = Array.from({ length: limit + 1 }, () => emulator.seed.conversation({}));
    for (const sid of sids.slice(0, limit)) {
      await expect(join({ conversationSid: sid, identity: 'bob' })).resolves.toBeUndefined();
      await joined(sid, 'bob');
    }
    expect(await stored('bob')).toEqual(keys(sids.slice(0, limit)));
    expectViolation(await join({ conversationSid: sids[limit]!, identity: 'bob' }), { code: 'participant.identity.conversations', limit, actual: limit + 1 });
  });

  test('reordered: Removed before Added leaves a conversation the identity left; at the cap the REST count wins', async () => {
    const real = seedIdentityConversations(emulator, 'bob', limit - 1);
    const gone = emulator.seed.conversation({});
    await tally('bob', real);
    // bob joins and leaves `gone`; the post-events arrive in the wrong order.
    emulator.seed.participant(gone, { identity: 'bob' });
    await client.conversations.v1.conversations(gone).participants('bob').remove();
    await post(removed(gone, 'bob'));
    await post(added(gone, 'bob'));
    expect(await stored('bob')).toEqual(keys([...real, gone])); // the tally says 4: at the cap

    emulator.clearLog();
    await expect(join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' })).resolves.toBeUndefined();
    expect(conversationsRequests(emulator).some((e) => e.path.endsWith('/ParticipantConversations'))).toBe(true);
    expect(await stored('bob')).toEqual(expect.arrayContaining(keys(real)));
    expect(await stored('bob')).not.toContain(conversationKey(gone));
  });

  test('lost Added (a REST join fires no webhook): near the cap the REST count refuses the join', async () => {
    const sids = seedIdentityConversations(emulator, 'bob', limit - 1);
    await tally('bob', sids);
    const silent = emulator.seed.conversation({});
    await joined(silent, 'bob', { deliver: false });
    expect(await stored('bob')).toHaveLength(limit - 1); // one short of reality, which is at the cap

    expectViolation(await join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' }), { code: 'participant.identity.conversations', limit, actual: limit + 1 });
    // A refusal writes nothing; near the cap every decision counts exactly, so the next one refuses too.
    expect(await stored('bob')).toHaveLength(limit - 1);
    expectViolation(await join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' }), { code: 'participant.identity.conversations', limit, actual: limit + 1 });
  });

  test('more lost Added than IDENTITY_TALLY_EXACT_MARGIN are trusted until IDENTITY_TALLY_MAX_AGE, then recounted', async () => {
    const sids = seedIdentityConversations(emulator, 'bob', limit - 2);
    const silent = [emulator.seed.conversation({}), emulator.seed.conversation({})];
    for (const sid of silent) await joined(sid, 'bob', { deliver: false });
    const maxAge = settings.IDENTITY_TALLY_MAX_AGE;

    // Two short with a margin of one: the tally is below limit - margin and still fresh, so trusted.
    await writeTally(store, 'bob', { keys: sids.map(conversationKey).join(''), verifiedAt: Date.now() - maxAge + 60_000 } satisfies TallyData, RESOLVED_DEFAULT_SERVICE);
    await expect(join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' })).resolves.toBeUndefined();

    // Once older than IDENTITY_TALLY_MAX_AGE it is rebuilt and the cap holds.
    await writeTally(store, 'bob', { keys: sids.map(conversationKey).join(''), verifiedAt: Date.now() - maxAge - 1 } satisfies TallyData, RESOLVED_DEFAULT_SERVICE);
    expectViolation(await join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' }), { code: 'participant.identity.conversations', limit, actual: limit + 1 });
  });

  test('lost Removed: a tally stuck at the cap does not block once recounted', async () => {
    const sids = seedIdentityConversations(emulator, 'bob', limit);
    await tally('bob', sids);
    await left(sids[0]!, 'bob', { deliver: false });
    expect(await stored('bob')).toHaveLength(limit);

    await expect(join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' })).resolves.toBeUndefined();
    expect(await stored('bob')).not.toContain(conversationKey(sids[0]!));
  });

  test('a closed conversation stops counting once onConversationStateUpdated arrives', async () => {
    const sids = seedIdentityConversations(emulator, 'bob', limit);
    await tally('bob', sids);
    expect((await join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' }))?.code).toBe('participant.identity.conversations');
    await client.conversations.v1.conversations(sids[2]!).update({ state: 'closed' });
    await post(stateUpdated(sids[2]!, 'active', 'closed'));
    await expect(join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' })).resolves.toBeUndefined();
  });

  test('a closed conversation stops counting even when the state post-event is lost', async () => {
    const sids = seedIdentityConversations(emulator, 'bob', limit);
    await tally('bob', sids);
    await client.conversations.v1.conversations(sids[2]!).update({ state: 'closed' });
    await expect(join({ conversationSid: emulator.seed.conversation({}), identity: 'bob' })).resolves.toBeUndefined();
  });
});
