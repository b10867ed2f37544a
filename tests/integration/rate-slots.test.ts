/**
 * SlotRateLimiter against the local Twilio API emulator, through twilio-node and the
 * TWILIO_API_BASE_URL redirect the functions use: several instances, each with its own memory,
 * sharing Sync; what each decision costs; Sync's per-object limits under a sustained rate at the
 * limit; the sliding guarantee across window edges.
 */
import { verbose } from '../support/verbose';
import { startEmulator, type Emulator } from '../../emulator';
import { SlotRateLimiter, type Outcome } from '../../src/guard/rate/slot-limiter';
import type { SlotStore } from '../../src/guard/store/slot-store';
import { parseWindow, type Window } from '../../src/guard/rate/window';
import { admittedBySlidingWindow, documentOf, emulatorSlotStore, isWrite, mostInAnyWindow, peakPerWindow, syncRequests } from '../support/rate-emulator';
import { HOSTILE_KEYS } from '../support/rate-keys';

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

test('an admitted decision costs 1 read and 1 write on a cold instance, 1 write on a warm one; a refused one, once known, nothing', async () => {
  const window = parseWindow('3/10s')!;
  const limiter = instance();
  const cost: string[][] = [];
  for (let i = 0; i < 4; i++) {
    const from = emu.log.length;
    await decide(limiter, 'CH-cost', window);
    cost.push(syncRequests(emu, from).map((e) => `${e.method} ${e.status}`));
  }
  // The first finds no Map (404), creates it, then its slot; the others write one slot each.
  expect(cost[0]).toEqual(['GET 404', 'POST 201', 'POST 201']);
  expect(cost[1]).toEqual(['POST 201']);
  expect(cost[2]).toEqual(['POST 201']);
  expect(cost[3]).toEqual([]);
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
    return { list: (group) => store.list(group), take: (group, key, at, revision, ttl) => store.take(group, key, at, revision, ttl).then((r) => (r !== 'lost' && takenAt.push(at), r)) };
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
