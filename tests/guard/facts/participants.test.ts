import type { Twilio } from 'twilio';
import { startEmulator, type Emulator } from '../../../emulator';
import { countNonChat, isGroupMmsMember, listParticipants } from '../../../src/guard/facts/participants';
import { CHAT_SERVICE_SID } from '../../support/events';
import { conversationsRequests, emulatorClient, seedMembers } from '../../support/state-emulator';

let emulator: Emulator;
let client: Twilio;

beforeAll(async () => {
  emulator = await startEmulator();
  client = emulatorClient(emulator);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

describe('listParticipants', () => {
  test('reports every kind of participant with its channel and addresses', async () => {
    const sid = emulator.seed.conversation({});
    emulator.seed.participant(sid, { identity: 'alice' });
    emulator.seed.participant(sid, { address: '+15550000001', proxyAddress: '+15559870000' });
    emulator.seed.participant(sid, { address: 'whatsapp:+15550000002', proxyAddress: 'whatsapp:+15559870000' });
    emulator.seed.participant(sid, { address: '+15550000003' });
    emulator.seed.participant(sid, { identity: 'carol', projectedAddress: '+15559870001' });

    const facts = await listParticipants(client, sid);
    expect(facts).toEqual(
      expect.arrayContaining([
        { identity: 'alice', address: undefined, proxyAddress: undefined, projectedAddress: undefined, channel: 'web' },
        { identity: undefined, address: '+15550000001', proxyAddress: '+15559870000', projectedAddress: undefined, channel: 'sms' },
        { identity: undefined, address: 'whatsapp:+15550000002', proxyAddress: 'whatsapp:+15559870000', projectedAddress: undefined, channel: 'whatsapp' },
        { identity: undefined, address: '+15550000003', proxyAddress: undefined, projectedAddress: undefined, channel: 'sms' },
        { identity: 'carol', address: undefined, proxyAddress: undefined, projectedAddress: '+15559870001', channel: 'web' },
      ]),
    );
    expect(facts).toHaveLength(5);
    expect(countNonChat(facts)).toBe(3);
    expect(facts.filter(isGroupMmsMember).map((f) => f.identity ?? f.address)).toEqual(expect.arrayContaining(['+15550000003', 'carol']));
    expect(facts.filter(isGroupMmsMember)).toHaveLength(2);
  });

  test('uses the default-service path without a ChatServiceSid', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 2 });
    await listParticipants(client, sid);
    expect(conversationsRequests(emulator).map((e) => e.path)).toEqual([`/conversations/v1/Conversations/${sid}/Participants`]);
  });

  test('uses the service-scoped path with a ChatServiceSid', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 2 });
    expect(await listParticipants(client, sid, CHAT_SERVICE_SID)).toHaveLength(2);
    expect(conversationsRequests(emulator).map((e) => e.path)).toEqual([`/conversations/v1/Services/${CHAT_SERVICE_SID}/Conversations/${sid}/Participants`]);
  });

  test('a conversation of another service is not found through the default path', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    await expect(listParticipants(client, sid)).rejects.toMatchObject({ status: 404 });
  });

  test('asks for pages of 100: 100 participants cost one request, 101 cost two, and every one is listed', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 100 });
    expect(await listParticipants(client, sid)).toHaveLength(100);
    expect(conversationsRequests(emulator)).toHaveLength(1);
    expect(conversationsRequests(emulator)[0]!.query.PageSize).toBe('100');

    emulator.clearLog();
    seedMembers(emulator, sid, { sms: 1 });
    const facts = await listParticipants(client, sid);
    expect(facts).toHaveLength(101);
    expect(countNonChat(facts)).toBe(1);
    expect(conversationsRequests(emulator)).toHaveLength(2);
  });

  test('a Conversations error reaches the caller', async () => {
    const sid = emulator.seed.conversation({});
    emulator.injectFault({ kind: 'status', status: 500, product: 'conversations' });
    await expect(listParticipants(client, sid)).rejects.toMatchObject({ status: 500 });
  });
});
