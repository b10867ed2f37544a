/**
 * SlotRateLimiter on an in-memory slot store with Sync's semantics (revisions per item from "0",
 * items removed late after their TTL and created again): N slots, each admitting one action per
 * period, so at most N in any window of that length, from any number of instances, each with its own
 * memory. Clocks are injected: nothing waits in real time. Then, against the emulator, reads shared
 * by concurrent decisions, each within its own deadline.
 */
import fc from 'fast-check';
import { startEmulator, type Emulator } from '../../../emulator';
import { DeadlineExceededError, withDeadline } from '../../../src/guard/deadline';
import { BUCKETS, SKEW_MARGIN_MS, SlotRateLimiter, slotsId, ttlOf, type Outcome } from '../../../src/guard/rate/slot-limiter';
import type { Window } from '../../../src/guard/rate/window';
import { MemorySlotStore } from '../../../src/guard/store/memory-slot-store';
import { groupParts, slotGroup, type SlotStore } from '../../../src/guard/store/slot-store';
import { emulatorSlotStore, mostInAnyWindow } from '../../support/rate-emulator';
import { manualClock, RecordingSlotStore, seededRandom } from '../../support/rate-store';
import { waitFor } from '../../support/wait';

const decide = async (limiter: SlotRateLimiter, id: string, window: Window) => limiter.commit(id, window, await limiter.reserve(id, window));

describe('one instance', () => {
  const window: Window = { limit: 3, windowMs: 10_000 };

  test('admits N, refuses the N+1th with the exact wait, and admits again when the oldest slot is a period old', async () => {
    const clock = manualClock();
    const limiter = new SlotRateLimiter(new MemorySlotStore(), { now: clock.now });
    for (let i = 0; i < 3; i++) {
      expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: true });
      clock.advance(1_000);
    }
    expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: false, retryAfterMs: 7_000 });
    clock.advance(6_999);
    expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: true });
    expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: false, retryAfterMs: 1_000 });
  });

  test('keys are counted apart', async () => {
    const limiter = new SlotRateLimiter(new MemorySlotStore(), { now: manualClock().now });
    for (let i = 0; i < 3; i++) await decide(limiter, 'a', window);
    expect(await decide(limiter, 'a', window)).toMatchObject({ admitted: false });
    expect(await decide(limiter, 'b', window)).toMatchObject({ admitted: true });
  });

  test('a warm instance that knows every slot taken denies without a request until the first frees', async () => {
    const clock = manualClock();
    const store = new RecordingSlotStore();
    const limiter = new SlotRateLimiter(store, { now: clock.now });
    for (let i = 0; i < 3; i++) await decide(limiter, 'k', window);
    store.clear();
    for (let i = 0; i < 100; i++) expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: false, requests: 0 });
    expect(store.calls).toEqual([]);
  });

  test('a key\'s first action costs one create, and so does a slot this instance knows free', async () => {
    const clock = manualClock();
    const store = new RecordingSlotStore();
    const limiter = new SlotRateLimiter(store, { now: clock.now });
    expect(await decide(limiter, 'k', window)).toEqual({ admitted: true, requests: 1 });
    expect(await decide(limiter, 'k', window)).toEqual({ admitted: true, requests: 1 });
    expect(await decide(limiter, 'k', window)).toEqual({ admitted: true, requests: 1 });
    clock.advance(10_000);
    // Every slot known free again: one conditional update, no read.
    expect(await decide(limiter, 'k', window)).toEqual({ admitted: true, requests: 1 });
    expect(store.calls.map((c) => `${c.op} ${c.result}`)).toEqual(['take taken', 'take taken', 'take taken', 'take taken']);
  });

  test('a reservation for a key this instance knows nothing of makes no request', async () => {
    const store = new RecordingSlotStore();
    const limiter = new SlotRateLimiter(store, { now: manualClock().now });
    expect(await limiter.reserve('k', { limit: 100, windowMs: 1_000 })).toMatchObject({ kind: 'candidate', requests: 0 });
    expect(store.calls).toEqual([]);
  });

  test('concurrent first actions of one instance on a key: one create tests the guess before the others write', async () => {
    const store = new RecordingSlotStore();
    const limiter = new SlotRateLimiter(store, { now: manualClock().now });
    const order: string[] = [];
    store.beforeTake = () => void order.push(`take ${store.calls.length}`);
    const outcomes = await Promise.all(Array.from({ length: 3 }, () => decide(limiter, 'k', window)));
    expect(outcomes).toEqual(Array.from({ length: 3 }, () => ({ admitted: true, requests: 1 })));
    // The first create was answered (recorded) before the two others were sent.
    expect(order).toEqual(['take 0', 'take 1', 'take 1']);
  });
});

describe('keys share a bounded set of Maps per rule', () => {
  const window: Window = { limit: 3, windowMs: 10_000 };

  test('5,000 keys of a rule lie in at most 128 Maps, every item under its key\'s prefix', async () => {
    const store = new MemorySlotStore();
    const limiter = new SlotRateLimiter(store);
    for (let i = 0; i < 5_000; i++) expect(await decide(limiter, slotsId('rule', window, `CH${i}`), window)).toMatchObject({ admitted: true, requests: 1 });
    expect(store.mapNames().length).toBe(BUCKETS);
    const { map, prefix } = groupParts(SlotRateLimiter.groupOf(slotsId('rule', window, 'CH7'), window, 0));
    expect(store.mapNames()).toContain(map);
    expect(await store.list(slotGroup(map, prefix))).toHaveLength(1);
  });

  test('a key\'s groups lie in distinct Maps (30/1s: 10 groups, 10 Maps); another rule or window, other Maps', () => {
    const fast: Window = { limit: 30, windowMs: 1_000 };
    const id = slotsId('rule', fast, 'CH1');
    const maps = SlotRateLimiter.layout(fast).map((_, g) => groupParts(SlotRateLimiter.groupOf(id, fast, g)).map);
    expect(new Set(maps).size).toBe(10);
    const mapOf = (rule: string, w: Window) => groupParts(SlotRateLimiter.groupOf(slotsId(rule, w, 'CH1'), w, 0)).map;
    expect(mapOf('other', fast)).not.toBe(maps[0]);
    expect(mapOf('rule', { limit: 31, windowMs: 1_000 })).not.toBe(maps[0]);
  });

  test('a rule with more groups per key than 128 gets a bucket per group', () => {
    const huge: Window = { limit: 1_000, windowMs: 1_000 };
    const groups = SlotRateLimiter.layout(huge).length;
    expect(groups).toBeGreaterThan(BUCKETS);
    const id = slotsId('rule', huge, 'CH1');
    expect(new Set(Array.from({ length: groups }, (_, g) => groupParts(SlotRateLimiter.groupOf(id, huge, g)).map)).size).toBe(groups);
  });
});

describe('layout: slots spread over groups (Sync Maps) so that none takes more than 3 admissions a second', () => {
  test.each([
    [{ limit: 30, windowMs: 1_000 }, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]],
    [{ limit: 30, windowMs: 60_000 }, [30]],
    [{ limit: 5, windowMs: 10_000 }, [5]],
    [{ limit: 250, windowMs: 3_600_000 }, [84, 83, 83]],
    [{ limit: 2, windowMs: 1_000 }, [2]],
  ])('%o → %o', (window, sizes) => {
    expect(SlotRateLimiter.layout(window)).toEqual(sizes);
  });
});

describe('several instances sharing one store, each with its own memory', () => {
  test('a cold instance facing a key at its limit over 34 groups (100/1s): its create finds the slot taken, it reads that group, then the 33 others 8 at once: 7 round trips, not 35, and refuses', async () => {
    const clock = manualClock();
    const many: Window = { limit: 100, windowMs: 1_000 };
    expect(SlotRateLimiter.layout(many)).toHaveLength(34);
    const raw = new MemorySlotStore({ now: clock.now });
    const warm = new SlotRateLimiter(raw, { now: clock.now });
    for (let i = 0; i < 100; i++) expect(await decide(warm, 'k', many)).toMatchObject({ admitted: true });
    // Every request waits until the test answers it: a round trip is the requests in flight together.
    const held: Array<() => void> = [];
    const hold = () => new Promise<void>((resolve) => held.push(resolve));
    const gated: SlotStore = {
      list: async (...args) => (await hold(), raw.list(...args)),
      take: async (group, key, takenAt, seen, ttl, writer) => (await hold(), raw.take(group, key, takenAt, seen, ttl, writer)),
    };
    const cold = new SlotRateLimiter(gated, { now: clock.now });
    let outcome: Outcome | undefined;
    const deciding = decide(cold, 'k', many).then((o) => (outcome = o));
    const roundTrips: number[] = [];
    for (;;) {
      await waitFor(() => outcome !== undefined || held.length > 0, { what: 'a request or the answer' });
      if (outcome !== undefined) break;
      // Every request of this round trip was sent in the same turn as the first (before this check ran).
      roundTrips.push(held.length);
      held.splice(0).forEach((answer) => answer());
    }
    await deciding;
    expect(roundTrips).toEqual([1, 1, 8, 8, 8, 8, 1]);
    expect(outcome).toMatchObject({ admitted: false, requests: 35 });
    expect(outcome!.admitted || outcome!.contended).toBeFalsy();
  });

  test('a cold instance facing a key whose slots exist: its create loses (409), it reads the group, and takes a free slot there', async () => {
    const clock = manualClock();
    const store = new RecordingSlotStore(new MemorySlotStore({ now: clock.now }));
    const window: Window = { limit: 3, windowMs: 10_000 };
    const warm = new SlotRateLimiter(store, { now: clock.now });
    for (let i = 0; i < 3; i++) await decide(warm, 'k', window);
    clock.advance(10_000 + SKEW_MARGIN_MS);
    store.clear();
    const cold = new SlotRateLimiter(store, { now: clock.now });
    expect(await decide(cold, 'k', window)).toEqual({ admitted: true, requests: 3 });
    expect(store.calls.map((c) => `${c.op} ${c.result ?? ''}`.trim())).toEqual(['take lost', 'list', 'take taken']);
  });

  test('a burst of 3N spread over 3 instances, all reserving before anyone writes: exactly N admitted', async () => {
    const clock = manualClock();
    const store = new MemorySlotStore();
    const random = seededRandom(7);
    const instances = Array.from({ length: 3 }, () => new SlotRateLimiter(store, { now: clock.now, random }));
    const window: Window = { limit: 30, windowMs: 60_000 };
    const reservations = await Promise.all(Array.from({ length: 90 }, (_, i) => instances[i % 3]!.reserve('k', window).then((r) => [i % 3, r] as const)));
    const outcomes = await Promise.all(reservations.map(([instance, r]) => instances[instance]!.commit('k', window, r)));
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(30);
    expect(outcomes.filter((o) => !o.admitted && o.contended)).toHaveLength(0);
  });

  test('property: random arrivals over random instances never admit more than N in any window, and a lone arrival to an open key is admitted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          limit: fc.integer({ min: 1, max: 12 }),
          windowMs: fc.integer({ min: 1_000, max: 20_000 }),
          instances: fc.integer({ min: 1, max: 4 }),
          // Groups of simultaneous arrivals: [ms since the previous group, arrivals, instance offset].
          waves: fc.array(fc.tuple(fc.integer({ min: 0, max: 8_000 }), fc.integer({ min: 1, max: 15 }), fc.nat()), { minLength: 1, maxLength: 12 }),
          seed: fc.integer(),
        }),
        async ({ limit, windowMs, instances: count, waves, seed }) => {
          const clock = manualClock();
          const store = new MemorySlotStore();
          const random = seededRandom(seed);
          const instances = Array.from({ length: count }, () => new SlotRateLimiter(store, { now: clock.now, random }));
          const window = { limit, windowMs };
          const admitted: number[] = [];
          const inWindow = (width: number) => admitted.filter((t) => t > clock.now() - width).length;
          for (const [gap, arrivals, offset] of waves) {
            clock.advance(gap);
            // Room even for a slot another instance took (judged free SKEW_MARGIN_MS after its period), and none at all.
            const open = inWindow(windowMs + SKEW_MARGIN_MS) < limit;
            const full = inWindow(windowMs) >= limit;
            const outcomes = await Promise.all(Array.from({ length: arrivals }, (_, i) => decide(instances[(offset + i) % count]!, 'k', window)));
            for (const o of outcomes) if (o.admitted) admitted.push(clock.now());
            expect(mostInAnyWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
            // Room in the window: someone gets it. No room: nobody, and every refusal is a proven limit.
            if (open) expect(outcomes.some((o) => o.admitted)).toBe(true);
            if (full) expect(outcomes.every((o) => !o.admitted && !o.contended)).toBe(true);
          }
        },
      ),
      { seed: 20261129, numRuns: 300 },
    );
  });
});

describe('slots removed and created again: Sync removes an expired item late, and numbers the revisions of each creation from "0"', () => {
  const window: Window = { limit: 1, windowMs: 2_000 };
  const lifetimeMs = ttlOf(window) * 1000;
  const LAG = 60_000;

  test('an instance idle past a slot\'s lifetime reads it again before writing, and does not take the slot another instance just created again at the revision it remembers', async () => {
    const clock = manualClock();
    const store = new RecordingSlotStore(new MemorySlotStore({ now: clock.now, removalLagMs: LAG }));
    const [a, b] = [new SlotRateLimiter(store, { now: clock.now }), new SlotRateLimiter(store, { now: clock.now })];
    expect(await decide(a, 'k', window)).toMatchObject({ admitted: true });
    const [remembered] = await store.raw.list(store.calls[0]!.group);
    clock.advance(lifetimeMs + LAG);
    expect(await decide(b, 'k', window)).toMatchObject({ admitted: true });
    const [recreated] = await store.raw.list(store.calls[0]!.group);
    expect(recreated).toMatchObject({ revision: remembered!.revision });
    expect(recreated!.created).not.toBe(remembered!.created);
    clock.advance(100);
    store.clear();
    expect(await decide(a, 'k', window)).toEqual({ admitted: false, retryAfterMs: 1_900 + SKEW_MARGIN_MS, requests: 1 });
    expect(store.calls.map((c) => c.op)).toEqual(['list']);
  });

  test('property: arrivals with idle gaps past the slots\' lifetime, over instances that remember what they saw, never admit more than N in any window; a lone arrival after a long idle is admitted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          limit: fc.integer({ min: 1, max: 6 }),
          windowMs: fc.integer({ min: 1_000, max: 20_000 }),
          instances: fc.integer({ min: 2, max: 4 }),
          // [ms since the previous wave (short, or around the slots' lifetime and its removal), arrivals, instance offset].
          waves: fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 300_000, max: 460_000 })), fc.integer({ min: 1, max: 8 }), fc.nat()), { minLength: 1, maxLength: 16 }),
          seed: fc.integer(),
        }),
        async ({ limit, windowMs, instances: count, waves, seed }) => {
          const clock = manualClock();
          const random = seededRandom(seed);
          // Each write's item is removed 0 to 2 minutes after its TTL.
          const store = new MemorySlotStore({ now: clock.now, removalLagMs: () => Math.floor(random() * 120_000) });
          const instances = Array.from({ length: count }, () => new SlotRateLimiter(store, { now: clock.now, random }));
          const window = { limit, windowMs };
          const idleAfter = ttlOf(window) * 1000 + 120_000;
          const admitted: number[] = [];
          for (const [gap, arrivals, offset] of waves) {
            clock.advance(gap);
            const idle = admitted.every((t) => t <= clock.now() - idleAfter);
            const outcomes = await Promise.all(Array.from({ length: arrivals }, (_, i) => decide(instances[(offset + i) % count]!, 'k', window)));
            for (const o of outcomes) if (o.admitted) admitted.push(clock.now());
            expect(mostInAnyWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
            if (idle) expect(outcomes.some((o) => o.admitted)).toBe(true);
          }
        },
      ),
      { seed: 20261130, numRuns: 200 },
    );
  });
});

describe('instances whose clocks differ', () => {
  const window: Window = { limit: 1, windowMs: 1_000 };

  test('a slot this instance took frees exactly a period later; one another instance took, SKEW_MARGIN_MS after that', async () => {
    const clock = manualClock();
    const store = new MemorySlotStore();
    const [a, b] = [new SlotRateLimiter(store, { now: clock.now }), new SlotRateLimiter(store, { now: clock.now })];
    expect(await decide(a, 'k', window)).toMatchObject({ admitted: true });
    clock.advance(1_000);
    expect(await decide(b, 'k', window)).toMatchObject({ admitted: false, retryAfterMs: SKEW_MARGIN_MS });
    expect(await decide(a, 'k', window)).toMatchObject({ admitted: true });
    clock.advance(1_000 + SKEW_MARGIN_MS - 1);
    expect(await decide(b, 'k', window)).toMatchObject({ admitted: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(await decide(b, 'k', window)).toMatchObject({ admitted: true });
  });

  test('property: instances whose clocks differ by up to SKEW_MARGIN_MS never admit more than N in any window of real time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          limit: fc.integer({ min: 1, max: 8 }),
          windowMs: fc.integer({ min: 1_000, max: 5_000 }),
          offsets: fc.array(fc.integer({ min: 0, max: SKEW_MARGIN_MS }), { minLength: 2, maxLength: 4 }),
          waves: fc.array(fc.tuple(fc.integer({ min: 0, max: 1_500 }), fc.integer({ min: 1, max: 10 }), fc.nat()), { minLength: 1, maxLength: 20 }),
          seed: fc.integer(),
        }),
        async ({ limit, windowMs, offsets, waves, seed }) => {
          const real = manualClock();
          const store = new MemorySlotStore();
          const random = seededRandom(seed);
          const instances = offsets.map((offset) => new SlotRateLimiter(store, { now: () => real.now() + offset, random }));
          const window = { limit, windowMs };
          const admitted: number[] = [];
          for (const [gap, arrivals, first] of waves) {
            real.advance(gap);
            const outcomes = await Promise.all(Array.from({ length: arrivals }, (_, i) => decide(instances[(first + i) % instances.length]!, 'k', window)));
            for (const o of outcomes) if (o.admitted) admitted.push(real.now());
            expect(mostInAnyWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
          }
        },
      ),
      { seed: 20261131, numRuns: 200 },
    );
  });
});

describe('a read of a slot group shared by concurrent decisions of one instance (the local Twilio API emulator)', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  /** A key whose 5 slots another instance took 20 s ago: free, but there, so a cold instance's create loses (409) and it reads. */
  async function takenLongAgo(key: string, window: Window): Promise<void> {
    const other = new SlotRateLimiter(emulatorSlotStore(emu), { now: () => Date.now() - 20_000 });
    for (let i = 0; i < window.limit; i++) expect(await decide(other, key, window)).toMatchObject({ admitted: true });
  }

  test('runs under its own deadline: a decision that joined it is answered once Sync answers, not cut off at the deadline of the decision that started it', async () => {
    const window: Window = { limit: 5, windowMs: 10_000 };
    await takenLongAgo('CH-shared', window);
    const limiter = new SlotRateLimiter(emulatorSlotStore(emu));
    const reads = emu.hold({ product: 'sync', method: 'GET' });
    // Started back to back: the first tries a create (409: the slots exist) and reads the group; the
    // second waits for that create, then joins the read. The read is held, so the first decision's
    // time (100 ms) is up before Sync answers; the second has a minute.
    const from = emu.log.length;
    const first = withDeadline(100, () => decide(limiter, 'CH-shared', window));
    const second = withDeadline(60_000, () => decide(limiter, 'CH-shared', window));
    await expect(first).rejects.toThrow(DeadlineExceededError);
    reads.release();
    expect(await second).toMatchObject({ admitted: true });
    expect(emu.log.slice(from).filter((e) => e.method === 'GET').map((e) => e.status)).toEqual([200]);
  });

  test('stops once no decision waits for it any more', async () => {
    const window: Window = { limit: 5, windowMs: 10_000 };
    await takenLongAgo('CH-gone', window);
    const limiter = new SlotRateLimiter(emulatorSlotStore(emu));
    const reads = emu.hold({ product: 'sync', method: 'GET' });
    const from = emu.log.length;
    const both = [withDeadline(100, () => decide(limiter, 'CH-gone', window)), withDeadline(150, () => decide(limiter, 'CH-gone', window))];
    for (const decision of both) await expect(decision).rejects.toThrow(DeadlineExceededError);
    // The client gave the read up (499): nothing was left waiting for it.
    await waitFor(() => emu.log.some((e) => e.method === 'GET' && e.status === 499), { what: 'the read to be abandoned' });
    reads.release();
    expect(emu.log.slice(from).filter((e) => e.method === 'GET').map((e) => e.status)).toEqual([499]);
  });
});
