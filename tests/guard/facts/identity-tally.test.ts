import type { Twilio } from 'twilio';
import { startEmulator, type Emulator } from '../../../emulator';
import { listCountedConversations } from '../../../src/guard/facts/identity-conversations';
import { conversationKey, IdentityTally, tallyKeys, type TallyData, type TallyPolicy } from '../../../src/guard/facts/identity-tally';
import type { SyncDocumentStore } from '../../../src/guard/store/sync-document-store';
import { CHAT_SERVICE_SID } from '../../support/events';
import { conversationsRequests, emulatorClient, emulatorStore, readTally, seedIdentityConversations, tallyName, writeTally } from '../../support/state-emulator';

let emulator: Emulator;
let client: Twilio;
let store: SyncDocumentStore;

beforeAll(async () => {
  emulator = await startEmulator();
  client = emulatorClient(emulator);
  store = emulatorStore(client);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const HOUR = 3_600_000;
const POLICY: TallyPolicy = { limit: 10, exactMargin: 3, maxAgeMs: HOUR };
const keysOf = (sids: string[]) => sids.map(conversationKey).sort();
const storedKeys = async (identity: string, service?: string) => {
  const data = await readTally(store, identity, service);
  return data && tallyKeys(data).sort();
};
const newConversation = (serviceSid?: string) => emulator.seed.conversation({ serviceSid });

/** A count followed by the write a decision makes when it does not join: a rebuilt set is stored. */
async function countAndSettle(tally: IdentityTally, conversationSid: string, policy: TallyPolicy) {
  const result = await tally.count(conversationSid, policy);
  await tally.settle();
  return result;
}
const participantConversationsRequests = () => conversationsRequests(emulator).filter((e) => e.path.endsWith('/ParticipantConversations'));

describe('listCountedConversations', () => {
  test('counts active and inactive conversations, not closed ones', async () => {
    const active = seedIdentityConversations(emulator, 'bob', 3);
    const inactive = seedIdentityConversations(emulator, 'bob', 2, { state: 'inactive' });
    seedIdentityConversations(emulator, 'bob', 4, { state: 'closed' });
    expect((await listCountedConversations(client, 'bob')).sort()).toEqual([...active, ...inactive].sort());
  });

  test('pages through 50 at a time and stays within the service asked', async () => {
    const inService = seedIdentityConversations(emulator, 'bob', 120, { serviceSid: CHAT_SERVICE_SID });
    seedIdentityConversations(emulator, 'bob', 5);
    expect((await listCountedConversations(client, 'bob', CHAT_SERVICE_SID)).sort()).toEqual(inService.sort());
    const requests = participantConversationsRequests();
    expect(requests).toHaveLength(3);
    expect(requests.every((e) => e.path === `/conversations/v1/Services/${CHAT_SERVICE_SID}/ParticipantConversations`)).toBe(true);
    expect(requests[0]!.query).toMatchObject({ Identity: 'bob', PageSize: '50' });
  });
});

describe('a missing tally', () => {
  test('is rebuilt from ParticipantConversations, closed conversations not counted', async () => {
    const counted = [...seedIdentityConversations(emulator, 'bob', 4), ...seedIdentityConversations(emulator, 'bob', 1, { state: 'inactive' })];
    seedIdentityConversations(emulator, 'bob', 2, { state: 'closed' });
    expect(await readTally(store, 'bob')).toBeUndefined();

    const before = Date.now();
    const result = await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY);
    expect(result).toEqual({ count: 5, includes: false, exact: true });
    expect(participantConversationsRequests()).toHaveLength(1);

    const stored = (await readTally(store, 'bob'))!;
    expect(tallyKeys(stored).sort()).toEqual(keysOf(counted));
    expect(stored.verifiedAt).toBeGreaterThanOrEqual(before);
  });

  test('count only reads; settle stores the rebuilt set with the joined conversation in one write', async () => {
    seedIdentityConversations(emulator, 'bob', 3);
    const tally = new IdentityTally(store, client, 'bob', undefined);
    const joined = newConversation();
    expect(await tally.count(joined, POLICY)).toEqual({ count: 3, includes: false, exact: true });
    expect(await readTally(store, 'bob')).toBeUndefined();
    emulator.clearLog();
    await tally.settle(joined);
    const writes = emulator.log.filter((e) => e.product === 'sync' && e.method === 'POST');
    expect(writes).toHaveLength(1);
    expect(await storedKeys('bob')).toHaveLength(4);
    expect(tallyKeys((await readTally(store, 'bob'))!)).toContain(conversationKey(joined));
  });

  test('then serves the next count without the REST API', async () => {
    const counted = seedIdentityConversations(emulator, 'bob', 4);
    await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY);
    emulator.clearLog();

    expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), counted[0]!, POLICY)).toEqual({ count: 4, includes: true, exact: false });
    expect(conversationsRequests(emulator)).toHaveLength(0);
  });

  test('is not created by a record or a forget: the next count rebuilds it exactly', async () => {
    const sid = newConversation();
    await new IdentityTally(store, client, 'bob', undefined).record(sid);
    await new IdentityTally(store, client, 'bob', undefined).forget(sid);
    expect(await readTally(store, 'bob')).toBeUndefined();
  });

  test('an empty ChatServiceSid names the default service, as the post-event function reads it', () => {
    expect(new IdentityTally(store, client, 'bob', '').name).toBe(new IdentityTally(store, client, 'bob', undefined).name);
    expect(new IdentityTally(store, client, 'bob', '').name).toBe(tallyName('bob'));
  });

  test('is kept per identity and per Conversations service', async () => {
    seedIdentityConversations(emulator, 'bob', 2);
    seedIdentityConversations(emulator, 'bob', 3, { serviceSid: CHAT_SERVICE_SID });
    seedIdentityConversations(emulator, 'alice', 1);
    expect((await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY)).count).toBe(2);
    expect((await countAndSettle(new IdentityTally(store, client, 'bob', CHAT_SERVICE_SID), newConversation(CHAT_SERVICE_SID), POLICY)).count).toBe(3);
    expect((await countAndSettle(new IdentityTally(store, client, 'alice', undefined), newConversation(), POLICY)).count).toBe(1);
    expect(tallyName('bob')).not.toBe(tallyName('bob', CHAT_SERVICE_SID));
    expect(await storedKeys('bob', CHAT_SERVICE_SID)).toHaveLength(3);
  });
});

describe('record and forget', () => {
  async function tallyOf(identity: string, sids: string[]) {
    await writeTally(store, identity, { keys: sids.map(conversationKey).join(''), verifiedAt: Date.now() } satisfies TallyData);
  }

  test('recording the same conversation twice counts it once', async () => {
    await tallyOf('bob', []);
    const sid = newConversation();
    await new IdentityTally(store, client, 'bob', undefined).record(sid);
    await new IdentityTally(store, client, 'bob', undefined).record(sid);
    expect(await storedKeys('bob')).toEqual([conversationKey(sid)]);
  });

  test('forgetting twice, or forgetting an unknown conversation, changes nothing else', async () => {
    const [a, b] = [newConversation(), newConversation()];
    await tallyOf('bob', [a, b]);
    await new IdentityTally(store, client, 'bob', undefined).forget(a);
    await new IdentityTally(store, client, 'bob', undefined).forget(a);
    await new IdentityTally(store, client, 'bob', undefined).forget(newConversation());
    expect(await storedKeys('bob')).toEqual([conversationKey(b)]);
  });

  test('keep the time of the last rebuild', async () => {
    await writeTally(store, 'bob', { keys: '', verifiedAt: 12345 });
    await new IdentityTally(store, client, 'bob', undefined).record(newConversation());
    expect((await readTally(store, 'bob'))!.verifiedAt).toBe(12345);
  });

  test('concurrent records of different conversations both land (conditional writes retry)', async () => {
    await tallyOf('bob', []);
    const sids = Array.from({ length: 4 }, () => newConversation());
    await Promise.all(sids.map((sid) => new IdentityTally(store, client, 'bob', undefined).record(sid)));
    expect(await storedKeys('bob')).toEqual(keysOf(sids));
  });
});

describe('when the count is taken exactly', () => {
  const limit = POLICY.limit;
  const threshold = POLICY.limit - POLICY.exactMargin;

  async function drifted(identity: string, tallied: string[], verifiedAt = Date.now()) {
    await writeTally(store, identity, { keys: tallied.map(conversationKey).join(''), verifiedAt } satisfies TallyData);
  }

  test(`a fresh tally below limit - margin (${threshold - 1} < ${threshold}) is trusted, even when wrong`, async () => {
    const real = seedIdentityConversations(emulator, 'bob', threshold);
    await drifted('bob', real.slice(1)); // one Added lost
    expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY)).toEqual({ count: threshold - 1, includes: false, exact: false });
    expect(participantConversationsRequests()).toHaveLength(0);
  });

  test(`a tally at limit - margin (${threshold}) is recounted from the REST API`, async () => {
    const real = seedIdentityConversations(emulator, 'bob', threshold);
    await drifted('bob', real);
    expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY)).toMatchObject({ count: threshold, exact: true });
    expect(participantConversationsRequests()).toHaveLength(1);
  });

  test('lost onParticipantAdded: at the cap, a tally one short is corrected and the cap holds', async () => {
    const real = seedIdentityConversations(emulator, 'bob', limit);
    await drifted('bob', real.slice(1));
    const result = await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY);
    expect(result).toEqual({ count: limit, includes: false, exact: true }); // count + 1 > limit: the join is refused
    expect(await storedKeys('bob')).toEqual(keysOf(real));
  });

  test('lost onParticipantRemoved: a tally at the cap with a conversation already left does not block', async () => {
    const real = seedIdentityConversations(emulator, 'bob', limit - 1);
    await drifted('bob', [...real, newConversation()]);
    const result = await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY);
    expect(result).toEqual({ count: limit - 1, includes: false, exact: true }); // count + 1 = limit: allowed
    expect(await storedKeys('bob')).toEqual(keysOf(real));
  });

  test('a tally over the cap (several Removed lost) does not block either', async () => {
    const real = seedIdentityConversations(emulator, 'bob', 2);
    await drifted('bob', [...real, ...Array.from({ length: limit + 3 }, () => newConversation())]);
    expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY)).toEqual({ count: 2, includes: false, exact: true });
  });

  test('already a member at the cap: includes is true, so joining again is not counted twice', async () => {
    const real = seedIdentityConversations(emulator, 'bob', limit);
    await drifted('bob', real);
    expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), real[3]!, POLICY)).toEqual({ count: limit, includes: true, exact: true });
  });

  describe('a stale tally (older than maxAgeMs)', () => {
    const now = 1_700_000_000_000;

    test('is rebuilt', async () => {
      const real = seedIdentityConversations(emulator, 'bob', 3);
      await drifted('bob', real.slice(0, 1), now - POLICY.maxAgeMs - 1);
      const result = await countAndSettle(new IdentityTally(store, client, 'bob', undefined, () => now), newConversation(), POLICY);
      expect(result).toEqual({ count: 3, includes: false, exact: true });
      expect(await readTally(store, 'bob')).toEqual({ keys: expect.any(String), verifiedAt: now });
      expect(await storedKeys('bob')).toEqual(keysOf(real));
    });

    test('exactly maxAgeMs old is still trusted', async () => {
      const real = seedIdentityConversations(emulator, 'bob', 3);
      await drifted('bob', real.slice(0, 1), now - POLICY.maxAgeMs);
      expect(await new IdentityTally(store, client, 'bob', undefined, () => now).count(newConversation(), POLICY)).toEqual({ count: 1, includes: false, exact: false });
    });
  });

  describe.each([
    ['keys not a multiple of 10 characters', { keys: 'abc', verifiedAt: Date.now() }],
    ['keys not a string', { keys: 5, verifiedAt: Date.now() }],
    ['no verifiedAt', { keys: '' }],
    ['verifiedAt not a number', { keys: '', verifiedAt: 'yesterday' }],
    ['some other document', { count: 3 }],
  ])('a malformed tally (%s)', (_name, data) => {
    test('is rebuilt and overwritten', async () => {
      const real = seedIdentityConversations(emulator, 'bob', 2);
      await writeTally(store, 'bob', data);
      expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), POLICY)).toEqual({ count: 2, includes: false, exact: true });
      expect(await storedKeys('bob')).toEqual(keysOf(real));
    });

    test('is left alone by record (the next count rebuilds it)', async () => {
      await writeTally(store, 'bob', data);
      await new IdentityTally(store, client, 'bob', undefined).record(newConversation());
      expect(await readTally(store, 'bob')).toEqual(data);
    });
  });
});

describe('at the documented limit', () => {
  test('1000 conversations fit in one Sync document and are counted exactly near the cap', async () => {
    const policy: TallyPolicy = { limit: 1000, exactMargin: 50, maxAgeMs: HOUR };
    const real = seedIdentityConversations(emulator, 'bob', 1000);
    const result = await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), policy);
    expect(result).toEqual({ count: 1000, includes: false, exact: true });
    expect(await storedKeys('bob')).toEqual(keysOf(real));
    expect(participantConversationsRequests()).toHaveLength(20);
  });
});

describe('a rebuild that takes too long (an identity with many conversations)', () => {
  const budget = { ...POLICY, rebuildBudgetMs: 100 };
  const old = (sids: string[]) => writeTally(store, 'bob', { keys: sids.map(conversationKey).join(''), verifiedAt: Date.now() - 2 * HOUR });

  test('an old tally far from the limit answers once the budget has passed', async () => {
    const real = seedIdentityConversations(emulator, 'bob', 3);
    await old(real.slice(0, 2));
    // Twilio holds the count until the answer is in: the budget, not the count, ended the wait.
    const counting = emulator.hold({ pathIncludes: 'ParticipantConversations' });
    expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), budget)).toEqual({ count: 2, includes: false, exact: false });
    expect(participantConversationsRequests().every((e) => e.status !== 200)).toBe(true);
    counting.release();
  });

  test('near the limit there is no shortcut: the exact count is waited for', async () => {
    const real = seedIdentityConversations(emulator, 'bob', POLICY.limit - POLICY.exactMargin);
    await old(real);
    emulator.setLatency(200, { pathIncludes: 'ParticipantConversations' });
    expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), budget)).toMatchObject({ count: real.length, exact: true });
  });

  test('without any tally there is nothing to fall back on: the exact count is waited for', async () => {
    seedIdentityConversations(emulator, 'bob', 2);
    emulator.setLatency(200, { pathIncludes: 'ParticipantConversations' });
    expect(await countAndSettle(new IdentityTally(store, client, 'bob', undefined), newConversation(), budget)).toEqual({ count: 2, includes: false, exact: true });
  });
});
