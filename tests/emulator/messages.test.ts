import twilio from 'twilio';
import { startEmulator, type Emulator } from '../../emulator';
import { ACCOUNT_SID, AUTH_TOKEN, call, control, emulatorPath } from './http';

const SERVICE = 'IS0123456789abcdef0123456789abcdef';
let emu: Emulator;
let client: twilio.Twilio;

beforeAll(async () => {
  emu = await startEmulator();
  const inner = new twilio.RequestClient({ keepAlive: false });
  const httpClient = {
    request: (opts: Parameters<twilio.RequestClient['request']>[0]) => inner.request({ ...opts, uri: opts.uri.replace(/^https:\/\/(\w+)\.twilio\.com\//, `${emu.url}/$1/`) }),
  };
  client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: httpClient as unknown as twilio.RequestClient });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

describe('Messages', () => {
  it('lists seeded messages with Twilio fields, the author participant and the media metadata', async () => {
    const sid = emu.seed.conversation({ serviceSid: SERVICE, dateCreated: '2026-03-01T10:00:00Z' });
    const customer = emu.seed.participant(sid, { address: '+15550100001', proxyAddress: '+15550100999', dateCreated: '2026-03-01T10:00:01Z' });
    emu.seed.message(sid, { author: '+15550100001', body: 'hello', dateCreated: '2026-03-01T10:00:02Z' });
    emu.seed.message(sid, {
      author: 'agent',
      body: '',
      attributes: '{"k":1}',
      media: [{ contentType: 'image/png', filename: 'a.png', size: 2048 }],
      dateCreated: '2026-03-01T10:00:03Z',
    });

    const res = await call(emu, 'GET', `/conversations/v1/Services/${SERVICE}/Conversations/${sid}/Messages`);
    expect(res.status).toBe(200);
    const [first, second] = res.body.messages;
    expect(first).toMatchObject({ index: 0, author: '+15550100001', body: 'hello', media: null, participant_sid: customer, date_created: '2026-03-01T10:00:02Z', chat_service_sid: SERVICE });
    expect(second).toMatchObject({ index: 1, author: 'agent', attributes: '{"k":1}', participant_sid: null });
    expect(second.media).toEqual([{ sid: expect.stringMatching(/^ME[0-9a-f]{32}$/), size: 2048, content_type: 'image/png', filename: 'a.png', category: 'media' }]);
    expect(res.body.meta).toMatchObject({ key: 'messages', page_size: 50, next_page_url: null });
  });

  it('pages both ways with Order, and a deleted message leaves a gap in the indexes', async () => {
    const sid = emu.seed.conversation({});
    for (let i = 0; i < 5; i += 1) emu.seed.message(sid, { author: 'a', body: `m${i}`, deleted: i === 2 });
    const read = async (order: string) => {
      const indexes: number[] = [];
      let path: string | null = `/conversations/v1/Conversations/${sid}/Messages?Order=${order}&PageSize=2`;
      while (path) {
        const page: { body: { messages: Array<{ index: number }>; meta: { next_page_url: string | null } } } = await call(emu, 'GET', path);
        indexes.push(...page.body.messages.map((m) => m.index));
        path = page.body.meta.next_page_url && emulatorPath(page.body.meta.next_page_url);
      }
      return indexes;
    };
    expect(await read('asc')).toEqual([0, 1, 3, 4]);
    expect(await read('desc')).toEqual([4, 3, 1, 0]);
    expect((await call(emu, 'GET', `/conversations/v1/Conversations/${sid}/Messages?Order=sideways`)).status).toBe(400);
    expect((await call(emu, 'GET', `/conversations/v1/Conversations/${sid}/Messages/3`)).body.body).toBe('m3');
  });

  it('seeds messages over the control surface', async () => {
    const sid = emu.seed.conversation({});
    const res = await control(emu, 'POST', `seed/conversations/${sid}/messages`, [{ author: 'x', body: 'one', dateCreated: 1_700_000_000_000 }, { author: 'y' }]);
    expect(res.status).toBe(201);
    expect(res.body.sids).toHaveLength(2);
    const list = await call(emu, 'GET', `/conversations/v1/Conversations/${sid}/Messages`);
    expect(list.body.messages.map((m: { author: string }) => m.author)).toEqual(['x', 'y']);
    expect(list.body.messages[0].date_created).toBe('2023-11-14T22:13:20Z');
  });
});

describe('Conversations list with StartDate and EndDate', () => {
  const seedDays = (serviceSid?: string) =>
    ['2026-03-01T00:00:00Z', '2026-03-02T12:00:00Z', '2026-03-03T23:59:59Z', '2026-03-04T00:00:00Z'].map((dateCreated) => emu.seed.conversation({ serviceSid, dateCreated }));

  it('keeps the conversations created within the dates, newest first, on the default service path', async () => {
    const [, second, third] = seedDays();
    const res = await call(emu, 'GET', '/conversations/v1/Conversations?StartDate=2026-03-02T00:00:00Z&EndDate=2026-03-03T23:59:59Z');
    expect(res.status).toBe(200);
    expect(res.body.conversations.map((c: { sid: string }) => c.sid)).toEqual([third, second]);
    expect(res.body.meta.url).toContain('StartDate=2026-03-02T00%3A00%3A00Z');
    expect((await call(emu, 'GET', '/conversations/v1/Conversations?StartDate=yesterday')).status).toBe(400);
  });

  it('pages a date-filtered list of a service through twilio-node', async () => {
    const sids = seedDays(SERVICE);
    emu.seed.conversation({ dateCreated: '2026-03-02T00:00:00Z' }); // the default service: not listed
    const listed = await client.conversations.v1.services(SERVICE).conversations.list({ startDate: '2026-03-01T00:00:00Z', endDate: '2026-03-04T00:00:00Z', pageSize: 1 });
    expect(listed.map((c) => c.sid)).toEqual([...sids].reverse());
    expect(listed[0]!.dateCreated.toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });

  it('reads messages and participants through twilio-node', async () => {
    const sid = emu.seed.conversation({ serviceSid: SERVICE });
    emu.seed.participant(sid, { identity: 'agent', dateCreated: '2026-03-01T00:00:00Z' });
    for (let i = 0; i < 3; i += 1) emu.seed.message(sid, { author: 'agent', body: `m${i}`, media: i === 1 ? [{ contentType: 'audio/ogg', filename: 'voice.ogg', size: 10 }] : undefined });
    const conversation = client.conversations.v1.services(SERVICE).conversations(sid);
    const messages = await conversation.messages.list({ order: 'asc', pageSize: 2 });
    expect(messages.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(messages[1]!.media).toEqual([expect.objectContaining({ content_type: 'audio/ogg', filename: 'voice.ogg', size: 10 })]);
    expect((await conversation.messages.list({ order: 'desc', limit: 1 }))[0]!.body).toBe('m2');
    expect((await conversation.participants.list())[0]!.dateCreated.toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });
});
