/**
 * The post-event function keeping identity tallies, through the real local Functions runtime and the
 * emulator, together with the pre-event decisions that read those tallies.
 */
import type { Twilio } from 'twilio';
import { startEmulator, type Emulator } from '../../emulator';
import { conversationKey, tallyKeys, type TallyData } from '../../src/guard/facts/identity-tally';
import { syncName } from '../../src/guard/store/names';
import type { SyncDocumentStore } from '../../src/guard/store/sync-document-store';
import { ACCOUNT_SID, CHAT_SERVICE_SID, participantAdd } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime } from '../support/runtime';
import { emulatorClient, emulatorStore, readTally, runtimeEnv, seedIdentityConversations, seedMembers, writeTally } from '../support/state-emulator';

const POST_EVENT_PATH = '/conversations/post-event';
const LIMIT = 3;

let emulator: Emulator;
let runtime: Runtime;
let client: Twilio;
let store: SyncDocumentStore;

beforeAll(async () => {
  emulator = await startEmulator();
  client = emulatorClient(emulator);
  store = emulatorStore(client);
  runtime = await startRuntime(runtimeEnv(emulator, { MAX_CONVERSATIONS_PER_IDENTITY: String(LIMIT), IDENTITY_TALLY_EXACT_MARGIN: '1' }));
});
afterAll(async () => {
  await runtime.stop();
  await emulator.close();
});
beforeEach(() => emulator.reset());

function postEvent(eventType: string, conversationSid: string, fields: Record<string, string> = {}): Record<string, string> {
  return { AccountSid: ACCOUNT_SID, ChatServiceSid: CHAT_SERVICE_SID, EventType: eventType, ConversationSid: conversationSid, Source: 'SDK', RetryCount: '0', ...fields };
}
const added = (sid: string, identity: string) => postEvent('onParticipantAdded', sid, { Identity: identity, ParticipantSid: 'MB' + '2'.repeat(32), DateCreated: '2025-01-01T00:00:00Z' });
const removed = (sid: string, identity: string) => postEvent('onParticipantRemoved', sid, { Identity: identity, ParticipantSid: 'MB' + '2'.repeat(32), DateRemoved: '2025-01-01T00:00:00Z' });

const seedConversation = () => emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
const stored = async (identity: string) => {
  const data = await readTally(store, identity, CHAT_SERVICE_SID);
  return data && tallyKeys(data).sort();
};
const keys = (sids: string[]) => sids.map(conversationKey).sort();
const tally = (identity: string, sids: string[]) => writeTally(store, identity, { keys: sids.map(conversationKey).join(''), verifiedAt: Date.now() } satisfies TallyData, CHAT_SERVICE_SID);

describe('the post-event function', () => {
  test('a signed onParticipantAdded records the conversation in the tally and answers 200 {}', async () => {
    const sid = seedConversation();
    await tally('bob', []);
    const res = await runtime.post(POST_EVENT_PATH, added(sid, 'bob'));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs).toContainEqual(expect.objectContaining({ event: 'onParticipantAdded', conversation: sid, outcome: 'recorded' }));
    expect(await stored('bob')).toEqual(keys([sid]));
  });

  test('a repeated onParticipantAdded does not double count', async () => {
    const sid = seedConversation();
    await tally('bob', []);
    await runtime.post(POST_EVENT_PATH, added(sid, 'bob'));
    await runtime.post(POST_EVENT_PATH, added(sid, 'bob'));
    expect(await stored('bob')).toEqual(keys([sid]));
  });

  test('onParticipantRemoved forgets the conversation', async () => {
    const [a, b] = [seedConversation(), seedConversation()];
    await tally('bob', [a, b]);
    await runtime.post(POST_EVENT_PATH, removed(a, 'bob'));
    expect(await stored('bob')).toEqual(keys([b]));
  });

  test('onConversationStateUpdated to closed forgets the conversation for its chat participants', async () => {
    const sid = seedConversation();
    emulator.seed.participant(sid, { identity: 'bob' });
    emulator.seed.participant(sid, { identity: 'alice' });
    await tally('bob', [sid]);
    await tally('alice', [sid]);
    const res = await runtime.post(POST_EVENT_PATH, postEvent('onConversationStateUpdated', sid, { StateFrom: 'active', StateTo: 'closed', Reason: 'API' }));
    expect(res.status).toBe(200);
    expect(await stored('bob')).toEqual([]);
    expect(await stored('alice')).toEqual([]);
  });

  test.each([
    ['no signature', { sign: false }],
    ['a forged signature', { sign: 'forged' }],
  ] as const)('a request with %s is refused with 401 and changes nothing', async (_name, options) => {
    const sid = seedConversation();
    await tally('bob', []);
    emulator.clearLog();
    const res = await runtime.post(POST_EVENT_PATH, added(sid, 'bob'), options);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'request.signature' });
    expect(await stored('bob')).toEqual([]);
  });

  test('a Sync failure is logged and still answered 200 {}', async () => {
    const sid = seedConversation();
    emulator.injectFault({ kind: 'status', status: 503, product: 'sync' });
    const res = await runtime.post(POST_EVENT_PATH, added(sid, 'bob'));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs).toContainEqual(expect.objectContaining({ event: 'onParticipantAdded', outcome: 'error' }));
  });
});

describe('pre-event decisions follow the tally the post-events keep', () => {
  const join = (sid: string) => runtime.post(PRE_EVENT_PATH, participantAdd({ ConversationSid: sid, Identity: 'bob' }));
  /** Twilio, after an allowed join: adds the participant, then fires onParticipantAdded. */
  async function twilioAdds(sid: string) {
    emulator.seed.participant(sid, { identity: 'bob' });
    const res = await runtime.post(POST_EVENT_PATH, added(sid, 'bob'));
    expect(res.status).toBe(200);
  }

  test('joins up to the cap are allowed and counted once each; the next is refused until one is left', async () => {
    const [first] = seedIdentityConversations(emulator, 'bob', 1, { serviceSid: CHAT_SERVICE_SID });
    const [second, third, fourth] = [seedConversation(), seedConversation(), seedConversation()];

    expect((await join(second!)).status).toBe(200);
    await twilioAdds(second!);
    expect(await stored('bob')).toEqual(keys([first!, second!]));

    expect((await join(third!)).status).toBe(200);
    await twilioAdds(third!);
    expect(await stored('bob')).toEqual(keys([first!, second!, third!]));

    const refused = await join(fourth!);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'participant.identity.conversations', limit: LIMIT, actual: LIMIT + 1 });

    // bob leaves the first conversation; Twilio fires onParticipantRemoved.
    await client.conversations.v1.services(CHAT_SERVICE_SID).conversations(first!).participants('bob').remove();
    expect((await runtime.post(POST_EVENT_PATH, removed(first!, 'bob'))).status).toBe(200);
    expect(await stored('bob')).toEqual(keys([second!, third!]));
    const allowed = await join(fourth!);
    expect({ status: allowed.status, body: allowed.json }).toEqual({ status: 200, body: {} });
  });

  test('an onParticipantRemoved that arrives before its onParticipantAdded cannot block a join at the cap', async () => {
    const real = seedIdentityConversations(emulator, 'bob', LIMIT - 1, { serviceSid: CHAT_SERVICE_SID });
    const left = seedConversation();
    await tally('bob', real);
    await runtime.post(POST_EVENT_PATH, removed(left, 'bob'));
    await runtime.post(POST_EVENT_PATH, added(left, 'bob'));
    expect(await stored('bob')).toHaveLength(LIMIT); // the tally believes bob is at the cap

    const res = await join(seedConversation());
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(await stored('bob')).not.toContain(conversationKey(left));
  });
});

describe('the page index of participant lists', () => {
  const pagesIndex = (sid: string) => syncName('pages', CHAT_SERVICE_SID, sid);
  const index = async (sid: string) => (await store.get<{ queries: string[] }>(pagesIndex(sid)))?.data.queries;

  test('onParticipantAdded of an SMS participant writes the index of a conversation of 450; of 250 (three pages, where it saves no round trip) and of 3, nothing is written to Sync', async () => {
    const large = seedConversation();
    seedMembers(emulator, large, { chat: 440, sms: 10 });
    const res = await runtime.post(POST_EVENT_PATH, postEvent('onParticipantAdded', large, { 'MessagingBinding.Address': '+15550001111', ParticipantSid: 'MB' + '4'.repeat(32) }));
    expect(res.logs).toContainEqual(expect.objectContaining({ event: 'onParticipantAdded', outcome: 'recorded' }));
    expect(await index(large)).toHaveLength(4);

    const three = seedConversation();
    seedMembers(emulator, three, { chat: 240, sms: 10 });
    emulator.clearLog();
    await runtime.post(POST_EVENT_PATH, postEvent('onParticipantAdded', three, { 'MessagingBinding.Address': '+15550001113', ParticipantSid: 'MB' + '6'.repeat(32) }));
    expect(emulator.log.filter((e) => e.product === 'sync' && e.method === 'POST')).toEqual([]);
    expect(await index(three)).toBeUndefined();

    const small = seedConversation();
    seedMembers(emulator, small, { chat: 2, sms: 1 });
    emulator.clearLog();
    await runtime.post(POST_EVENT_PATH, postEvent('onParticipantAdded', small, { 'MessagingBinding.Address': '+15550001112', ParticipantSid: 'MB' + '5'.repeat(32) }));
    expect(emulator.log.filter((e) => e.product === 'sync')).toEqual([]);
    expect(emulator.log.filter((e) => e.product === 'conversations')).toHaveLength(1);
  });

  test('onParticipantRemoved rewrites the index when the page URLs moved, and leaves it when they did not', async () => {
    const sid = seedConversation();
    const members = seedMembers(emulator, sid, { chat: 350 });
    await runtime.post(POST_EVENT_PATH, added(sid, 'bob'));
    const before = await index(sid);
    expect(before).toHaveLength(3);

    await client.conversations.v1.services(CHAT_SERVICE_SID).conversations(sid).participants(members[120]!).remove();
    await runtime.post(POST_EVENT_PATH, removed(sid, 'member-x'));
    const after = await index(sid);
    expect(after).toHaveLength(3);
    expect(after).not.toEqual(before);

    emulator.clearLog();
    await runtime.post(POST_EVENT_PATH, removed(sid, 'member-y'));
    expect(emulator.log.filter((e) => e.product === 'sync' && e.method === 'POST')).toEqual([]);
  });

  test('Sync failing for the index: the tally is still kept, the failure logged, the answer 200 {}', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 450 });
    await tally('bob', []);
    emulator.injectFault({ kind: 'status', status: 503, product: 'sync', pathIncludes: pagesIndex(sid) });
    const res = await runtime.post(POST_EVENT_PATH, added(sid, 'bob'));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs).toContainEqual(expect.objectContaining({ event: 'onParticipantAdded', outcome: 'error' }));
    expect(await stored('bob')).toEqual(keys([sid]));
  });
});
