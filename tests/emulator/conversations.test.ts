import { DEFAULT_CONVERSATIONS_SERVICE_SID, startEmulator, type Emulator } from '../../emulator';
import { ISO_DATE, SID, call, emulatorPath, errorOf } from './http';

const CONV = '/conversations/v1/Conversations';
const SERVICE = 'IS0123456789abcdef0123456789abcdef';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const createConversation = (form: Record<string, string> = {}, base = CONV) => call(emu, 'POST', base, { form });
const addParticipant = (sid: string, form: Record<string, string>, base = CONV) =>
  call(emu, 'POST', `${base}/${sid}/Participants`, { form });

describe('Conversations', () => {
  it('creates a conversation with the shape Twilio returns', async () => {
    const res = await createConversation({ FriendlyName: 'Support', UniqueName: 'ticket-1', Attributes: '{"a":1}' });
    expect(res.status).toBe(201);
    const url = `https://conversations.twilio.com/v1/Conversations/${res.body.sid}`;
    expect(res.body).toEqual({
      sid: expect.stringMatching(SID('CH')),
      account_sid: 'AC0123456789abcdef0123456789abcdef',
      chat_service_sid: DEFAULT_CONVERSATIONS_SERVICE_SID,
      messaging_service_sid: expect.stringMatching(SID('MG')),
      friendly_name: 'Support',
      unique_name: 'ticket-1',
      attributes: '{"a":1}',
      date_created: expect.stringMatching(ISO_DATE),
      date_updated: expect.stringMatching(ISO_DATE),
      state: 'active',
      timers: {},
      bindings: {},
      url,
      links: {
        participants: `${url}/Participants`,
        messages: `${url}/Messages`,
        webhooks: `${url}/Webhooks`,
        export: `${url}/Export`,
      },
    });
  });

  it('fetches by sid or unique name, updates and deletes', async () => {
    const { body: conv } = await createConversation({ UniqueName: 'u1' });
    expect((await call(emu, 'GET', `${CONV}/u1`)).body.sid).toBe(conv.sid);
    const updated = await call(emu, 'POST', `${CONV}/${conv.sid}`, { form: { State: 'inactive', FriendlyName: 'later' } });
    expect(updated.body).toMatchObject({ state: 'inactive', friendly_name: 'later', attributes: '{}' });
    expect((await call(emu, 'POST', `${CONV}/${conv.sid}`, { form: { State: 'sleeping' } })).status).toBe(400);
    expect((await call(emu, 'DELETE', `${CONV}/u1`)).status).toBe(204);
    const gone = await call(emu, 'GET', `${CONV}/${conv.sid}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual(errorOf(20404, 404));
  });

  it('refuses a duplicate unique name (409, 50353)', async () => {
    await createConversation({ UniqueName: 'same' });
    const res = await createConversation({ UniqueName: 'same' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual(errorOf(50353, 409));
  });

  it('scopes conversations to the service named in the path', async () => {
    const base = `/conversations/v1/Services/${SERVICE}/Conversations`;
    const { body: conv } = await createConversation({}, base);
    expect(conv.chat_service_sid).toBe(SERVICE);
    expect(conv.url).toBe(`https://conversations.twilio.com/v1/Services/${SERVICE}/Conversations/${conv.sid}`);
    expect((await call(emu, 'GET', `${CONV}/${conv.sid}`)).status).toBe(404);
    const { body: p } = await addParticipant(conv.sid, { Identity: 'alice' }, base);
    expect(p.chat_service_sid).toBe(SERVICE);
    expect(p.url).toBe(`https://conversations.twilio.com/v1/Services/${SERVICE}/Conversations/${conv.sid}/Participants/${p.sid}`);
    expect((await call(emu, 'GET', '/conversations/v1/Services/not-a-sid/Conversations')).status).toBe(404);
  });

  it('lists conversations with paging metadata and a State filter', async () => {
    await createConversation();
    await createConversation({ State: 'closed' });
    const all = await call(emu, 'GET', CONV);
    expect(all.body.conversations).toHaveLength(2);
    expect(all.body.meta).toEqual({
      page: 0,
      page_size: 50,
      first_page_url: 'https://conversations.twilio.com/v1/Conversations?PageSize=50&Page=0',
      previous_page_url: null,
      url: 'https://conversations.twilio.com/v1/Conversations?PageSize=50&Page=0',
      next_page_url: null,
      key: 'conversations',
    });
    const closed = await call(emu, 'GET', `${CONV}?State=closed`);
    expect(closed.body.conversations.map((c: { state: string }) => c.state)).toEqual(['closed']);
  });
});

describe('Participants', () => {
  let conversationSid: string;
  beforeEach(async () => {
    conversationSid = (await createConversation()).body.sid;
  });

  it('renders chat, SMS, WhatsApp and projected-address participants', async () => {
    const chat = await addParticipant(conversationSid, { Identity: 'alice', Attributes: '{"role":"agent"}' });
    expect(chat.status).toBe(201);
    expect(chat.body).toEqual({
      account_sid: 'AC0123456789abcdef0123456789abcdef',
      conversation_sid: conversationSid,
      sid: expect.stringMatching(SID('MB')),
      identity: 'alice',
      attributes: '{"role":"agent"}',
      messaging_binding: null,
      role_sid: expect.stringMatching(SID('RL')),
      date_created: expect.stringMatching(ISO_DATE),
      date_updated: expect.stringMatching(ISO_DATE),
      url: `https://conversations.twilio.com/v1/Conversations/${conversationSid}/Participants/${chat.body.sid}`,
      last_read_message_index: null,
      last_read_timestamp: null,
    });
    const sms = await addParticipant(conversationSid, {
      'MessagingBinding.Address': '+15558675310',
      'MessagingBinding.ProxyAddress': '+15017122661',
    });
    expect(sms.body).toMatchObject({
      identity: null,
      messaging_binding: { type: 'sms', address: '+15558675310', proxy_address: '+15017122661', projected_address: null },
    });
    const whatsapp = await addParticipant(conversationSid, {
      'MessagingBinding.Address': 'whatsapp:+15558675311',
      'MessagingBinding.ProxyAddress': 'whatsapp:+15017122661',
    });
    expect(whatsapp.body.messaging_binding.type).toBe('whatsapp');
    const projected = await addParticipant(conversationSid, { Identity: 'bob', 'MessagingBinding.ProjectedAddress': '+15017122662' });
    expect(projected.body.messaging_binding).toEqual({ type: 'sms', projected_address: '+15017122662' });
  });

  it('fetches by sid or identity and deletes', async () => {
    const { body: p } = await addParticipant(conversationSid, { Identity: 'alice' });
    expect((await call(emu, 'GET', `${CONV}/${conversationSid}/Participants/alice`)).body.sid).toBe(p.sid);
    expect((await call(emu, 'DELETE', `${CONV}/${conversationSid}/Participants/${p.sid}`)).status).toBe(204);
    expect((await call(emu, 'GET', `${CONV}/${conversationSid}/Participants/${p.sid}`)).status).toBe(404);
    expect((await addParticipant(conversationSid, { Identity: 'alice' })).status).toBe(201);
  });

  it('refuses a duplicate identity (409, 50433) and a participant with neither identity nor address', async () => {
    await addParticipant(conversationSid, { Identity: 'alice' });
    const dup = await addParticipant(conversationSid, { Identity: 'alice' });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual(errorOf(50433, 409));
    expect((await addParticipant(conversationSid, { Attributes: '{}' })).status).toBe(400);
  });

  it('pages through 120 participants: three pages of 50, next_page_url followed until null', async () => {
    const created: string[] = [];
    for (let i = 0; i < 120; i += 1) created.push((await addParticipant(conversationSid, { Identity: `user-${i}` })).body.sid);

    const pages: Array<{ count: number; meta: Record<string, unknown> }> = [];
    const seen: string[] = [];
    let path: string | null = `${CONV}/${conversationSid}/Participants?PageSize=50`;
    while (path) {
      const res = await call(emu, 'GET', path);
      expect(res.status).toBe(200);
      pages.push({ count: res.body.participants.length, meta: res.body.meta });
      seen.push(...res.body.participants.map((p: { sid: string }) => p.sid));
      const next: string | null = res.body.meta.next_page_url;
      if (next) {
        const query = new URL(next).searchParams;
        expect([query.get('PageSize'), query.get('Page')]).toEqual(['50', String(pages.length)]);
        expect(query.get('PageToken')).toBeTruthy();
      }
      path = next ? emulatorPath(next) : null;
    }
    expect(pages.map((p) => p.count)).toEqual([50, 50, 20]);
    expect(pages.map((p) => p.meta.page)).toEqual([0, 1, 2]);
    expect(pages[2]!.meta.next_page_url).toBeNull();
    expect(seen).toEqual(created);

    const previous = await call(emu, 'GET', emulatorPath(pages[2]!.meta.previous_page_url as string));
    expect(previous.body.participants.map((p: { sid: string }) => p.sid)).toEqual(created.slice(50, 100));
  });

  it('answers an out-of-range PageSize with a Twilio error', async () => {
    for (const size of ['0', '101', 'many']) {
      const res = await call(emu, 'GET', `${CONV}/${conversationSid}/Participants?PageSize=${size}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorOf(20001, 400));
    }
  });

  it('caps a conversation at 1000 participants (50417)', async () => {
    // 990 seeded (the seeder applies the REST API's limits), the last 10 added over REST, at once.
    for (let i = 0; i < 990; i += 1) emu.seed.participant(conversationSid, { identity: `p-${i}` });
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => addParticipant(conversationSid, { Identity: `p-${990 + i}` })));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
    const over = await addParticipant(conversationSid, { Identity: 'one-too-many' });
    expect(over.status).toBe(400);
    expect(over.body).toEqual(errorOf(50417, 400));
  });

  it('caps non-chat participants at 50 (50418)', async () => {
    for (let i = 0; i < 50; i += 1) {
      const res = await addParticipant(conversationSid, { 'MessagingBinding.Address': `+1555000${String(i).padStart(4, '0')}` });
      expect(res.status).toBe(201);
    }
    const over = await addParticipant(conversationSid, { 'MessagingBinding.Address': '+15559999999' });
    expect(over.status).toBe(400);
    expect(over.body.code).toBe(50418);
    expect((await addParticipant(conversationSid, { Identity: 'chat-still-fits' })).status).toBe(201);
  });

  it('caps an identity at 1000 open conversations (50214); closed ones do not count', async () => {
    const sids = Array.from({ length: 1000 }, () => emu.seed.conversation({}));
    for (const sid of sids.slice(0, 990)) emu.seed.participant(sid, { identity: 'busy' });
    const replies = await Promise.all(sids.slice(990).map((sid) => addParticipant(sid, { Identity: 'busy' })));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
    const extra = emu.seed.conversation({});
    const over = await addParticipant(extra, { Identity: 'busy' });
    expect(over.status).toBe(400);
    expect(over.body).toEqual(errorOf(50214, 400));
    await call(emu, 'POST', `${CONV}/${sids[0]}`, { form: { State: 'closed' } });
    expect((await addParticipant(extra, { Identity: 'busy' })).status).toBe(201);
  });
});
