import { DEFAULT_CONVERSATIONS_SERVICE_SID, startEmulator, type Emulator } from '../../emulator';
import { ISO_DATE, SID, call, emulatorPath, errorOf } from './http';

const BASE = '/conversations/v1';
const SERVICE = 'IS0123456789abcdef0123456789abcdef';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const list = (query: string, base = BASE) => call(emu, 'GET', `${base}/ParticipantConversations?${query}`);

describe('ParticipantConversations', () => {
  it('lists every conversation of an identity with its state', async () => {
    const states = ['active', 'inactive', 'closed'] as const;
    const sids = states.map((state, i) => emu.seed.conversation({ state, friendlyName: `c${i}`, uniqueName: `u${i}` }));
    const participantSids = sids.map((sid) => emu.seed.participant(sid, { identity: 'alice' }));
    emu.seed.participant(emu.seed.conversation({}), { identity: 'bob' });

    const res = await list('Identity=alice');
    expect(res.status).toBe(200);
    expect(res.body.conversations.map((c: { conversation_state: string }) => c.conversation_state)).toEqual([...states]);
    expect(res.body.conversations[0]).toEqual({
      account_sid: expect.stringMatching(SID('AC')),
      chat_service_sid: DEFAULT_CONVERSATIONS_SERVICE_SID,
      participant_sid: participantSids[0],
      participant_user_sid: expect.stringMatching(SID('US')),
      participant_identity: 'alice',
      participant_messaging_binding: null,
      conversation_sid: sids[0],
      conversation_unique_name: 'u0',
      conversation_friendly_name: 'c0',
      conversation_attributes: '{}',
      conversation_date_created: expect.stringMatching(ISO_DATE),
      conversation_date_updated: expect.stringMatching(ISO_DATE),
      conversation_created_by: expect.any(String),
      conversation_state: 'active',
      conversation_timers: {},
      links: {
        participant: `https://conversations.twilio.com/v1/Conversations/${sids[0]}/Participants/${participantSids[0]}`,
        conversation: `https://conversations.twilio.com/v1/Conversations/${sids[0]}`,
      },
    });
    expect(res.body.meta).toMatchObject({
      key: 'conversations',
      url: 'https://conversations.twilio.com/v1/ParticipantConversations?Identity=alice&PageSize=50&Page=0',
      next_page_url: null,
    });
  });

  it('reflects state changes, removals and deletions', async () => {
    const { body: conv } = await call(emu, 'POST', `${BASE}/Conversations`, { form: {} });
    const { body: p } = await call(emu, 'POST', `${BASE}/Conversations/${conv.sid}/Participants`, { form: { Identity: 'alice' } });
    await call(emu, 'POST', `${BASE}/Conversations/${conv.sid}`, { form: { State: 'closed' } });
    expect((await list('Identity=alice')).body.conversations[0].conversation_state).toBe('closed');

    await call(emu, 'DELETE', `${BASE}/Conversations/${conv.sid}/Participants/${p.sid}`);
    expect((await list('Identity=alice')).body.conversations).toEqual([]);

    const other = emu.seed.conversation({});
    emu.seed.participant(other, { identity: 'alice' });
    await call(emu, 'DELETE', `${BASE}/Conversations/${other}`);
    expect((await list('Identity=alice')).body.conversations).toEqual([]);
  });

  it('finds SMS participants by address', async () => {
    const sid = emu.seed.conversation({});
    emu.seed.participant(sid, { address: '+15558675310', proxyAddress: '+15017122661' });
    const res = await list(`Address=${encodeURIComponent('+15558675310')}`);
    expect(res.body.conversations).toHaveLength(1);
    expect(res.body.conversations[0]).toMatchObject({
      participant_identity: null,
      participant_user_sid: null,
      participant_messaging_binding: { type: 'sms', address: '+15558675310', proxy_address: '+15017122661' },
    });
    expect(res.body.meta.url).toBe(
      'https://conversations.twilio.com/v1/ParticipantConversations?Address=%2B15558675310&PageSize=50&Page=0',
    );
  });

  it('stays within the service of the request', async () => {
    const scoped = `${BASE}/Services/${SERVICE}`;
    emu.seed.participant(emu.seed.conversation({ serviceSid: SERVICE }), { identity: 'alice' });
    emu.seed.participant(emu.seed.conversation({}), { identity: 'alice' });
    const res = await list('Identity=alice', scoped);
    expect(res.body.conversations).toHaveLength(1);
    expect(res.body.conversations[0].chat_service_sid).toBe(SERVICE);
    expect(res.body.conversations[0].links.conversation).toMatch(
      new RegExp(`^https://conversations\\.twilio\\.com/v1/Services/${SERVICE}/Conversations/CH`),
    );
    expect(res.body.meta.url).toContain(`/v1/Services/${SERVICE}/ParticipantConversations?Identity=alice`);
    expect((await list('Identity=alice')).body.conversations).toHaveLength(1);
  });

  it('pages at most 50 at a time, keeping the Identity filter in page links', async () => {
    for (let i = 0; i < 120; i += 1) emu.seed.participant(emu.seed.conversation({}), { identity: 'busy' });
    const counts: number[] = [];
    let path: string | null = `${BASE}/ParticipantConversations?Identity=busy`;
    while (path) {
      const res = await call(emu, 'GET', path);
      counts.push(res.body.conversations.length);
      const next: string | null = res.body.meta.next_page_url;
      if (next) expect(new URL(next).searchParams.get('Identity')).toBe('busy');
      path = next ? emulatorPath(next) : null;
    }
    expect(counts).toEqual([50, 50, 20]);
    const tooBig = await list('Identity=busy&PageSize=51');
    expect(tooBig.status).toBe(400);
    expect(tooBig.body).toEqual(errorOf(20001, 400));
  });

  it('needs an Identity or an Address', async () => {
    const res = await call(emu, 'GET', `${BASE}/ParticipantConversations`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(20001);
  });
});
