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
import { BUCKETS, SKEW_MARGIN_MS, SlotRateLimiter, slotsId, ttlOf, type Outcome, type Reservation } from '../../../src/guard/rate/slot-limiter';
import type { Window } from '../../../src/guard/rate/window';
import { MemorySlotStore } from '../../../src/guard/store/memory-slot-store';
import { groupParts, slotGroup, type SlotStore } from '../../../src/guard/store/slot-store';
import { emulatorSlotStore, mostInAnyWindow } from '../../support/rate-emulator';
import { HeldSlotStore, manualClock, RecordingSlotStore, seededRandom, settled } from '../../support/rate-store';
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

describe('what a write that lost shows: only the view it went by is stale, and the limit is only ever what was seen', () => {
  // 9/1s: three groups of three slots. With random() always 0 every shuffle is [1, 2, 0] and the
  // first free slot is tried: Y = 1 (this instance fills it), X = 2 (raced for), Z = 0 (full).
  const window: Window = { limit: 9, windowMs: 1_000 };
  const [Z, Y, X] = [0, 1, 2];
  const id = 'CH-raced';
  const groupName = (g: number) => SlotRateLimiter.groupOf(id, window, g);
  const TTL = ttlOf(window);

  /**
   * D1 and D2 write on X (their writes held); another instance takes both slots first; D2's 412 comes
   * back and D2 reads X again (held); then D3 reserves: X stale, Z never read, Y known full, so it
   * reads X (joining D2's read) and Z at once, both held. D1's write is still held.
   */
  async function raced() {
    const clock = manualClock();
    const t0 = clock.now();
    const raw = new MemorySlotStore({ now: clock.now });
    // Another instance: X's slots taken 1.1 s ago (free now), Z's just now (full for a second).
    for (const key of ['0', '1', '2']) {
      await raw.take(groupName(X), key, t0 - 1_100, undefined, TTL, 'w');
      await raw.take(groupName(Z), key, t0, undefined, TTL, 'w');
    }
    const store = new HeldSlotStore(raw);
    const limiter = new SlotRateLimiter(store, { now: clock.now, random: () => 0 });
    for (let i = 0; i < 3; i++) expect(await decide(limiter, id, window)).toMatchObject({ admitted: true });
    // D1: assumes X new, its create loses (409), it reads X and writes slot 0 over the version it read: held.
    store.holding = (call) => call.op === 'take' && call.seen !== undefined;
    const d1 = decide(limiter, id, window);
    await settled();
    const d1Write = store.take1((c) => c.group === groupName(X) && c.key === '0');
    // D2: X known with room, slot 0 claimed by D1: writes slot 1, held.
    const d2 = decide(limiter, id, window);
    await settled();
    const d2Write = store.take1((c) => c.group === groupName(X) && c.key === '1');
    const taker = (key: string) => raw.list(groupName(X)).then((slots) => raw.take(groupName(X), key, t0, slots.find((s) => s.key === key), TTL, 'w'));
    await taker('0');
    await taker('1');
    store.holding = () => true;
    d2Write.release();
    await settled();
    const xRead = store.take1((c) => c.op === 'list' && c.group === groupName(X));
    let reservation: Reservation | undefined;
    const d3 = limiter.reserve(id, window).then((r) => (reservation = r));
    await settled();
    const zRead = store.take1((c) => c.op === 'list' && c.group === groupName(Z));
    expect(store.held.filter((c) => c.op === 'list')).toEqual([]);
    const finish = async () => {
      store.releaseAll();
      d1Write.release();
      await Promise.all([d1, d2, d3]);
    };
    return { limiter, store, d1Write, xRead, zRead, d3, reservation: () => reservation, finish };
  }

  test('a write\'s late 412 does not make stale the view a newer read produced: a reservation that read X with room and Z full gets X, not "the limit, retry in 1 ms"', async () => {
    const { store, d1Write, xRead, zRead, d3, reservation, finish } = await raced();
    // X's new read: slot 2 still free. Then D1's 412 comes back, then Z reads full.
    xRead.release();
    await settled();
    store.holding = () => true;
    d1Write.release();
    await settled();
    zRead.release();
    await d3;
    expect(reservation()).toEqual({ kind: 'candidate', group: X, requests: 2 });
    await finish();
  });

  test('a view forgotten (least recently used) between its read and the check is not counted full: no refusal as the limit until commit has seen every group again', async () => {
    const { limiter, xRead, zRead, d3, reservation, finish } = await raced();
    xRead.release();
    await settled();
    // 5,000 other keys' first reservations (no request) push X's and Y's views out of memory.
    for (let i = 0; i < 5_000; i++) await limiter.reserve(`CH-other-${i}`, window);
    zRead.release();
    await d3;
    expect(reservation()).toEqual({ kind: 'candidate', requests: 2 });
    await finish();
    // Meanwhile D2 took X's last slot: commit reads what it had forgotten, and only then refuses, as the limit.
    const outcome = await limiter.commit(id, window, reservation()!);
    expect(outcome).toMatchObject({ admitted: false, retryAfterMs: 1_000 });
    expect(outcome.admitted || outcome.contended).toBeFalsy();
  });
});

describe('a key taken to be new whose bucket Map is not there (404)', () => {
  test('the decisions waiting on the first create send theirs at the 404, while the Map is being created, not once that create is answered', async () => {
    const window: Window = { limit: 3, windowMs: 10_000 };
    const raw = new MemorySlotStore();
    const sent: string[] = [];
    let answerMapCreation = () => undefined as void;
    let mapCreation: Promise<void> | undefined;
    // As SyncSlotStore: the first create meets 404 and says so (onMissing), then creates the Map
    // (held here); a create sent meanwhile joins that creation before it goes out.
    const store: SlotStore = {
      list: (group, size) => raw.list(group, size),
      take: async (group, key, takenAt, seen, ttl, writer, onMissing) => {
        sent.push(`create ${key}`);
        if (!mapCreation) {
          mapCreation = new Promise<void>((resolve) => (answerMapCreation = resolve));
          sent.push('404');
          onMissing?.();
        }
        await mapCreation;
        return raw.take(group, key, takenAt, seen, ttl, writer);
      },
    };
    const limiter = new SlotRateLimiter(store, { now: manualClock().now });
    const decisions = Promise.all(Array.from({ length: 3 }, () => decide(limiter, 'CH-new', window)));
    await settled();
    // The Map's creation is still held: the two others' creates went out right after the 404.
    expect(sent).toHaveLength(4);
    expect(sent[1]).toBe('404');
    expect(sent.filter((request) => request !== '404').sort()).toEqual(['create 0', 'create 1', 'create 2']);
    answerMapCreation();
    expect(await decisions).toEqual(Array.from({ length: 3 }, () => ({ admitted: true, requests: 1 })));
    expect((await raw.list(SlotRateLimiter.groupOf('CH-new', window, 0))).map((slot) => slot.key).sort()).toEqual(['0', '1', '2']);
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
