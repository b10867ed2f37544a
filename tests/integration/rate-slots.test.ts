/**
 * SlotRateLimiter against the local Twilio API emulator, through twilio-node and the
 * TWILIO_API_BASE_URL redirect the functions use: several instances, each with its own memory,
 * sharing Sync; what each decision costs; Sync's per-object limits under a sustained rate at the
 * limit; the sliding guarantee across window edges; slots Sync removed (late) and that another
 * instance created again, at revision "0".
 */
import { verbose } from '../support/verbose';
import { DEFAULT_REMOVAL_LAG_MS, startEmulator, type Emulator } from '../../emulator';
import { SlotRateLimiter, slotsId, type Outcome } from '../../src/guard/rate/slot-limiter';
import { groupParts, type SlotStore, type SlotVersion } from '../../src/guard/store/slot-store';
import { parseWindow, type Window } from '../../src/guard/rate/window';
import { admittedBySlidingWindow, documentOf, emulatorSlotStore, isWrite, mostInAnyWindow, peakPerWindow, slotItems, syncRequests } from '../support/rate-emulator';
import { HOSTILE_KEYS } from '../support/rate-keys';
import { waitFor } from '../support/wait';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const decide = async (limiter: SlotRateLimiter, id: string, window: Window): Promise<Outcome> => limiter.commit(id, window, await limiter.reserve(id, window));
const instance = (now?: () => number) => new SlotRateLimiter(emulatorSlotStore(emu), { now });
const throttled = () => Object.values(emu.counters()).reduce((n, c) => n + c.throttled, 0);

test.each([0, 100])('a burst of 90 on one key (30/1m) spread over 3 instances, Sync answering in %i ms: 29 or 30 admitted, never more, no 429', async (latency) => {
  emu.setLatency(latency, { product: 'sync' });
  const window = parseWindow('30/1m')!;
  const instances = [instance(), instance(), instance()];
  const outcomes = await Promise.all(Array.from({ length: 90 }, (_, i) => decide(instances[i % 3]!, 'CH-burst', window)));
  const admitted = outcomes.filter((o) => o.admitted).length;
  expect(admitted).toBeLessThanOrEqual(30);
  expect(admitted).toBeGreaterThanOrEqual(Math.ceil(0.95 * 30));
  expect(throttled()).toBe(0);
});

test('a key\'s first action costs 1 create once its rule\'s Map is there (3 requests when Sync answers that it is not); the next, 1 write; a refused one, once known, nothing', async () => {
  const window = parseWindow('3/10s')!;
  const limiter = instance();
  const cost = async (key: string) => {
    const from = emu.log.length;
    await decide(limiter, key, window);
    return syncRequests(emu, from).map((e) => `${e.method} ${e.status}`);
  };
  const first = slotsId('cost', window, 'CH-cost');
  const mapOf = (id: string) => groupParts(SlotRateLimiter.groupOf(id, window, 0)).map;
  // No Map for its bucket yet: the create is answered 404, the Map created, then the slot.
  expect(await cost(first)).toEqual(['POST 404', 'POST 201', 'POST 201']);
  expect(await cost(first)).toEqual(['POST 201']);
  expect(await cost(first)).toEqual(['POST 201']);
  expect(await cost(first)).toEqual([]);
  // Another key of the rule whose bucket is that Map: its first action is one create.
  const neighbour = Array.from({ length: 10_000 }, (_, i) => slotsId('cost', window, `CH-${i}`)).find((id) => id !== first && mapOf(id) === mapOf(first))!;
  expect(await cost(neighbour)).toEqual(['POST 201']);
  // A cold instance facing a key whose slots exist: its create loses (409), it reads, and writes.
  const from = emu.log.length;
  expect(await decide(instance(), first, window)).toMatchObject({ admitted: false, requests: 2 });
  expect(syncRequests(emu, from).map((e) => `${e.method} ${e.status}`)).toEqual(['POST 409', 'GET 200']);
});

test('sustained 30/s on one key for 3 s from 3 instances: as many admitted as an exact sliding window admits, never more than 30 in any second, no 429, every Map under 20 writes/s and 20 reads/s', async () => {
  const window = parseWindow('30/1s')!;
  // One clock for the instances and for the emulator (its request log and its per-object rate
  // limits), moved by the test: the stream is exactly 30/s however fast the machine runs it.
  let clock = Date.UTC(2026, 10, 29, 12, 0, 0);
  emu.setClock(() => clock);
  // The time each slot was taken at, as written to Sync: what the guarantee is about.
  const takenAt: number[] = [];
  const recording = (): SlotStore => {
    const store = emulatorSlotStore(emu);
    return { list: (group) => store.list(group), take: (group, key, at, seen, ttl, writer) => store.take(group, key, at, seen, ttl, writer).then((r) => (r !== 'lost' && takenAt.push(at), r)) };
  };
  const instances = [0, 1, 2].map(() => new SlotRateLimiter(recording(), { now: () => clock }));
  const arrivedAt: number[] = [];
  let admitted = 0;
  try {
    // Every 100 ms, one message to each instance at once: 30 a second for 3 s.
    for (let step = 0; step < 30; step++, clock += 100) {
      arrivedAt.push(clock, clock, clock);
      const outcomes = await Promise.all(instances.map((limiter) => decide(limiter, 'CH-steady', window)));
      admitted += outcomes.filter((o) => o.admitted).length;
    }
  } finally {
    emu.setClock(Date.now);
  }
  const requests = syncRequests(emu);
  const writes = peakPerWindow(requests.filter(isWrite));
  const reads = peakPerWindow(requests.filter((e) => !isWrite(e)));
  const exact = admittedBySlidingWindow(arrivedAt, 30, 1000);
  verbose(`sustained 30/s for 3 s: admitted ${admitted}/90 (an exact window: ${exact}), ${requests.length} Sync requests, peak writes/s per Map ${[...writes.values()]}, peak reads/s per Map ${[...reads.values()]}`);
  // An exact limiter admits every one of these; instances racing for the same slot may lose up to 5% (as in the burst above).
  expect(exact).toBe(90);
  expect(admitted).toBeGreaterThanOrEqual(exact - Math.floor(0.05 * 90));
  expect(takenAt).toHaveLength(admitted);
  expect(mostInAnyWindow(takenAt, 1000)).toBeLessThanOrEqual(30);
  expect(throttled()).toBe(0);
  expect(Math.max(...writes.values())).toBeLessThan(20);
  expect(Math.max(...reads.values())).toBeLessThan(20);
  expect(new Set(requests.map(documentOf)).size).toBe(SlotRateLimiter.layout(window).length);
});

test('the window slides: N admitted just before an aligned edge leave no room just after it', async () => {
  let now = Date.UTC(2026, 10, 29, 12, 0, 0) - 100;
  const window = parseWindow('5/1s')!;
  const [a, b] = [instance(() => now), instance(() => now)];
  for (let i = 0; i < 5; i++) expect((await decide(i % 2 ? a : b, 'CH-edge', window)).admitted).toBe(true);
  now += 200; // past the second boundary, within the same sliding second
  expect(await decide(a, 'CH-edge', window)).toMatchObject({ admitted: false, retryAfterMs: 800 });
  now += 800;
  expect((await decide(b, 'CH-edge', window)).admitted).toBe(true);
});

test.each(HOSTILE_KEYS)('a hostile key (%j) is a valid, short Sync name', async (key) => {
  const window = parseWindow('2/10s')!;
  expect((await decide(instance(), key, window)).admitted).toBe(true);
  expect(syncRequests(emu).every((e) => e.status < 400 || e.status === 404)).toBe(true);
});

describe('slots Sync removed (late, after their TTL) and another instance created again: Sync numbers the revisions of each creation of an item from "0"', () => {
  const window = parseWindow('1/2s')!;
  /** The group of a key's slots: a 1/2s rule has one. */
  const groupOf = (id: string) => SlotRateLimiter.groupOf(id, window, 0);
  let clock: number;
  beforeEach(() => {
    clock = Date.UTC(2026, 10, 29, 12, 0, 0);
    // One clock for the instances and the emulator (its TTLs): nobody waits 5 minutes.
    emu.setClock(() => clock);
  });
  afterEach(() => emu.setClock(Date.now));

  test('two instances, one idle past the slot\'s lifetime: the slot the other creates again, at revision "0", is not taken again on the revision remembered from before', async () => {
    const [a, b] = [instance(() => clock), instance(() => clock)];
    expect((await decide(a, 'CH-idle', window)).admitted).toBe(true);
    const [before] = await slotItems(emu, groupOf('CH-idle'));
    // Idle until Sync has removed the slot: its expiry, plus the emulator's removal lag.
    clock = Date.parse(before!.date_expires!) + DEFAULT_REMOVAL_LAG_MS;
    expect((await decide(b, 'CH-idle', window)).admitted).toBe(true);
    const [after] = await slotItems(emu, groupOf('CH-idle'));
    expect(after!.revision).toBe(before!.revision);
    expect(after!.date_created).not.toBe(before!.date_created);
    clock += 100;
    expect(await decide(a, 'CH-idle', window)).toMatchObject({ admitted: false });
    // The slot still holds b's admission, and only that one.
    expect(await slotItems(emu, groupOf('CH-idle'))).toEqual([expect.objectContaining({ revision: after!.revision, data: after!.data })]);
  });

  test('an item read while expired but not yet removed, then removed and created again by another instance before the write lands: the write matches by coincidence, and admits nothing', async () => {
    const [first, late, other, third] = [instance(() => clock), instance(() => clock), instance(() => clock), instance(() => clock)];
    expect((await decide(first, 'CH-twilight', window)).admitted).toBe(true);
    const [item] = await slotItems(emu, groupOf('CH-twilight'));
    const expires = Date.parse(item!.date_expires!);
    // Expired, not removed yet: an instance reads it, finds the slot free, and writes with If-Match
    // on its revision. Sync is slow to take that write (held here).
    clock = expires + 1_000;
    const writes = emu.hold({ product: 'sync', method: 'POST', pathIncludes: `/Items/${groupParts(groupOf('CH-twilight')).prefix}0` });
    const lateDecision = decide(late, 'CH-twilight', window);
    await writes.arrived(1);
    // Meanwhile Sync removes the item, and another instance creates the Map and the slot again.
    clock = expires + DEFAULT_REMOVAL_LAG_MS;
    expect((await decide(other, 'CH-twilight', window)).admitted).toBe(true);
    const [recreated] = await slotItems(emu, groupOf('CH-twilight'));
    expect(recreated!.revision).toBe(item!.revision);
    writes.release();
    // The held write lands on the new item, whose revision it names: not an admission.
    expect(await lateDecision).toMatchObject({ admitted: false });
    // It wrote a time from before that creation over it: the slot still counts the creator's admission.
    clock += 100;
    expect(await decide(third, 'CH-twilight', window)).toMatchObject({ admitted: false });
    expect(emu.log.filter((e) => e.method === 'POST' && e.path.endsWith(`/Items/${groupParts(groupOf('CH-twilight')).prefix}0`)).map((e) => e.status)).toEqual([200]);
  });

  describe.each([
    ['answered late', false],
    ['abandoned at its deadline and applied by Sync later', true],
  ])('a write sent while the item was expired, landing (%s) after the item was removed, created again and taken again at the revision it names', (_how, abandoned) => {
    test('the admission it wrote over still counts: never more than the limit in any window', async () => {
      const id = `CH-overwritten-${abandoned}`;
      // The time each slot was taken at, as written to Sync, by the writes that took one.
      const takenAt: number[] = [];
      let landing: Promise<unknown> = Promise.resolve();
      let land = () => {};
      let sending = false;
      const recording = (): SlotStore => {
        const store = emulatorSlotStore(emu);
        return { list: (group) => store.list(group), take: (group, key, at, seen, ttl, writer) => store.take(group, key, at, seen, ttl, writer).then((r) => (r !== 'lost' && takenAt.push(at), r)) };
      };
      const late = (): SlotStore => {
        const store = recording();
        const sent = new Promise<void>((resolve) => (land = resolve));
        return {
          list: (group) => store.list(group),
          take: async (...args) => {
            // The write reaches Sync when the test lets it. Answered late, or abandoned: its answer
            // never comes (the decision gives up), and Sync applies it anyway.
            sending = true;
            landing = sent.then(() => store.take(...args));
            if (abandoned) throw new Error('Sync write of slot abandoned: its time was up before Sync answered');
            return landing as Promise<SlotVersion | 'lost'>;
          },
        };
      };
      const limiter = (store: SlotStore) => new SlotRateLimiter(store, { now: () => clock });
      const [first, slow, other, third] = [limiter(recording()), limiter(late()), limiter(recording()), limiter(recording())];
      expect((await decide(first, id, window)).admitted).toBe(true);
      clock += 2_000;
      expect((await decide(first, id, window)).admitted).toBe(true);
      const [item] = await slotItems(emu, groupOf(id));
      expect(item!.revision).toBe('1');
      const expires = Date.parse(item!.date_expires!);
      clock = expires + 1_000;
      const slowDecision = decide(slow, id, window).catch((error: unknown) => error);
      if (abandoned) expect(await slowDecision).toBeInstanceOf(Error);
      else await waitFor(() => sending, { what: 'the late write to be sent' });
      // Sync removes the item; another instance creates it again, and takes it again 5 s later: revision "1".
      clock = expires + DEFAULT_REMOVAL_LAG_MS;
      expect((await decide(other, id, window)).admitted).toBe(true);
      clock += 5_000;
      expect((await decide(other, id, window)).admitted).toBe(true);
      expect((await slotItems(emu, groupOf(id)))[0]!.revision).toBe('1');
      land();
      expect(await landing).toBe('lost');
      await slowDecision;
      clock += 100;
      await decide(third, id, window);
      expect(mostInAnyWindow(takenAt, window.windowMs)).toBeLessThanOrEqual(window.limit);
    });
  });

  test('an item read while expired but not yet removed is taken by a write naming it, renewed, and then counted', async () => {
    const [first, late, other] = [instance(() => clock), instance(() => clock), instance(() => clock)];
    expect((await decide(first, 'CH-late', window)).admitted).toBe(true);
    const [item] = await slotItems(emu, groupOf('CH-late'));
    clock = Date.parse(item!.date_expires!) + 1_000;
    expect((await decide(late, 'CH-late', window)).admitted).toBe(true);
    const [renewed] = await slotItems(emu, groupOf('CH-late'));
    expect(renewed).toMatchObject({ revision: String(Number(item!.revision) + 1), date_created: item!.date_created });
    expect(Date.parse(renewed!.date_expires!)).toBeGreaterThan(clock);
    clock += 1_000;
    expect(await decide(other, 'CH-late', window)).toMatchObject({ admitted: false });
  });
});
