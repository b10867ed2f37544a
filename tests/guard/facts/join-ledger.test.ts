/**
 * The join ledger against the emulator: decisions through remoteJudge enter each chat join in the
 * identity's ledger, simultaneous joins all count, a removal stops a conversation counting, and a join
 * another rule refused counts (a phantom) until the tally's rebuild, never near the cap.
 */
import type { Twilio } from 'twilio';
import { startEmulator, type Emulator } from '../../../emulator';
import type { Settings } from '../../../src/guard/config/variables';
import type { ParticipantAdd } from '../../../src/guard/event/types';
import { conversationKey, IdentityTally, LEDGER_REBUILD_MARGIN_MS, tallyPolicy } from '../../../src/guard/facts/identity-tally';
import { handlePostEvent } from '../../../src/guard/post-event';
import { RateGate } from '../../../src/guard/rate/gate';
import { MemoryRateLimiter } from '../../../src/guard/rate/memory-limiter';
import { SlotRateLimiter } from '../../../src/guard/rate/slot-limiter';
import { remoteJudge } from '../../../src/guard/remote';
import { SyncSlotStore } from '../../../src/guard/store/slot-store';
import type { SyncDocumentStore } from '../../../src/guard/store/sync-document-store';
import { ACCOUNT_SID, CHAT_SERVICE_SID } from '../../support/events';
import { emulatorClient, emulatorStore, readLedger, readTally, remoteSettings, seedMembers, syncRequests, writeTally } from '../../support/state-emulator';

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
afterEach(() => emulator.setClock(Date.now));

/** Far from the cap below 55 conversations; counted exactly from 55 on. */
const settings = remoteSettings({ MAX_CONVERSATIONS_PER_IDENTITY: '60', IDENTITY_TALLY_EXACT_MARGIN: '5', MAX_PARTICIPANTS: '10' });

function join(conversationSid: string, identity: string, s: Settings = settings) {
  const rate = new RateGate(() => new SlotRateLimiter(new SyncSlotStore(client, 'default')), new MemoryRateLimiter(), () => undefined, 2000);
  const event: ParticipantAdd = { type: 'onParticipantAdd', conversationSid, identity, channel: 'web', attributes: '{}', chatServiceSid: CHAT_SERVICE_SID };
  return remoteJudge(s, { client: () => client, store: () => store, rate, log: (line) => logs.push(line) })
    .judge(event, 'judge', new AbortController().signal)
    .then((verdict) => verdict.violation);
}

/** How the identity's count stands for a join to a conversation it is not in. */
const countOf = (identity: string, s: Settings = settings) => new IdentityTally(store, client, identity, CHAT_SERVICE_SID).count(emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID }), tallyPolicy(s));

const keptTally = (identity: string, keys: string[] = [], verifiedAt = Date.now()) => writeTally(store, identity, { keys: keys.map(conversationKey).join(''), verifiedAt }, CHAT_SERVICE_SID);

function post(event: Record<string, string>) {
  return handlePostEvent({ event, env: { SIGNATURE_CHECK: 'off' }, path: '/conversations/post-event' }, { log: (line) => logs.push(line), client: () => client, store: () => store });
}
const postEvent = (eventType: string, sid: string, fields: Record<string, string>) => ({ AccountSid: ACCOUNT_SID, EventType: eventType, ConversationSid: sid, ChatServiceSid: CHAT_SERVICE_SID, Source: 'SDK', RetryCount: '0', ...fields });

function conversations(n: number, members = 3): string[] {
  return Array.from({ length: n }, () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: members });
    return sid;
  });
}

test('40 simultaneous joins of one identity to 40 conversations all count afterwards, and no tally document is written', async () => {
  await keptTally('bob');
  const sids = conversations(40);
  emulator.clearLog();
  // No ledger yet: the first creates meet no Map, every decision creates it (one wins, 409 for the others), then its item.
  const verdicts = await Promise.all(sids.map((sid) => join(sid, 'bob')));
  expect(verdicts).toEqual(sids.map(() => undefined));
  expect(logs).toEqual([]);
  expect((await readLedger(store, 'bob', CHAT_SERVICE_SID)).sort()).toEqual(sids.map(conversationKey).sort());
  expect(await countOf('bob')).toEqual({ count: 40, includes: false, exact: false });
  expect(syncRequests(emulator).filter((e) => e.path.includes('/Documents') && e.method === 'POST')).toEqual([]);

  // A join again to one of them counts it once.
  await expect(join(sids[7]!, 'bob')).resolves.toBeUndefined();
  expect(await new IdentityTally(store, client, 'bob', CHAT_SERVICE_SID).count(sids[7]!, tallyPolicy(settings))).toEqual({ count: 40, includes: true, exact: false });
});

test('the ledger and the document count together, a key in both once', async () => {
  const [a, b, c] = conversations(3);
  await keptTally('bob', [a!, b!]);
  await expect(join(b!, 'bob')).resolves.toBeUndefined();
  await expect(join(c!, 'bob')).resolves.toBeUndefined();
  expect(await countOf('bob')).toEqual({ count: 3, includes: false, exact: false });
});

test('a removal (onParticipantRemoved) and a closing stop a conversation counting: the ledger item goes with the document key', async () => {
  await keptTally('bob');
  const [a, b, c] = conversations(3);
  for (const sid of [a!, b!, c!]) {
    await expect(join(sid, 'bob')).resolves.toBeUndefined();
    emulator.seed.participant(sid, { identity: 'bob' }); // Twilio adds the participant
  }
  await post(postEvent('onParticipantAdded', a!, { Identity: 'bob' }));
  expect(await countOf('bob')).toMatchObject({ count: 3, exact: false });

  await post(postEvent('onParticipantRemoved', a!, { Identity: 'bob' }));
  expect((await readLedger(store, 'bob', CHAT_SERVICE_SID)).sort()).toEqual([b!, c!].map(conversationKey).sort());
  expect(await countOf('bob')).toMatchObject({ count: 2, exact: false });

  await post(postEvent('onConversationStateUpdated', b!, { StateFrom: 'active', StateTo: 'closed', Reason: 'API' }));
  expect(await readLedger(store, 'bob', CHAT_SERVICE_SID)).toEqual([conversationKey(c!)]);
  expect(await countOf('bob')).toMatchObject({ count: 1, exact: false });

  // A removal of a conversation the ledger does not hold (404) is as good.
  await post(postEvent('onParticipantRemoved', a!, { Identity: 'bob' }));
  expect(logs.filter((line) => line.outcome === 'error')).toEqual([]);
});

test('a join another rule refuses counts as a phantom until the tally is rebuilt, and never near the cap', async () => {
  const hour = 3_600_000;
  // The tally was rebuilt an hour and a minute ago; the refused join came an hour ago (Sync's clock).
  await keptTally('bob', [], Date.now() - hour - 60_000);
  const [full] = conversations(1, 10); // MAX_PARTICIPANTS 10: bob's join is refused
  emulator.setClock(() => Date.now() - hour);
  const fresh = remoteSettings({ MAX_CONVERSATIONS_PER_IDENTITY: '60', IDENTITY_TALLY_EXACT_MARGIN: '5', MAX_PARTICIPANTS: '10', IDENTITY_TALLY_MAX_AGE: '2h' });
  expect(await join(full!, 'bob', fresh)).toMatchObject({ code: 'participant.count' });
  emulator.setClock(Date.now);
  // Entered in the ledger beside the reads: far from the cap it counts, which changes no answer.
  expect(await readLedger(store, 'bob', CHAT_SERVICE_SID)).toEqual([conversationKey(full!)]);
  expect(await countOf('bob', fresh)).toEqual({ count: 1, includes: false, exact: false });

  // Near the cap the count is exact, from the REST API: the phantom is not counted.
  const nearCap = remoteSettings({ MAX_CONVERSATIONS_PER_IDENTITY: '3', IDENTITY_TALLY_EXACT_MARGIN: '2', MAX_PARTICIPANTS: '10', IDENTITY_TALLY_MAX_AGE: '2h' });
  expect(await countOf('bob', nearCap)).toEqual({ count: 0, includes: false, exact: true });

  // The tally's rebuild (due with IDENTITY_TALLY_MAX_AGE 1 h, by the next join) ends it: an item added
  // before the rebuild (by more than LEDGER_REBUILD_MARGIN_MS) is in the rebuilt document if its join
  // happened, and is no longer counted, though it stays in the ledger until its ItemTtl.
  expect(hour).toBeGreaterThan(LEDGER_REBUILD_MARGIN_MS);
  const [other] = conversations(1);
  await expect(join(other!, 'bob')).resolves.toBeUndefined();
  expect((await readTally(store, 'bob', CHAT_SERVICE_SID))!.keys).toBe(conversationKey(other!));
  expect(await readLedger(store, 'bob', CHAT_SERVICE_SID)).toContain(conversationKey(full!));
  expect(await countOf('bob')).toEqual({ count: 1, includes: false, exact: false });
});

test('the ledger entry lives twice IDENTITY_TALLY_MAX_AGE', async () => {
  await keptTally('bob');
  const [sid] = conversations(1);
  await expect(join(sid!, 'bob')).resolves.toBeUndefined();
  const ttl = String((2 * settings.IDENTITY_TALLY_MAX_AGE) / 1000);
  const entry = emulator.log.find((e) => e.method === 'POST' && /\/Maps\/guard_joins_\w+\/Items$/.test(e.path) && e.status === 201);
  expect(entry).toBeDefined();
  const item = await client.sync.v1.services('default').syncMaps(entry!.path.split('/')[6]!).syncMapItems(conversationKey(sid!)).fetch();
  expect(item.dateExpires!.getTime() - item.dateCreated.getTime()).toBe(Number(ttl) * 1000);
  expect(entry!.path).toContain('guard_joins_');
});

test('a ledger entry Sync refuses (429) is logged and the answer stands', async () => {
  await keptTally('bob');
  const [sid] = conversations(1);
  emulator.injectFault({ kind: 'status', status: 429, product: 'sync', method: 'POST', pathIncludes: '/guard_joins_' });
  await expect(join(sid!, 'bob')).resolves.toBeUndefined();
  expect(logs).toEqual([expect.objectContaining({ warning: expect.stringMatching(/identity tally not updated/), error: expect.stringMatching(/429/) })]);
});

test('a real join to a conversation a refused join entered before the tally was rebuilt counts: the entry is added again, dated anew', async () => {
  const hour = 3_600_000;
  await keptTally('bob', [], Date.now() - hour - 60_000);
  const [full] = conversations(1, 10);
  // An hour ago, on Sync's clock: bob's join to a full conversation is refused, and entered (a phantom).
  emulator.setClock(() => Date.now() - hour);
  const olderTally = remoteSettings({ MAX_CONVERSATIONS_PER_IDENTITY: '60', IDENTITY_TALLY_EXACT_MARGIN: '5', MAX_PARTICIPANTS: '10', IDENTITY_TALLY_MAX_AGE: '2h' });
  expect(await join(full!, 'bob', olderTally)).toMatchObject({ code: 'participant.count' });
  emulator.setClock(Date.now);
  // Now: another join finds the tally old and rebuilds it; the phantom is from before the rebuild.
  const [other] = conversations(1);
  await expect(join(other!, 'bob')).resolves.toBeUndefined();
  emulator.seed.participant(other!, { identity: 'bob' });
  // A seat frees and bob really joins the first conversation; no post-event records it.
  const roomy = remoteSettings({ MAX_CONVERSATIONS_PER_IDENTITY: '60', IDENTITY_TALLY_EXACT_MARGIN: '5', MAX_PARTICIPANTS: '20' });
  await expect(join(full!, 'bob', roomy)).resolves.toBeUndefined();
  emulator.seed.participant(full!, { identity: 'bob' });
  expect(await countOf('bob')).toEqual({ count: 2, includes: false, exact: false });
});
