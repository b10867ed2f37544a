/**
 * The limits that need remote state, through the real local Functions runtime and the Twilio API
 * emulator: what Twilio's webhook request gets back, and which REST requests the guard made.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { CHAT_SERVICE_SID, messageAdd, participantAdd, smsParticipantAdd, type FormFields } from '../support/events';
import { files, mediaField, file } from '../support/media';
import { PRE_EVENT_PATH, startRuntime, type Runtime, type RuntimeResponse } from '../support/runtime';
import { textOfChars } from '../support/settings';
import { conversationsRequests, freshNumber, RESOLVED_DEFAULT_SERVICE, runtimeEnv, seedIdentityConversations, seedMembers, syncRequests } from '../support/state-emulator';

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
