/**
 * The SlotStore contract, run against both implementations on one hand-moved clock: MemorySlotStore,
 * and SyncSlotStore over twilio-node talking to the local Twilio API emulator. A take creates a slot or
 * writes it only while it is the incarnation seen, at its revision; Sync numbers revisions per item
 * from "0" at each creation, so an item removed and created again can be at the very revision
 * remembered, and only its date_created tells. Then what only SyncSlotStore does: work shared by
 * concurrent takes runs under its own deadline, and an abandoned request says so.
 */
import { startEmulator, type Emulator } from '../../../emulator';
import { DeadlineExceededError, withDeadline } from '../../../src/guard/deadline';
import { StoreUnavailableError } from '../../../src/guard/store/document-store';
import { MemorySlotStore } from '../../../src/guard/store/memory-slot-store';
import { syncName } from '../../../src/guard/store/names';
import type { Twilio } from 'twilio';
import { SlotRateLimiter } from '../../../src/guard/rate/slot-limiter';
import { groupParts, NO_ONE, slotGroup, SyncSlotStore, type SlotStore, type SlotVersion } from '../../../src/guard/store/slot-store';
import { twilioClientFor } from '../../../src/guard/twilio/client';
import { ACCOUNT_SID } from '../../support/events';
import { emulatorSlotStore } from '../../support/rate-emulator';
import { AUTH_TOKEN } from '../../support/twilio-request';
import { waitFor } from '../../support/wait';

let emu: Emulator;
let now: number;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  now = Date.UTC(2026, 10, 29, 12, 0, 0);
  emu.setClock(() => now);
});
afterEach(() => emu.setClock(Date.now));

/** A group of its own: a Map shared with other groups (below), its items under a prefix. */
const MAP = syncName('rate', 'slot-store-test', '0');
const GROUP = slotGroup(MAP, 'aaaa.0.');
const TTL = 10;
/** How late Sync removes an expired item in these tests (the emulator's setting, and the memory store's). */
const LAG = 5_000;

const implementations: Array<[string, () => SlotStore]> = [
  ['MemorySlotStore', () => new MemorySlotStore({ now: () => now, removalLagMs: LAG })],
  [
    'SyncSlotStore (emulator)',
    () => {
      emu.setSyncRemovalLag(LAG);
      return emulatorSlotStore(emu);
    },
  ],
];

const version = (taken: SlotVersion | 'lost'): SlotVersion => {
  if (taken === 'lost') throw new Error('lost');
  return taken;
};

describe.each(implementations)('%s', (_name, makeStore) => {
  let store: SlotStore;
  beforeEach(() => {
    store = makeStore();
  });

  test('a group never written lists no slot', async () => {
    expect(await store.list(GROUP)).toEqual([]);
  });

  test('a slot is created at revision "0" with its time and writer; a second creator loses', async () => {
    const taken = version(await store.take(GROUP, '0', now, undefined, TTL, 'writer-a'));
    expect(taken.revision).toBe('0');
    expect(await store.take(GROUP, '0', now, undefined, TTL, 'writer-b')).toBe('lost');
    expect(await store.list(GROUP)).toEqual([{ key: '0', takenAt: now, writer: 'writer-a', ...taken }]);
  });

  test('a write naming the version seen takes the slot and moves the revision on; a second writer naming it loses', async () => {
    const first = version(await store.take(GROUP, '0', now, undefined, TTL, 'a'));
    now += 2_000;
    const second = version(await store.take(GROUP, '0', now, first, TTL, 'b'));
    expect(second).toEqual({ revision: '1', created: first.created });
    expect(await store.take(GROUP, '0', now, first, TTL, 'c')).toBe('lost');
    expect((await store.list(GROUP))[0]).toMatchObject({ takenAt: now, writer: 'b', revision: '1' });
  });

  test('revisions are per slot: another slot of the group starts at "0" too', async () => {
    await store.take(GROUP, '0', now, undefined, TTL);
    expect(version(await store.take(GROUP, '1', now, undefined, TTL)).revision).toBe('0');
  });

  test('groups sharing a Map are apart: each lists its own slots, by their keys within the group, whatever lies before or after them', async () => {
    const [before, after] = [slotGroup(MAP, 'aaa9.0.'), slotGroup(MAP, 'aaaa.1.')];
    for (const key of ['0', '1', '2']) await store.take(before, key, now, undefined, TTL, 'x');
    for (const key of ['0', '1', '2']) await store.take(after, key, now, undefined, TTL, 'x');
    await store.take(GROUP, '1', now, undefined, TTL, 'a');
    await store.take(GROUP, '10', now, undefined, TTL, 'a');
    expect((await store.list(GROUP, 11)).map((slot) => slot.key).sort()).toEqual(['1', '10']);
    expect((await store.list(after, 3)).map((slot) => slot.key).sort()).toEqual(['0', '1', '2']);
    // The same slot key in another group is another item: created apart, at revision "0".
    expect(await store.take(after, '1', now, undefined, TTL)).toBe('lost');
    expect(version(await store.take(GROUP, '2', now, undefined, TTL)).revision).toBe('0');
  });

  test('a write to any group renews the Map: a group written long ago stays while another group of its Map is written', async () => {
    const other = slotGroup(MAP, 'bbbb.0.');
    await store.take(GROUP, '0', now, undefined, TTL, 'a');
    now += TTL * 1000 - 1;
    await store.take(other, '0', now, undefined, TTL, 'b');
    now += TTL * 1000 + LAG - 1;
    // GROUP's item is gone after its own TTL; the Map, renewed by the other group's write, is not.
    expect(await store.list(GROUP)).toEqual([]);
    expect(await store.list(other)).toHaveLength(1);
    now += 1;
    expect(await store.list(other)).toEqual([]);
  });

  test('an expired slot is kept until it is removed (late): listed, and taken by a write naming it, which renews it', async () => {
    const first = version(await store.take(GROUP, '0', now, undefined, TTL, 'a'));
    now += TTL * 1000 + LAG - 1;
    expect(await store.list(GROUP)).toHaveLength(1);
    expect(await store.take(GROUP, '0', now, first, TTL, 'b')).toEqual({ revision: '1', created: first.created });
    now += TTL * 1000 + LAG - 1;
    expect(await store.list(GROUP)).toHaveLength(1);
    now += 1;
    expect(await store.list(GROUP)).toEqual([]);
  });

  test('a slot removed and created again is another incarnation: a write naming the old one at the same revision lands on it, and is lost', async () => {
    const old = version(await store.take(GROUP, '0', now, undefined, TTL, 'a'));
    now += TTL * 1000 + LAG;
    expect(await store.list(GROUP)).toEqual([]);
    const createdAt = now;
    const recreated = version(await store.take(GROUP, '0', now, undefined, TTL, 'b'));
    expect(recreated.revision).toBe(old.revision);
    expect(recreated.created).not.toBe(old.created);
    now += 100;
    // The If-Match matches by coincidence: the write is applied (Sync cannot tell), but it took no slot.
    expect(await store.take(GROUP, '0', now, old, TTL, 'a')).toBe('lost');
    // What it wrote names the incarnation it meant: the slot is read as taken no earlier than when it
    // landed (date_updated counts whole seconds: up to 2 s later), on no instance's clock.
    const [slot] = await store.list(GROUP);
    expect(slot).toMatchObject({ revision: '1', created: recreated.created, writer: NO_ONE });
    expect(slot!.takenAt).toBe(Math.max(now, Date.parse(recreated.created) + 2_000));
    expect(slot!.takenAt).toBeGreaterThanOrEqual(createdAt);
  });

  test('a write that matched an item created again after it was sent cannot move the slot\'s time before that creation', async () => {
    const old = version(await store.take(GROUP, '0', now, undefined, TTL, 'a'));
    // Sent while the item was expired but not yet removed, with the time of sending...
    const sentAt = now + TTL * 1000 + 1_000;
    now += TTL * 1000 + LAG + 30_000;
    // ...and landing after it was removed and created again by another instance.
    const createdAt = now;
    await store.take(GROUP, '0', now, undefined, TTL, 'b');
    expect(await store.take(GROUP, '0', sentAt, old, TTL, 'a')).toBe('lost');
    expect((await store.list(GROUP))[0]!.takenAt).toBeGreaterThanOrEqual(createdAt);
  });

  test('a write that matched an item created again and taken again since (revision "1") cannot move the slot\'s time before that later admission', async () => {
    const first = version(await store.take(GROUP, '0', now, undefined, TTL, 'a'));
    now += 2_000;
    const old = version(await store.take(GROUP, '0', now, first, TTL, 'a'));
    const sentAt = now + TTL * 1000 + 1_000;
    now += TTL * 1000 + LAG + 30_000;
    const recreated = version(await store.take(GROUP, '0', now, undefined, TTL, 'b'));
    // The new item is taken again, long after its creation: at the revision the late write names.
    now += 5_000;
    const admittedAt = now;
    expect(version(await store.take(GROUP, '0', now, recreated, TTL, 'b')).revision).toBe(old.revision);
    now += 100;
    expect(await store.take(GROUP, '0', sentAt, old, TTL, 'a')).toBe('lost');
    const [slot] = await store.list(GROUP);
    expect(slot).toMatchObject({ writer: NO_ONE, created: recreated.created });
    expect(slot!.takenAt).toBeGreaterThanOrEqual(admittedAt);
  });
});

describe('SyncSlotStore: what only Sync does', () => {
  test('two takes that both create the missing Map share one creation, each within its own deadline: the later one is not cut off at the earlier one\'s', async () => {
    const store = emulatorSlotStore(emu);
    expect(await store.list(GROUP)).toEqual([]);
    const creation = emu.hold({ product: 'sync', method: 'POST', pathIncludes: '/Maps' });
    // Started back to back: the second joins the Map creation the first started.
    const first = withDeadline(100, () => store.take(GROUP, '0', now, undefined, TTL, 'a'));
    const second = withDeadline(60_000, () => store.take(GROUP, '1', now, undefined, TTL, 'b'));
    // The creation is held: the first decision's time is up before Sync answers.
    await expect(first).rejects.toThrow(DeadlineExceededError);
    creation.release();
    expect(await second).toEqual({ revision: '0', created: expect.any(String) });
    expect(emu.log.filter((e) => e.method === 'POST' && e.path.endsWith('/Maps')).map((e) => e.status)).toEqual([201]);
    expect((await store.list(GROUP)).map((slot) => slot.key)).toEqual(['1']);
  });

  test('a create into a Map that is not there (404) creates the Map, then the slot: three requests; the next create, one', async () => {
    const store = emulatorSlotStore(emu);
    expect(await store.take(GROUP, '0', now, undefined, TTL, 'a')).toEqual({ revision: '0', created: expect.any(String) });
    expect(await store.take(slotGroup(MAP, 'bbbb.0.'), '0', now, undefined, TTL, 'a')).toEqual({ revision: '0', created: expect.any(String) });
    expect(emu.log.filter((e) => e.product === 'sync').map((e) => `${e.method} ${e.path.replace(/^.*\/Services\/[^/]+/, '')} ${e.status}`)).toEqual([
      `POST /Maps/${MAP}/Items 404`,
      'POST /Maps 201',
      `POST /Maps/${MAP}/Items 201`,
      `POST /Maps/${MAP}/Items 201`,
    ]);
  });

  test('a create that meets no Map says so at that answer (onMissing), before the Map is created, and a take sent then joins that creation', async () => {
    const store = emulatorSlotStore(emu);
    let second: Promise<SlotVersion | 'lost'> | undefined;
    let requestsBefore = -1;
    const first = store.take(GROUP, '0', now, undefined, TTL, 'a', () => {
      requestsBefore = emu.log.length;
      second = store.take(GROUP, '1', now, undefined, TTL, 'b');
    });
    expect(await first).toMatchObject({ revision: '0' });
    expect(await second).toMatchObject({ revision: '0' });
    // Called at the 404, the one request so far; then one Map creation shared by both, and their two slots.
    expect(requestsBefore).toBe(1);
    expect(emu.log.filter((e) => e.product === 'sync').map((e) => `${e.method} ${e.path.endsWith('/Maps') ? 'Map' : 'item'} ${e.status}`)).toEqual(['POST item 404', 'POST Map 201', 'POST item 201', 'POST item 201']);
  });

  test('a group is read as one page from its prefix, as large as the group', async () => {
    const store = emulatorSlotStore(emu);
    await store.take(GROUP, '0', now, undefined, TTL, 'a');
    await store.list(GROUP, 3);
    const read = emu.log.filter((e) => e.method === 'GET');
    expect(read).toHaveLength(1);
    expect(read[0]!.query).toMatchObject({ From: 'aaaa.0.', PageSize: '3', Order: 'asc' });
  });

  describe('a listing that does not start at the group\'s prefix (Twilio\'s pages do not say what `From` does when no item has that key)', () => {
    /**
     * twilio-node against the emulator, except that Map item listings with `From` either ignore it
     * (listing from the Map's first key) or are answered 404, as a Sync that reads `From` otherwise might.
     */
    function fromBroken(answer: 'ignored' | 404): Twilio {
      const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emu.url);
      const services = (sid: string) => {
        const service = client.sync.v1.services(sid);
        const syncMaps = Object.assign(
          (map: string) => {
            const items = service.syncMaps(map).syncMapItems;
            const page = async ({ from, bounds, ...rest }: { from?: string; bounds?: string; pageSize?: number; order?: 'asc' | 'desc' }) => {
              if (from !== undefined && answer === 404) throw Object.assign(new Error('The requested resource was not found'), { status: 404, code: 20404 });
              return items.page(rest);
            };
            return { syncMapItems: Object.assign((key: string) => items(key), { create: items.create.bind(items), page }) };
          },
          { create: service.syncMaps.create.bind(service.syncMaps) },
        );
        return { syncMaps };
      };
      return { sync: { v1: { services } } } as unknown as Twilio;
    }

    test.each(['ignored', 404] as const)('From %s: a read after a create met an existing slot (409) and not listing it fails, and sends the decision to the insurance limiter instead of racing on', async (answer) => {
      const window = { limit: 3, windowMs: 10_000 };
      const id = 'CH-cold';
      const group = SlotRateLimiter.groupOf(id, window, 0);
      // A group of another key before this one's in the bucket, and this key's three slots, taken by another instance 20 s ago.
      const { map, prefix } = groupParts(group);
      const healthy = emulatorSlotStore(emu);
      for (const key of ['0', '1', '2']) await healthy.take(slotGroup(map, '0.0.'), key, now, undefined, TTL, 'x');
      for (const key of ['0', '1', '2']) await healthy.take(group, key, now - 20_000, undefined, TTL, 'x');
      expect(prefix > '0.0.').toBe(true);
      const broken = new SyncSlotStore(fromBroken(answer), 'default');
      // At the store: a read with no 409 before it is taken as it comes; after one, it must list that slot.
      expect(await broken.list(group, 3)).toEqual([]);
      expect(await broken.take(group, '1', now, undefined, TTL, 'b')).toBe('lost');
      await expect(broken.list(group, 3)).rejects.toThrow(new StoreUnavailableError(`Sync read of ${group} failed: listing from the group's prefix omitted an existing slot (1)`));
      // Through the limiter: a cold instance's create meets 409, its read fails, and the decision
      // ends there (the gate hands it to the insurance limiter and FAIL_MODE, and logs it).
      const from = emu.log.length;
      const limiter = new SlotRateLimiter(new SyncSlotStore(fromBroken(answer), 'default'), { now: () => now });
      await expect(limiter.commit(id, window, await limiter.reserve(id, window))).rejects.toThrow(StoreUnavailableError);
      // (A 404 to the listing never reaches the emulator's log.)
      expect(emu.log.slice(from).map((e) => `${e.method} ${e.status}`)).toEqual(answer === 'ignored' ? ['POST 409', 'GET 200'] : ['POST 409']);
    });
  });

  test('a request abandoned when its time is up says so (not "undefined / 23", the DOMException code of a timeout)', async () => {
    const store = emulatorSlotStore(emu);
    const reads = emu.hold({ product: 'sync', method: 'GET' });
    let failure: unknown;
    await expect(withDeadline(100, () => store.list(GROUP).catch((e: unknown) => void (failure = e)))).rejects.toThrow(DeadlineExceededError);
    await waitFor(() => failure !== undefined, { what: 'the abandoned read to fail' });
    reads.release();
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(failure).toMatchObject({ message: `Sync read of ${GROUP} abandoned: its time was up before Sync answered`, status: undefined, code: undefined });
  });

  test('Twilio\'s answers keep their status and code', async () => {
    emu.injectFault({ kind: 'status', status: 429, code: 54009, product: 'sync' });
    const error = await emulatorSlotStore(emu).list(GROUP).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: `Sync read of ${GROUP} failed: 429 / 54009`, status: 429, code: 54009, throttled: true });
  });

  test('nobody listening: the network\'s own words, no status or code', async () => {
    const closed = await startEmulator();
    await closed.close();
    const error = await emulatorSlotStore(closed).list(GROUP).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ status: undefined, code: undefined, message: expect.stringMatching(new RegExp(`^Sync read of ${GROUP} failed: .*ECONNREFUSED`)) });
  });
});
