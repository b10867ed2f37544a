import type { Twilio } from 'twilio';
import { startEmulator, type Emulator } from '../../emulator';
import type { Settings } from '../../src/guard/config/variables';
import type { MessageAdd, ParticipantAdd } from '../../src/guard/event/types';
import { conversationKey, tallyKeys, type TallyData } from '../../src/guard/facts/identity-tally';
import { pageIndexCache } from '../../src/guard/facts/participant-pages';
import { refreshParticipantPages } from '../../src/guard/facts/participants';
import { RateGate } from '../../src/guard/rate/gate';
import { MemoryRateLimiter } from '../../src/guard/rate/memory-limiter';
import { SlotRateLimiter } from '../../src/guard/rate/slot-limiter';
import { SyncSlotStore } from '../../src/guard/store/slot-store';
import { remoteJudge } from '../../src/guard/remote';
import type { SyncDocumentStore } from '../../src/guard/store/sync-document-store';
import { AUTHORS, CHAT_SERVICE_SID } from '../support/events';
import { file, files } from '../support/media';
import { parseSettings } from '../../src/guard/config/load';
import { textOfChars } from '../support/settings';
import { RoundClient } from '../support/rounds';
import { expectViolation } from '../support/violations';
import { conversationsRequests, createLedger, emulatorClient, emulatorStore, ledgerName, readLedger, readTally, remoteSettings, RESOLVED_DEFAULT_SERVICE, seedIdentityConversations, seedMembers, syncRequests, writeTally } from '../support/state-emulator';

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

function judge(event: MessageAdd | ParticipantAdd, settings: Settings) {
  const rate = new RateGate(() => new SlotRateLimiter(new SyncSlotStore(client, 'default')), new MemoryRateLimiter(), (line) => logs.push(line), 2000);
  return remoteJudge(settings, { client: () => client, store: () => store, rate, log: () => undefined }).judge(event, 'judge', new AbortController().signal).then((verdict) => verdict.violation);
}

function message(conversationSid: string, fields: Partial<MessageAdd> = {}): MessageAdd {
  return { type: 'onMessageAdd', conversationSid, author: AUTHORS.web.Author, authorChannel: 'web', authorEvidence: 'source', inbound: false, body: 'hello', attributes: '{}', media: [], source: 'SDK', ...fields };
}

function chatJoin(conversationSid: string, identity = 'bob', fields: Partial<ParticipantAdd> = {}): ParticipantAdd {
  return { type: 'onParticipantAdd', conversationSid, identity, channel: 'web', attributes: '{}', ...fields };
}

describe('onMessageAdd', () => {
  const settings = remoteSettings();

  test('a short text makes no Conversations request', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 3, sms: 3, whatsapp: 3 });
    await expect(judge(message(sid), settings)).resolves.toBeUndefined();
    expect(conversationsRequests(emulator)).toHaveLength(0);
    expect(syncRequests(emulator)).toHaveLength(0);
  });

  test('a single small jpg makes no Conversations request either (every channel takes it)', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { sms: 1, whatsapp: 1 });
    await expect(judge(message(sid, { media: [file('jpg', 1000)] }), settings)).resolves.toBeUndefined();
    expect(conversationsRequests(emulator)).toHaveLength(0);
  });

  test('1601 characters with an SMS participant are rejected after one request; 1600 are allowed', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 2, sms: 1 });
    expectViolation(await judge(message(sid, { body: textOfChars(1601) }), settings), { code: 'message.fanout.sms.body-chars', limit: 1600, actual: 1601, channel: 'sms' });
    expect(conversationsRequests(emulator)).toHaveLength(1);
    emulator.clearLog();
    await expect(judge(message(sid, { body: textOfChars(1600) }), settings)).resolves.toBeUndefined();
    expect(conversationsRequests(emulator)).toHaveLength(0);
  });

  test('1601 characters in a chat-only conversation are allowed', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 5 });
    await expect(judge(message(sid, { body: textOfChars(1601) }), settings)).resolves.toBeUndefined();
    expect(conversationsRequests(emulator)).toHaveLength(1);
  });

  test('an SMS author is not a recipient of their own 1601 characters', async () => {
    const sid = emulator.seed.conversation({});
    emulator.seed.participant(sid, { address: AUTHORS.sms.Author, proxyAddress: '+15559870000' });
    seedMembers(emulator, sid, { chat: 2 });
    const own = message(sid, { author: AUTHORS.sms.Author, authorChannel: 'sms', source: 'SMS', body: textOfChars(1601) });
    await expect(judge(own, settings)).resolves.toBeUndefined();
    seedMembers(emulator, sid, { sms: 1 });
    expect((await judge(own, settings))?.code).toBe('message.fanout.sms.body-chars');
  });

  test('two files to a WhatsApp participant are rejected', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 1, whatsapp: 1 });
    expectViolation(await judge(message(sid, { media: files(2, 'jpg', 1000) }), settings), { code: 'message.fanout.whatsapp.media.count', limit: 1, actual: 2, channel: 'whatsapp' });
  });

  test('media in a 50-participant conversation costs exactly one Conversations request', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 40, sms: 10 });
    expect((await judge(message(sid, { media: [file('gif', 1000)] }), settings))?.code).toBe('message.fanout.sms.media.type');
    expect(conversationsRequests(emulator)).toHaveLength(1);
  });

  test('with a ChatServiceSid the participants come from the service-scoped path', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { sms: 1 });
    expect((await judge(message(sid, { chatServiceSid: CHAT_SERVICE_SID, body: textOfChars(1601) }), settings))?.code).toBe('message.fanout.sms.body-chars');
    expect(conversationsRequests(emulator).map((e) => e.path)).toEqual([`/conversations/v1/Services/${CHAT_SERVICE_SID}/Conversations/${sid}/Participants`]);
  });

  test('a Conversations failure is thrown for FAIL_MODE to decide', async () => {
    const sid = emulator.seed.conversation({});
    emulator.injectFault({ kind: 'status', status: 500, product: 'conversations' });
    await expect(judge(message(sid, { body: textOfChars(1601) }), settings)).rejects.toMatchObject({ status: 500 });
  });
});

describe('confirmAuthor: an API Author shaped like an address, looked up among the participants', () => {
  const apiMessage = (conversationSid: string, author: string): MessageAdd => message(conversationSid, { author, source: 'API', authorChannel: author.includes('@') ? 'email' : 'sms', authorEvidence: 'shape' });
  const confirm = (event: MessageAdd) => remoteJudge(remoteSettings(), { client: () => client, store: () => store, log: () => undefined, rate: new RateGate(() => new SlotRateLimiter(new SyncSlotStore(client, 'default')), new MemoryRateLimiter(), () => undefined, 2000) }).confirmAuthor(event, new AbortController().signal);

  test('a chat identity that is an e-mail address is chat', async () => {
    const sid = emulator.seed.conversation({});
    emulator.seed.participant(sid, { identity: 'agent.smith@example.com' });
    await expect(confirm(apiMessage(sid, 'agent.smith@example.com'))).resolves.toMatchObject({ authorChannel: 'web', authorEvidence: 'binding' });
  });

  test("an SMS participant's address is SMS", async () => {
    const sid = emulator.seed.conversation({});
    emulator.seed.participant(sid, { address: '+15551230001', proxyAddress: '+15559870000' });
    await expect(confirm(apiMessage(sid, '+15551230001'))).resolves.toMatchObject({ authorChannel: 'sms', authorEvidence: 'binding' });
  });

  test('an author who is no participant keeps the guess from its shape', async () => {
    const sid = emulator.seed.conversation({});
    await expect(confirm(apiMessage(sid, 'someone@example.com'))).resolves.toMatchObject({ authorChannel: 'email', authorEvidence: 'shape' });
  });
});

describe('onParticipantAdd', () => {
  const settings = remoteSettings({ MAX_PARTICIPANTS: '5', MAX_NON_CHAT_PARTICIPANTS: '3', MAX_GROUP_MMS_PARTICIPANTS: '4', MAX_CONVERSATIONS_PER_IDENTITY: '3', IDENTITY_TALLY_EXACT_MARGIN: '1' });

  test('an allowed chat join builds the missing tally and records the conversation joined', async () => {
    const [existing] = seedIdentityConversations(emulator, 'bob', 1);
    const sid = emulator.seed.conversation({});
    await expect(judge(chatJoin(sid), settings)).resolves.toBeUndefined();
    expect(tallyKeys((await readTally(store, 'bob', RESOLVED_DEFAULT_SERVICE))!).sort()).toEqual([conversationKey(existing!), conversationKey(sid)].sort());
  });

  test('joining twice is recorded once', async () => {
    const sid = emulator.seed.conversation({});
    await judge(chatJoin(sid), settings);
    await judge(chatJoin(sid), settings);
    expect(tallyKeys((await readTally(store, 'bob', RESOLVED_DEFAULT_SERVICE))!)).toEqual([conversationKey(sid)]);
  });

  test('a join the participant cap rejects is not recorded', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 5 });
    expectViolation(await judge(chatJoin(sid), settings), { code: 'participant.count', limit: 5, actual: 6 });
    expect(await readTally(store, 'bob', RESOLVED_DEFAULT_SERVICE)).toBeUndefined(); // a refusal writes nothing
  });

  describe('a join a rate rule refuses is not written to the tally document', () => {
    const oneJoin = remoteSettings({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '1/1m' });

    test('refused on the rate rule\'s reads: the tally the decision rebuilt is written without the refused join', async () => {
      const sid = emulator.seed.conversation({});
      await expect(judge(chatJoin(sid, 'bob'), oneJoin)).resolves.toBeUndefined();
      expect(tallyKeys((await readTally(store, 'bob', RESOLVED_DEFAULT_SERVICE))!)).toEqual([conversationKey(sid)]);
      expect(await judge(chatJoin(sid, 'carol'), oneJoin)).toMatchObject({ code: 'rate.actions-per-conversation', limit: 1, actual: 2 });
      expect(tallyKeys((await readTally(store, 'carol', RESOLVED_DEFAULT_SERVICE))!)).toEqual([]);
      // Carol had no tally: counted exactly, her join needs no ledger entry (the rebuilt document
      // records a join admitted); her ledger's Map, found missing, is created empty for her next joins.
      expect(await readLedger(store, 'carol', RESOLVED_DEFAULT_SERVICE)).toEqual([]);
      expect(emulator.log.filter((e) => e.method === 'POST' && e.path.endsWith(`/Maps/${ledgerName('carol', RESOLVED_DEFAULT_SERVICE)}/Items`)).map((e) => e.status)).toEqual([404]);
    });

    test('the retries of a refused join with no tally list its conversations once: the rebuilt tally is kept', async () => {
      const [existing] = seedIdentityConversations(emulator, 'dave', 1);
      const sid = emulator.seed.conversation({});
      await expect(judge(message(sid), oneJoin)).resolves.toBeUndefined(); // the conversation's one action
      emulator.clearLog();
      for (let retry = 0; retry < 3; retry++) expect(await judge(chatJoin(sid, 'dave'), oneJoin)).toMatchObject({ code: 'rate.actions-per-conversation' });
      expect(conversationsRequests(emulator).filter((e) => e.path.endsWith('/ParticipantConversations'))).toHaveLength(1);
      // The tally holds what Twilio listed, and nothing of the refused join.
      expect(tallyKeys((await readTally(store, 'dave', RESOLVED_DEFAULT_SERVICE))!)).toEqual([conversationKey(existing!)]);
    });

    test('refused at the rate rule\'s write: another instance took the slot between this decision\'s reservation and its write', async () => {
      const sid = emulator.seed.conversation({});
      const listing = emulator.hold({ product: 'conversations', pathIncludes: '/Participants' });
      const joining = judge(chatJoin(sid, 'carol'), oneJoin);
      // Carol's decision has reserved (a conversation its instance knows nothing of: no request) and
      // waits for the participant list.
      await listing.arrived(1);
      await expect(judge(message(sid), oneJoin)).resolves.toBeUndefined(); // another instance's message takes the slot
      listing.release();
      expect(await joining).toMatchObject({ code: 'rate.actions-per-conversation', limit: 1, actual: 2 });
      // The other's create met no Map (404), created it and the slot; carol's create of it lost (409).
      expect(emulator.log.filter((e) => e.product === 'sync' && e.method === 'POST' && e.path.endsWith('/Items') && e.path.includes('/guard_rate_')).map((e) => e.status)).toEqual([404, 201, 409]);
      // Carol's rebuilt tally (no conversation) is written, without the refused join.
      expect(tallyKeys((await readTally(store, 'carol', RESOLVED_DEFAULT_SERVICE))!)).toEqual([]);
    });
  });

  const smsJoin = (sid: string, address: string): ParticipantAdd => ({ type: 'onParticipantAdd', conversationSid: sid, address, proxyAddress: '+15559870000', channel: 'sms', attributes: '{}' });

  test('the participant cap (5): 4 + 1 allowed, 5 + 1 rejected', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 4 });
    await expect(judge(chatJoin(sid), settings)).resolves.toBeUndefined();
    seedMembers(emulator, sid, { chat: 1 });
    expectViolation(await judge(chatJoin(sid, 'carol'), settings), { code: 'participant.count', limit: 5, actual: 6, variable: 'MAX_PARTICIPANTS' });
  });

  test('the non-chat cap (3): 2 + 1 allowed, 3 + 1 rejected, chat members not counted', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 1, sms: 2 });
    await expect(judge(smsJoin(sid, '+15550001111'), settings)).resolves.toBeUndefined();
    seedMembers(emulator, sid, { whatsapp: 1 });
    expectViolation(await judge(smsJoin(sid, '+15550002222'), settings), { code: 'participant.non-chat.count', limit: 3, actual: 4, channel: 'sms' });
  });

  test('the Group MMS cap (4): 3 + 1 allowed, 4 + 1 rejected', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { groupMms: 1, chat: 2 });
    await expect(judge(chatJoin(sid), settings)).resolves.toBeUndefined();
    seedMembers(emulator, sid, { projected: 1 });
    expectViolation(await judge(chatJoin(sid, 'carol'), settings), { code: 'participant.group-mms.count', limit: 4, actual: 5 });
  });

  test('the identity cap: 2 others + this one allowed, 3 others + this one rejected', async () => {
    seedIdentityConversations(emulator, 'bob', 2);
    await expect(judge(chatJoin(emulator.seed.conversation({})), settings)).resolves.toBeUndefined();
    emulator.reset();
    seedIdentityConversations(emulator, 'bob', 3);
    expectViolation(await judge(chatJoin(emulator.seed.conversation({})), settings), { code: 'participant.identity.conversations', limit: 3, actual: 4, variable: 'MAX_CONVERSATIONS_PER_IDENTITY' });
  });

  test('at the identity cap, a conversation the identity is already in is allowed', async () => {
    const sids = seedIdentityConversations(emulator, 'bob', 3);
    await expect(judge(chatJoin(sids[1]!), settings)).resolves.toBeUndefined();
  });

  test('an SMS participant has no identity tally: no Sync request', async () => {
    const sid = emulator.seed.conversation({});
    await expect(judge({ ...chatJoin(sid), identity: undefined, address: '+15550001234', proxyAddress: '+15559870000', channel: 'sms' }, settings)).resolves.toBeUndefined();
    expect(syncRequests(emulator)).toHaveLength(0);
    expect(conversationsRequests(emulator)).toHaveLength(1);
  });

  test('without ChatServiceSid (older payloads) the conversation names its service first: the tally is keyed by the real SID', async () => {
    const sid = emulator.seed.conversation({});
    emulator.clearLog();
    await expect(judge(chatJoin(sid), settings)).resolves.toBeUndefined();
    expect(conversationsRequests(emulator).map((e) => e.path)).toContain(`/conversations/v1/Conversations/${sid}`);
    expect(tallyKeys((await readTally(store, 'bob', RESOLVED_DEFAULT_SERVICE))!)).toEqual([conversationKey(sid)]);
    expect(await readTally(store, 'bob')).toBeUndefined();
  });

  test('without ChatServiceSid, a conversation of another service (404 at the default URL) is no decision: the error reaches FAIL_MODE', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    await expect(judge(chatJoin(sid), settings)).rejects.toThrow();
  });

  /**
   * Conversations of 999 (with its page index) and 50 chat participants, `identity`'s tally as given,
   * and a decision on a join of `identity` whose requests are counted in rounds.
   */
  async function chatJoinsCountingRounds(identity: string, tallyData: TallyData) {
    const large = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, large, { chat: 999 });
    await refreshParticipantPages(client, store, large, CHAT_SERVICE_SID);
    const small = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, small, { chat: 50 });
    await writeTally(store, identity, tallyData, CHAT_SERVICE_SID);
    pageIndexCache.clear(); // the decision's instance is not the post-event's
    const rounds = new RoundClient(emulator.url);
    const roundClient = rounds.client();
    const roundStore = emulatorStore(roundClient);
    const rate = new RateGate(() => new SlotRateLimiter(new SyncSlotStore(roundClient, 'default')), new MemoryRateLimiter(), () => undefined, 2000);
    const decide = (sid: string) =>
      remoteJudge(remoteSettings(), { client: () => roundClient, store: () => roundStore, rate, log: () => undefined }).judge(chatJoin(sid, identity, { chatServiceSid: CHAT_SERVICE_SID }), 'judge', new AbortController().signal);
    return { large, small, rounds, decide };
  }

  test('a chat join with its tally kept: 999 participants with the page index in two rounds (page 1, index, tally, ledger and its entry; pages 2 to 10), 50 in one', async () => {
    const { large, small, rounds, decide } = await chatJoinsCountingRounds('bob', { keys: '', verifiedAt: Date.now() });
    await createLedger(client, 'bob', CHAT_SERVICE_SID); // an earlier join created it

    const joined = await rounds.run(() => decide(large));
    expect(joined.result.violation).toBeUndefined();
    expect(joined.rounds).toBe(2);
    expect(rounds.rounds.map((r) => r.length)).toEqual([5, 9]);
    expect(rounds.rounds[0]).toContainEqual(expect.stringMatching(/^POST .*\/Maps\/guard_joins_\w+\/Items$/));
    expect(rounds.rounds[0]).toContainEqual(expect.stringMatching(/^GET .*\/Maps\/guard_joins_\w+\/Items\?PageSize=100$/));

    const toSmall = await rounds.run(() => decide(small));
    expect(toSmall.result.violation).toBeUndefined();
    expect(toSmall.rounds).toBe(1);
    expect(rounds.rounds.map((r) => r.length)).toEqual([5]); // page 1, the tally, the (absent) index, the ledger and its entry
    // No document write: both joins are in the ledger, and count.
    expect(tallyKeys((await readTally(store, 'bob', CHAT_SERVICE_SID))!)).toEqual([]);
    expect(await readLedger(store, 'bob', CHAT_SERVICE_SID)).toEqual([conversationKey(large), conversationKey(small)].sort());
  });

  test('the first chat join of an identity without a ledger creates its Map: two more rounds (the Map, then the item), then one round again', async () => {
    const { small, rounds, decide } = await chatJoinsCountingRounds('dora', { keys: '', verifiedAt: Date.now() });
    const first = await rounds.run(() => decide(small));
    expect(first.result.violation).toBeUndefined();
    expect(rounds.rounds.map((r) => r.length)).toEqual([5, 1, 1]);
    expect(rounds.rounds[1]).toEqual([expect.stringMatching(/^POST .*\/Maps$/)]);
    expect(await readLedger(store, 'dora', CHAT_SERVICE_SID)).toEqual([conversationKey(small)]);

    const other = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, other, { chat: 3 });
    expect((await rounds.run(() => decide(other))).rounds).toBe(1);
  });

  test('round one reads participants, tally and rate counters at once; the writes follow', async () => {
    const withRates = parseSettings({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1s', MAX_CONVERSATIONS_PER_IDENTITY: '1000' });
    const inService = { chatServiceSid: RESOLVED_DEFAULT_SERVICE };
    const sid = emulator.seed.conversation({});
    seedIdentityConversations(emulator, 'bob', 2);
    // A current tally, so round one is one read each.
    await judge(chatJoin(emulator.seed.conversation({}), 'bob', inService), withRates);
    emulator.clearLog();
    // Twilio holds the participant list and the Sync reads: they are all out at once, before any write.
    const listing = emulator.hold({ product: 'conversations', pathIncludes: '/Participants' });
    const syncReads = emulator.hold({ product: 'sync', method: 'GET' });
    // Then it holds the rate write.
    const rateWrite = emulator.hold({ product: 'sync', method: 'POST', pathIncludes: '/guard_rate_' });

    const judging = judge(chatJoin(sid, 'bob', inService), withRates);
    // The identity tally and its ledger; the rate rule reads nothing of a conversation its instance knows nothing of.
    await Promise.all([listing.arrived(1), syncReads.arrived(2)]);
    // Only the ledger entry is written beside the reads.
    const ledgerEntry = (e: { path: string }) => e.path.includes(`/Maps/${ledgerName('bob', RESOLVED_DEFAULT_SERVICE)}/Items`);
    expect(emulator.log.filter((e) => e.method === 'POST' && !ledgerEntry(e))).toEqual([]);
    listing.release();
    syncReads.release();
    await rateWrite.arrived(1);
    rateWrite.release();
    await expect(judging).resolves.toBeUndefined();
    const writes = emulator.log.filter((e) => e.method === 'POST');
    expect(writes.some((e) => e.path.includes('/guard_rate_'))).toBe(true);
    expect(writes.filter(ledgerEntry)).toHaveLength(1);
    // The tally is current and far from the limit: the ledger holds the join, the document is not written.
    expect(writes.some((e) => e.path.includes('/Documents'))).toBe(false);
    expect(await readLedger(store, 'bob', RESOLVED_DEFAULT_SERVICE)).toContain(conversationKey(sid));
    expect(conversationsRequests(emulator)).toHaveLength(1);
  });
});
