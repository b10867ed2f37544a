/**
 * The limits that need remote state, through the real local Functions runtime and the Twilio API
 * emulator: what Twilio's webhook request gets back, and which REST requests the guard made.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { syncName } from '../../src/guard/store/names';
import { ACCOUNT_SID, CHAT_SERVICE_SID, messageAdd, participantAdd, smsParticipantAdd, type FormFields } from '../support/events';
import { POST_EVENT_PATH } from '../support/fuzz-webhook';
import { files, mediaField, file } from '../support/media';
import { PRE_EVENT_PATH, startRuntime, type Runtime, type RuntimeResponse } from '../support/runtime';
import { textOfChars } from '../support/settings';
import { waitFor } from '../support/wait';
import { conversationsRequests, emulatorClient, emulatorStore, freshNumber, RESOLVED_DEFAULT_SERVICE, runtimeEnv, seedIdentityConversations, seedMembers, syncRequests } from '../support/state-emulator';

/** The 403 body a developer reads, with both numbers in its message. */
function expectRejected(res: RuntimeResponse, expected: { code: string; limit: number; actual: number; variable?: string; channel?: string }) {
  expect(res.status).toBe(403);
  expect(res.json).toMatchObject(expected);
  const message = (res.json as { message?: unknown }).message;
  expect(typeof message).toBe('string');
  expect(message).toContain(expected.limit.toLocaleString('en-US'));
  expect(message).toContain(expected.actual.toLocaleString('en-US'));
  expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'reject', rule: expected.code }));
}

function expectAllowed(res: RuntimeResponse) {
  expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
  expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'allow' }));
}

const join = (conversationSid: string, identity: string, fields: FormFields = {}) => participantAdd({ ConversationSid: conversationSid, Identity: identity, ...fields });
const smsJoin = (conversationSid: string, channel: 'sms' | 'whatsapp' = 'sms') =>
  smsParticipantAdd(channel, { ConversationSid: conversationSid, 'MessagingBinding.Address': channel === 'sms' ? freshNumber() : `whatsapp:${freshNumber()}` });
/** The same request from the account's default Conversations service: no ChatServiceSid. */
const withoutService = ({ ChatServiceSid: _omit, ...fields }: FormFields) => fields;
const seedConversation = () => emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

describe('participant caps with small overrides', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(
      runtimeEnv(emulator, { MAX_PARTICIPANTS: '5', MAX_NON_CHAT_PARTICIPANTS: '3', MAX_GROUP_MMS_PARTICIPANTS: '4', MAX_CONVERSATIONS_PER_IDENTITY: '3', IDENTITY_TALLY_EXACT_MARGIN: '1' }),
    );
  });
  afterAll(() => runtime.stop());

  test('MAX_PARTICIPANTS=5: the fifth participant joins, the sixth is rejected with participant.count', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 3, sms: 1 });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, join(sid, 'bob')));
    seedMembers(emulator, sid, { chat: 1 });
    expectRejected(await runtime.post(PRE_EVENT_PATH, join(sid, 'carol')), { code: 'participant.count', limit: 5, actual: 6, variable: 'MAX_PARTICIPANTS' });
  });

  test.each(['sms', 'whatsapp'] as const)('MAX_NON_CHAT_PARTICIPANTS=3: a third %s participant joins, a fourth is rejected; chat members do not count', async (channel) => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 1, sms: 1, whatsapp: 1 });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, smsJoin(sid, channel)));
    seedMembers(emulator, sid, { sms: 1 });
    expectRejected(await runtime.post(PRE_EVENT_PATH, smsJoin(sid, channel)), { code: 'participant.non-chat.count', limit: 3, actual: 4, variable: 'MAX_NON_CHAT_PARTICIPANTS', channel });
  });

  test('MAX_GROUP_MMS_PARTICIPANTS=4: a Group MMS takes a fourth participant, not a fifth', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { projected: 1, groupMms: 2 });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, join(sid, 'bob')));
    seedMembers(emulator, sid, { chat: 1 });
    expectRejected(await runtime.post(PRE_EVENT_PATH, join(sid, 'carol')), { code: 'participant.group-mms.count', limit: 4, actual: 5, variable: 'MAX_GROUP_MMS_PARTICIPANTS', channel: 'sms' });
  });

  test('a conversation with proxied SMS members is not a Group MMS: the fifth participant joins', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { sms: 2, chat: 2 });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, join(sid, 'bob')));
  });

  test('MAX_CONVERSATIONS_PER_IDENTITY=3: an identity in 2 conversations joins a third, in 3 it is refused a fourth', async () => {
    seedIdentityConversations(emulator, 'bob', 2, { serviceSid: CHAT_SERVICE_SID });
    seedIdentityConversations(emulator, 'bob', 2, { serviceSid: CHAT_SERVICE_SID, state: 'closed' });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, join(seedConversation(), 'bob')));

    emulator.reset();
    const member = seedIdentityConversations(emulator, 'bob', 3, { serviceSid: CHAT_SERVICE_SID });
    const res = await runtime.post(PRE_EVENT_PATH, join(seedConversation(), 'bob'));
    expectRejected(res, { code: 'participant.identity.conversations', limit: 3, actual: 4, variable: 'MAX_CONVERSATIONS_PER_IDENTITY' });
    expect((res.json as { message: string }).message).toContain('"bob"');

    // A conversation the identity is already in does not count twice.
    expectAllowed(await runtime.post(PRE_EVENT_PATH, join(member[0]!, 'bob')));
  });

  test('the identity cap is per Conversations service', async () => {
    seedIdentityConversations(emulator, 'bob', 3); // default service
    expectAllowed(await runtime.post(PRE_EVENT_PATH, join(seedConversation(), 'bob')));
    const res = await runtime.post(PRE_EVENT_PATH, withoutService(join(emulator.seed.conversation({}), 'bob')));
    expect((res.json as { code?: string }).code).toBe('participant.identity.conversations');
  });

  test('with a ChatServiceSid every Conversations request goes to /Services/IS…', async () => {
    const sid = seedConversation();
    seedIdentityConversations(emulator, 'bob', 1, { serviceSid: CHAT_SERVICE_SID });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, join(sid, 'bob')));
    const paths = conversationsRequests(emulator).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([`/conversations/v1/Services/${CHAT_SERVICE_SID}/Conversations/${sid}/Participants`, `/conversations/v1/Services/${CHAT_SERVICE_SID}/ParticipantConversations`]),
    );
    expect(paths.every((p) => p.startsWith(`/conversations/v1/Services/${CHAT_SERVICE_SID}/`))).toBe(true);
  });

  test('without a ChatServiceSid (older payloads) the conversation names its service, and the tally follows it', async () => {
    const sid = emulator.seed.conversation({});
    expectAllowed(await runtime.post(PRE_EVENT_PATH, withoutService(join(sid, 'bob'))));
    const paths = conversationsRequests(emulator).map((e) => e.path);
    expect(paths.sort()).toEqual(
      [`/conversations/v1/Conversations/${sid}`, `/conversations/v1/Conversations/${sid}/Participants`, `/conversations/v1/Services/${RESOLVED_DEFAULT_SERVICE}/ParticipantConversations`].sort(),
    );
  });

  test('without a ChatServiceSid, a conversation outside the default service is no decision: FAIL_MODE answers', async () => {
    const sid = seedConversation();
    const res = await runtime.post(PRE_EVENT_PATH, withoutService(join(sid, 'bob')));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs.find((line) => 'outcome' in line)).toMatchObject({ outcome: 'fail-open', error: expect.stringContaining('not found') });
  });
});

describe('defaults: 50 non-chat participants, fan-out to SMS and WhatsApp', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    // Every limit at its default. No rejection counters: a flush falling due (10 s after the first)
    // would add Sync requests to whichever request is being counted when a slow run reaches it.
    runtime = await startRuntime(runtimeEnv(emulator, { STATUS_COUNTERS: 'off' }));
  });
  afterAll(() => runtime.stop());

  test('the 50th non-chat participant joins, the 51st is rejected; chat participants do not count', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 10, sms: 30, whatsapp: 19 });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, smsJoin(sid)));
    seedMembers(emulator, sid, { sms: 1 });
    expectRejected(await runtime.post(PRE_EVENT_PATH, smsJoin(sid, 'whatsapp')), { code: 'participant.non-chat.count', limit: 50, actual: 51, variable: 'MAX_NON_CHAT_PARTICIPANTS', channel: 'whatsapp' });
    expect(conversationsRequests(emulator)).toHaveLength(2); // one page of up to 100 participants per decision
  });

  describe('a conversation with an SMS participant', () => {
    let sid: string;
    beforeEach(() => {
      sid = seedConversation();
      seedMembers(emulator, sid, { chat: 2, sms: 1 });
    });
    const say = (fields: FormFields) => runtime.post(PRE_EVENT_PATH, messageAdd({ ConversationSid: sid, ...fields }));

    test('a 1601-character body is rejected with message.fanout.sms.body-chars, 1600 are delivered', async () => {
      expectRejected(await say({ Body: textOfChars(1601) }), { code: 'message.fanout.sms.body-chars', limit: 1600, actual: 1601, variable: 'MAX_SMS_BODY_CHARS', channel: 'sms' });
      expectAllowed(await say({ Body: textOfChars(1600) }));
    });

    test('emoji count 2: 799 emoji and 2 letters are delivered, 800 emoji and 1 letter are not', async () => {
      expectAllowed(await say({ Body: '😀'.repeat(799) + 'ab' }));
      expectRejected(await say({ Body: '😀'.repeat(800) + 'a' }), { code: 'message.fanout.sms.body-chars', limit: 1600, actual: 1601 });
    });

    test('a gif is rejected for MMS delivery', async () => {
      const res = await say({ Media: mediaField([file('gif', 1000)]) });
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'message.fanout.sms.media.type', variable: 'MMS_EXTENSIONS', channel: 'sms' });
    });

    test('a short text makes no Conversations request', async () => {
      expectAllowed(await say({ Body: 'see you at 5' }));
      expect(conversationsRequests(emulator)).toHaveLength(0);
      expect(syncRequests(emulator)).toHaveLength(0);
    });

    test('the participant list comes from the service-scoped path', async () => {
      await say({ Body: textOfChars(1601) });
      expect(conversationsRequests(emulator).map((e) => e.path)).toEqual([`/conversations/v1/Services/${CHAT_SERVICE_SID}/Conversations/${sid}/Participants`]);
    });
  });

  test('the same 1601 characters are delivered in a chat-only conversation', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 3 });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, messageAdd({ ConversationSid: sid, Body: textOfChars(1601) })));
  });

  test('two files for a WhatsApp participant are rejected with message.fanout.whatsapp.media.count', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 1, whatsapp: 1 });
    // An email address may attach several files (a chat author only one, by its attachment row); sent
    // through the REST API, the message is judged rather than annotated as an inbound one would be.
    const res = await runtime.post(PRE_EVENT_PATH, messageAdd({ ConversationSid: sid, Source: 'API', Body: 'two photos', Media: mediaField(files(2, 'jpg', 1000)) }, 'email'));
    expectRejected(res, { code: 'message.fanout.whatsapp.media.count', limit: 1, actual: 2, variable: 'WHATSAPP_MAX_FILES', channel: 'whatsapp' });
  });

  test('a message with media in a 50-participant conversation makes exactly one Conversations request', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 50 });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, messageAdd({ ConversationSid: sid, Body: '', Media: mediaField([file('gif', 1000)]) })));
    const requests = conversationsRequests(emulator);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.query.PageSize).toBe('100');
  });
});

/**
 * Joins at the participant caps of large conversations, with two instances of the functions sharing
 * the emulator as deployed instances share Twilio: one answers the post-events (and keeps the page
 * index of each participant list), the other decides. The answer at each cap comes from the listing,
 * with the index or without it.
 */
describe('large conversations: the caps stay exact with the page index the post-event keeps', () => {
  let decider: Runtime;
  let keeper: Runtime;
  beforeAll(async () => {
    const env = runtimeEnv(emulator, { STATUS_COUNTERS: 'off' });
    [decider, keeper] = await Promise.all([startRuntime(env), startRuntime(env)]);
  });
  afterAll(() => Promise.all([decider.stop(), keeper.stop()]));

  const pagesIndex = (sid: string) => syncName('pages', CHAT_SERVICE_SID, sid);
  const participantPages = (sid: string) => conversationsRequests(emulator).filter((e) => e.path.endsWith(`/Conversations/${sid}/Participants`));
  /** What Twilio does after adding or removing a participant: the post-event, answered by the other instance. */
  async function postEvent(sid: string, eventType: 'onParticipantAdded' | 'onParticipantRemoved', fields: FormFields = {}) {
    const res = await keeper.post(POST_EVENT_PATH, { AccountSid: ACCOUNT_SID, ChatServiceSid: CHAT_SERVICE_SID, EventType: eventType, ConversationSid: sid, Source: 'SDK', RetryCount: '0', ParticipantSid: 'MB' + '3'.repeat(32), ...fields });
    expect(res.logs).toContainEqual(expect.objectContaining({ event: eventType, outcome: 'recorded' }));
  }
  const indexWrites = (sid: string) => emulator.log.filter((e) => e.product === 'sync' && e.method === 'POST' && `${e.path} ${e.object ?? ''}`.includes(pagesIndex(sid)));

  test('999, 1000 and 1001 participants: the 1000th joins in three round trips, the 1001st is refused, each page read once', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 989, sms: 10 });
    await postEvent(sid, 'onParticipantAdded', { Identity: 'member-last' });
    expect(indexWrites(sid)).toHaveLength(1);

    // Twilio holds page 1 and the index: a chat join reads the index beside page 1 (and its tally).
    // Then it holds every later page: pages 2 to 10 are all asked for before any is answered, and the
    // tally write follows them: three round trips.
    emulator.clearLog();
    const first = emulator.hold({ product: 'conversations', pathIncludes: `/Conversations/${sid}/Participants` });
    const index = emulator.hold({ product: 'sync', method: 'GET', pathIncludes: pagesIndex(sid) });
    const deciding = decider.post(PRE_EVENT_PATH, join(sid, 'newcomer'));
    await Promise.all([first.arrived(1), index.arrived(1)]);
    expect(first.waiting).toBe(1);
    const later = emulator.hold({ product: 'conversations', pathIncludes: `/Conversations/${sid}/Participants` });
    first.release();
    index.release();
    await later.arrived(9);
    expect(later.waiting).toBe(9);
    // Only the join's ledger entry went out beside the reads (with its Map, the identity's first join).
    const tallyWrites = () => emulator.log.filter((e) => e.method === 'POST' && !e.path.includes('/Maps'));
    expect(tallyWrites()).toEqual([]);
    later.release();
    expectAllowed(await deciding);
    // The rebuilt tally's write (the newcomer had none), the third round, went out once the last page was answered.
    const answered = Math.max(...participantPages(sid).map((e) => e.at + e.ms));
    expect(tallyWrites().map((e) => e.at >= answered)).toEqual([true]);
    const pages = participantPages(sid);
    expect(pages).toHaveLength(10);
    expect(new Set(pages.map((e) => e.query.PageToken ?? '')).size).toBe(10);
    expect(syncRequests(emulator).filter((e) => e.path.includes(pagesIndex(sid))).map((e) => e.method)).toEqual(['GET']);

    // Twilio adds the 1000th; the next join is refused with both numbers, from the listing.
    seedMembers(emulator, sid, { chat: 1 });
    await postEvent(sid, 'onParticipantAdded', { Identity: 'member-1000' });
    emulator.clearLog();
    expectRejected(await decider.post(PRE_EVENT_PATH, join(sid, 'one-too-many')), { code: 'participant.count', limit: 1000, actual: 1001, variable: 'MAX_PARTICIPANTS' });
    expect(participantPages(sid)).toHaveLength(10);
    expect(indexWrites(sid)).toHaveLength(0); // decisions only read the index
  });

  test('changes no post-event reported: a participant removed mid-list and another added are both seen', async () => {
    const sid = seedConversation();
    const members = seedMembers(emulator, sid, { chat: 1000 });
    await postEvent(sid, 'onParticipantAdded', { Identity: 'member-last' });
    expectRejected(await decider.post(PRE_EVENT_PATH, join(sid, 'newcomer')), { code: 'participant.count', limit: 1000, actual: 1001 });

    // Removed through the REST API without the webhook header: no post-event, the index is stale.
    await emulatorClient(emulator).conversations.v1.services(CHAT_SERVICE_SID).conversations(sid).participants(members[420]!).remove();
    expectAllowed(await decider.post(PRE_EVENT_PATH, join(sid, 'newcomer')));
    seedMembers(emulator, sid, { sms: 1 }); // added the same way, at the end of the list
    expectRejected(await decider.post(PRE_EVENT_PATH, join(sid, 'newcomer')), { code: 'participant.count', limit: 1000, actual: 1001 });

    // The post-event of a later change rewrites the index; the answers stay the same.
    await postEvent(sid, 'onParticipantRemoved', { Identity: 'someone' });
    expect(indexWrites(sid).length).toBeGreaterThan(0);
    expectRejected(await decider.post(PRE_EVENT_PATH, join(sid, 'newcomer')), { code: 'participant.count', limit: 1000, actual: 1001 });
  });

  test('the 50th non-chat participant joins a conversation of 400, the 51st is refused: non-chat members on every page count', async () => {
    const sid = seedConversation();
    for (let i = 0; i < 7; i++) seedMembers(emulator, sid, { chat: 50, sms: 7 }); // 399, 49 of them SMS, spread over four pages
    await postEvent(sid, 'onParticipantAdded', { 'MessagingBinding.Address': freshNumber() });
    expectAllowed(await decider.post(PRE_EVENT_PATH, smsJoin(sid)));
    seedMembers(emulator, sid, { sms: 1 });
    await postEvent(sid, 'onParticipantAdded', { 'MessagingBinding.Address': freshNumber() });
    expectRejected(await decider.post(PRE_EVENT_PATH, smsJoin(sid, 'whatsapp')), { code: 'participant.non-chat.count', limit: 50, actual: 51, variable: 'MAX_NON_CHAT_PARTICIPANTS', channel: 'whatsapp' });
  });

  test('Group MMS at its default cap of 10: the 10th joins, the 11th is refused; a Group MMS member on the last page of 150 makes it one', async () => {
    const mms = seedConversation();
    seedMembers(emulator, mms, { groupMms: 8, projected: 1 });
    expectAllowed(await decider.post(PRE_EVENT_PATH, join(mms, 'bob')));
    seedMembers(emulator, mms, { chat: 1 });
    expectRejected(await decider.post(PRE_EVENT_PATH, join(mms, 'carol')), { code: 'participant.group-mms.count', limit: 10, actual: 11, variable: 'MAX_GROUP_MMS_PARTICIPANTS', channel: 'sms' });

    const large = seedConversation();
    seedMembers(emulator, large, { chat: 149, projected: 1 });
    await postEvent(large, 'onParticipantAdded', { Identity: 'member-last' });
    expectRejected(await decider.post(PRE_EVENT_PATH, join(large, 'bob')), { code: 'participant.group-mms.count', limit: 10, actual: 151 });
  });

  test('an index Sync cannot serve, or one naming another host, changes nothing but the round trips', async () => {
    const sid = seedConversation();
    seedMembers(emulator, sid, { chat: 1000 });
    await postEvent(sid, 'onParticipantAdded', { Identity: 'member-last' });
    const store = emulatorStore(emulatorClient(emulator));
    const stored = await store.get<{ queries: string[] }>(pagesIndex(sid));
    expect(stored?.data.queries).toHaveLength(9);

    // Sync throttles the index (its per-document limit, never retried): the list is read in sequence.
    emulator.clearLog();
    emulator.injectFault({ kind: 'status', status: 429, code: 54009, product: 'sync', pathIncludes: pagesIndex(sid) });
    expectRejected(await decider.post(PRE_EVENT_PATH, join(sid, 'newcomer')), { code: 'participant.count', limit: 1000, actual: 1001 });
    // The decision may answer before the index read does: the next one must not share that read.
    await waitFor(() => syncRequests(emulator).some((e) => e.path.includes(pagesIndex(sid)) && e.status === 429), { what: 'the throttled index read' });
    emulator.clearFaults();

    // Someone with Sync access writes URLs of their own: the guard never sends its credentials there.
    await store.replace(pagesIndex(sid), { queries: ['x@evil.example/steal?PageToken=1', '../../Other?PageToken=2'] }, stored!.revision);
    emulator.clearLog();
    expectRejected(await decider.post(PRE_EVENT_PATH, join(sid, 'newcomer')), { code: 'participant.count', limit: 1000, actual: 1001 });
    // They are only ever read as queries of the list's own URL: two wasted reads on Twilio, nothing else.
    expect(conversationsRequests(emulator).every((e) => e.path.endsWith(`/Conversations/${sid}/Participants`) || e.path.includes('ParticipantConversations'))).toBe(true);
    expect(participantPages(sid)).toHaveLength(12);
  });
});
