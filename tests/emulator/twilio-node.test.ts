import twilio from 'twilio';
import { startEmulator, type Emulator } from '../../emulator';
import { ACCOUNT_SID, AUTH_TOKEN } from './http';

let emu: Emulator;
let client: twilio.Twilio;

/** The redirect contract: `https://<product>.twilio.com/...` is served at `<emulator>/<product>/...`. */
function emulatorClient(url: string): twilio.Twilio {
  const inner = new twilio.RequestClient({ keepAlive: false });
  const httpClient = {
    request: (opts: Parameters<twilio.RequestClient['request']>[0]) =>
      inner.request({ ...opts, uri: opts.uri.replace(/^https:\/\/(\w+)\.twilio\.com\//, `${url}/$1/`) }),
  };
  return twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: httpClient as unknown as twilio.RequestClient });
}

beforeAll(async () => {
  emu = await startEmulator();
  client = emulatorClient(emu.url);
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

describe('twilio-node against the emulator', () => {
  it('creates and conditionally updates a Sync document', async () => {
    const documents = client.sync.v1.services('default').documents;
    const created = await documents.create({ uniqueName: 'guard', data: { count: 1 } });
    expect(created.sid).toMatch(/^ET[0-9a-f]{32}$/);
    expect(created.uniqueName).toBe('guard');
    expect(created.data).toEqual({ count: 1 });
    expect(created.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(created.dateCreated.getTime())).toBe(false);

    const updated = await documents('guard').update({ data: { count: 2 }, ifMatch: created.revision });
    expect(updated.data).toEqual({ count: 2 });
    expect(updated.revision).not.toBe(created.revision);

    await expect(documents('guard').update({ data: { count: 3 }, ifMatch: created.revision })).rejects.toMatchObject({
      status: 412,
      code: 54103,
    });
    await expect(documents.create({ uniqueName: 'guard' })).rejects.toMatchObject({ status: 409, code: 54301 });
    expect((await documents('guard').fetch()).data).toEqual({ count: 2 });
  });

  it('works with Sync map items', async () => {
    const service = client.sync.v1.services('default');
    await service.syncMaps.create({ uniqueName: 'windows' });
    const item = await service.syncMaps('windows').syncMapItems.create({ key: 'CH1', data: { n: 1 } });
    const updated = await service.syncMaps('windows').syncMapItems('CH1').update({ data: { n: 2 }, ifMatch: item.revision });
    expect(updated.data).toEqual({ n: 2 });
    await expect(
      service.syncMaps('windows').syncMapItems('CH1').update({ data: { n: 3 }, ifMatch: item.revision }),
    ).rejects.toMatchObject({ status: 412, code: 54205 });
  });

  it('lists participants past the first page', async () => {
    const conversation = await client.conversations.v1.conversations.create({ friendlyName: 'big room' });
    const participants = client.conversations.v1.conversations(conversation.sid).participants;
    for (let i = 0; i < 60; i += 1) await participants.create({ identity: `user-${i}` });
    await participants.create({ 'messagingBinding.address': '+15558675310', 'messagingBinding.proxyAddress': '+15017122661' });

    const all = await participants.list();
    expect(all).toHaveLength(61);
    expect(all.slice(0, 60).map((p) => p.identity)).toEqual(Array.from({ length: 60 }, (_, i) => `user-${i}`));
    expect(all[60]!.messagingBinding).toMatchObject({ type: 'sms', address: '+15558675310' });
    const pageRequests = emu.log.filter((e) => e.method === 'GET' && e.path.endsWith('/Participants'));
    expect(pageRequests.length).toBeGreaterThanOrEqual(2);

    const small = await participants.list({ pageSize: 25 });
    expect(small).toHaveLength(61);
  });

  it('reads ParticipantConversations for an identity', async () => {
    const sids = [emu.seed.conversation({ state: 'active' }), emu.seed.conversation({ state: 'closed' })];
    for (const sid of sids) emu.seed.participant(sid, { identity: 'alice' });
    const rows = await client.conversations.v1.participantConversations.list({ identity: 'alice' });
    expect(rows.map((r) => [r.conversationSid, r.conversationState])).toEqual([
      [sids[0], 'active'],
      [sids[1], 'closed'],
    ]);
  });
});
