/**
 * SyncRateLimiter over an in-memory document store with Sync's revision semantics and a clock the
 * test moves: exactness under concurrency and over time, sharding, what a denied key costs, and the
 * 412 path (another instance writes between this one's read and its conditional write).
 */
import { shardCapacities } from '../../../src/guard/rate/sliding-log';
import { SyncRateLimiter, type Outcome } from '../../../src/guard/rate/sync-limiter';
import { parseWindow, slidingWindow, type Window } from '../../../src/guard/rate/window';
import type { DocumentStore } from '../../../src/guard/store/document-store';
import { syncName } from '../../../src/guard/store/names';
import { manualClock, RecordingStore, seededRandom, shardLog, touch } from '../../support/rate-store';

/** One whole decision, both phases, as the gate makes it. */
async function decide(limiter: SyncRateLimiter, id: string, window: Window): Promise<Outcome> {
  return limiter.commit(id, window, await limiter.reserve(id, window));
}

const admittedIn = (outcomes: Outcome[]) => outcomes.filter((o) => o.admitted).length;

/** Every timestamp held for `id` across its shards. */
async function heldFor(store: DocumentStore, id: string, window: Window): Promise<number[]> {
  const shards = SyncRateLimiter.shardCount(window);
  const logs = await Promise.all(Array.from({ length: shards }, (_, s) => shardLog(store, syncName('rate', id, String(s)))));
  return logs.flat();
}

describe('shards', () => {
  test.each([
    ['30/1s', 4],
    ['200/1h', 1],
    ['5/10s', 1],
    ['10/10 s', 1],
    ['8/1s', 1],
    ['9/1s', 2],
    ['100/1s', 13],
    ['2000/1h', 4],
  ])('%s is split over %i shard(s)', (text, shards) => {
    expect(SyncRateLimiter.shardCount(parseWindow(text)!)).toBe(shards);
  });

  test.each(['30/1s', '200/1h', '5/10s', '100/1s', '1000/1s', '2000/1h', '7/1ms'])(
    '%s: the shards share the limit evenly, each well under Sync\'s 20 writes/s and a few KB of timestamps',
    (text) => {
      const window = parseWindow(text)!;
      const capacities = shardCapacities(window, SyncRateLimiter.shardCount(window));
      expect(capacities.reduce((a, b) => a + b, 0)).toBe(window.limit);
      expect(Math.max(...capacities) - Math.min(...capacities)).toBeLessThanOrEqual(1);
      expect(Math.min(...capacities)).toBeGreaterThanOrEqual(1);
      const perSecond = (capacity: number) => capacity / (window.windowMs / 1000);
      // A shard sees one read and one write per admitted action; 7/1ms cannot be split that finely.
      if (text !== '7/1ms') expect(Math.max(...capacities.map(perSecond))).toBeLessThanOrEqual(10);
      expect(Math.max(...capacities)).toBeLessThanOrEqual(500);
    },
  );

  test('30/1s: capacities 8, 8, 7 and 7', () => {
    const window = parseWindow('30/1s')!;
    expect(shardCapacities(window, SyncRateLimiter.shardCount(window))).toEqual([8, 8, 7, 7]);
  });

  test('each shard is its own Sync document, named guard_rate_<hex>', async () => {
    const store = new RecordingStore();
    const clock = manualClock();
    const window = parseWindow('30/1s')!;
    const limiter = new SyncRateLimiter(store, { now: clock.now, random: seededRandom(1) });
    for (let i = 0; i < 30; i++) expect((await decide(limiter, 'CH1', window)).admitted).toBe(true);
    const written = new Set(store.calls.filter((c) => c.op !== 'get').map((c) => c.name));
    expect(written.size).toBe(4);
    for (const name of written) expect(name).toMatch(/^guard_rate_[0-9a-f]{32}$/);
  });
});

describe('exactness', () => {
  test.each([
    ['10/10 s', 1],
    ['30/1s', 3],
    ['30/1s', 30],
    ['100/1s', 10],
  ])('%s: a burst of three times the limit from %i instance(s) admits exactly the limit', async (text, instances) => {
    const window = parseWindow(text)!;
    const store = new RecordingStore();
    const clock = manualClock();
    const limiters = Array.from({ length: instances }, (_, i) => new SyncRateLimiter(store, { now: clock.now, random: seededRandom(i + 1) }));
    const outcomes = await Promise.all(Array.from({ length: 3 * window.limit }, (_, i) => decide(limiters[i % instances]!, 'CH1', window)));
    expect(admittedIn(outcomes)).toBe(window.limit);
    expect(await heldFor(store, 'CH1', window)).toHaveLength(window.limit);
    // Every refusal says when to come back, and none of them is a give-up under contention.
    for (const o of outcomes) if (!o.admitted) expect(o).toMatchObject({ retryAfterMs: window.windowMs });
    expect(outcomes.filter((o) => !o.admitted && o.contended)).toHaveLength(0);
  });

  test('a steady stream at the limit (30 per 1200 ms, one every 40 ms) is never refused over 20 windows', async () => {
    const window = slidingWindow(30, '1200');
    const clock = manualClock();
    const limiter = new SyncRateLimiter(new RecordingStore(), { now: clock.now, random: seededRandom(7) });
    const refused: number[] = [];
    for (let i = 0; i < 20 * 30; i++) {
      if (!(await decide(limiter, 'CH1', window)).admitted) refused.push(i);
      clock.advance(40);
    }
    expect(refused).toEqual([]);
  });

  test('a steady stream just under the limit (30/1s, one every 35 ms) is never refused over 20 windows, from 3 instances', async () => {
    const window = parseWindow('30/1s')!;
    const clock = manualClock();
    const store = new RecordingStore();
    const limiters = [1, 2, 3].map((seed) => new SyncRateLimiter(store, { now: clock.now, random: seededRandom(seed) }));
    let refused = 0;
    for (let i = 0; i < 572; i++) {
      if (!(await decide(limiters[i % 3]!, 'CH1', window)).admitted) refused++;
      clock.advance(35);
    }
    expect(refused).toBe(0);
  });

  test('a stream of 31 per window against 30 per window refuses exactly one per window', async () => {
    const window = slidingWindow(30, '1240');
    const clock = manualClock();
    const store = new RecordingStore();
    const limiters = [1, 2].map((seed) => new SyncRateLimiter(store, { now: clock.now, random: seededRandom(seed) }));
    const windows = 12;
    const refusedAt: number[] = [];
    for (let i = 0; i < 31 * windows; i++) {
      if (!(await decide(limiters[i % 2]!, 'CH1', window)).admitted) refusedAt.push(i);
      clock.advance(40);
    }
    expect(refusedAt).toHaveLength(windows);
    // The 31st arrival of every window is the one over the limit.
    expect(refusedAt).toEqual(Array.from({ length: windows }, (_, k) => 31 * k + 30));
  });

  test('actions leave the window exactly windowMs after they were admitted', async () => {
    const window = slidingWindow(3, '1000');
    const clock = manualClock();
    const start = clock.now();
    const limiter = new SyncRateLimiter(new RecordingStore(), { now: clock.now });
    for (const at of [start, start + 100, start + 200]) {
      clock.set(at);
      expect((await decide(limiter, 'k', window)).admitted).toBe(true);
    }
    clock.set(start + 999);
    expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: false, retryAfterMs: 1 });
    clock.set(start + 1000);
    expect((await decide(limiter, 'k', window)).admitted).toBe(true);
    expect((await decide(limiter, 'k', window)).admitted).toBe(false);
  });

  test('keys are counted apart', async () => {
    const window = slidingWindow(2, '1s');
    const clock = manualClock();
    const limiter = new SyncRateLimiter(new RecordingStore(), { now: clock.now });
    for (const key of ['CH1', 'CH1', 'CH2', 'CH2']) expect((await decide(limiter, key, window)).admitted).toBe(true);
    expect((await decide(limiter, 'CH1', window)).admitted).toBe(false);
    expect((await decide(limiter, 'CH2', window)).admitted).toBe(false);
    expect((await decide(limiter, 'CH3', window)).admitted).toBe(true);
  });
});

describe('what a decision costs', () => {
  test('an admitted action costs one read and one write', async () => {
    const store = new RecordingStore();
    const clock = manualClock();
    const window = parseWindow('30/1s')!;
    const limiter = new SyncRateLimiter(store, { now: clock.now, random: seededRandom(3) });
    for (let i = 0; i < 5; i++) {
      store.clear();
      const outcome = await decide(limiter, 'CH1', window);
      expect(outcome).toEqual({ admitted: true, requests: 2 });
      expect([store.reads(), store.writes()]).toEqual([1, 1]);
      clock.advance(10);
    }
  });

  test('a full key is refused on reads alone, then, on the same instance, without any request until retryAfterMs', async () => {
    const window = parseWindow('30/1s')!;
    const clock = manualClock();
    const store = new RecordingStore();
    const filler = new SyncRateLimiter(store, { now: clock.now });
    for (let i = 0; i < 30; i++) expect((await decide(filler, 'CH1', window)).admitted).toBe(true);
    const start = clock.now();

    clock.advance(200);
    store.clear();
    const limiter = new SyncRateLimiter(store, { now: clock.now });
    const first = await decide(limiter, 'CH1', window);
    expect(first).toMatchObject({ admitted: false, retryAfterMs: 800 });
    expect(store.writes()).toBe(0);
    // At most every shard once; fewer when the shard read first carries its writer's hints.
    expect(store.reads()).toBeGreaterThanOrEqual(1);
    expect(store.reads()).toBeLessThanOrEqual(SyncRateLimiter.shardCount(window));

    store.clear();
    for (const at of [start + 200, start + 500, start + 999]) {
      clock.set(at);
      expect(await decide(limiter, 'CH1', window)).toMatchObject({ admitted: false, retryAfterMs: start + 1000 - at, requests: 0 });
    }
    expect(store.calls).toEqual([]);

    clock.set(start + 1000);
    expect(await decide(limiter, 'CH1', window)).toMatchObject({ admitted: true });
  });

  test('a warm instance does not read again a shard it saw full, until that shard has room', async () => {
    const window = parseWindow('30/1s')!;
    const clock = manualClock();
    const store = new RecordingStore();
    const shard0 = syncName('rate', 'CH1', '0');
    const other = new SyncRateLimiter(store.raw, { now: clock.now, random: () => 0 });
    for (let i = 0; i < 8; i++) expect((await decide(other, 'CH1', window)).admitted).toBe(true);

    const limiter = new SyncRateLimiter(store, { now: clock.now, random: () => 0 });
    // Shard 0 is read and found full, shard 1 has room: two reads, one write.
    expect(await decide(limiter, 'CH1', window)).toEqual({ admitted: true, requests: 3 });
    expect(store.calls.filter((c) => c.op === 'get').map((c) => c.name)).toContain(shard0);

    for (const at of [clock.now(), clock.now() + 999]) {
      clock.set(at);
      store.clear();
      expect(await decide(limiter, 'CH1', window)).toEqual({ admitted: true, requests: 2 });
      expect(store.calls.map((c) => c.name)).not.toContain(shard0);
    }
    clock.advance(1);
    store.clear();
    await decide(limiter, 'CH1', window);
    expect(store.calls.map((c) => c.name)).toContain(shard0);
  });
});

describe('conflicts (412): another instance wrote between the read and the conditional write', () => {
  test('the write is retried on fresh data and the action admitted', async () => {
    const window = slidingWindow(10, '10 s');
    const clock = manualClock();
    const store = new RecordingStore();
    const other = new SyncRateLimiter(store.raw, { now: clock.now });
    let interleave = 3;
    store.beforeWrite = async () => {
      if (interleave-- > 0) expect((await decide(other, 'k', window)).admitted).toBe(true);
    };
    const outcome = await decide(new SyncRateLimiter(store, { now: clock.now }), 'k', window);
    expect(outcome.admitted).toBe(true);
    expect(store.calls.filter((c) => c.op !== 'get').map((c) => c.result)).toEqual(['exists', 'conflict', 'conflict', 'written']);
    expect(await heldFor(store, 'k', window)).toHaveLength(4);
  });

  test('however the writes interleave, the two instances together never admit more than the limit', async () => {
    for (const text of ['10/10 s', '30/1s']) {
      const window = parseWindow(text)!;
      const clock = manualClock();
      const store = new RecordingStore();
      const other = new SyncRateLimiter(store.raw, { now: clock.now, random: seededRandom(11) });
      let byOther = 0;
      store.beforeWrite = async () => {
        if ((await decide(other, 'k', window)).admitted) byOther++;
      };
      const ours = new SyncRateLimiter(store, { now: clock.now, random: seededRandom(12), maxAttempts: 50 });
      const outcomes: Outcome[] = [];
      for (let i = 0; i < window.limit; i++) outcomes.push(await decide(ours, 'k', window));
      expect(store.calls.some((c) => c.result === 'conflict' || c.result === 'exists')).toBe(true);
      expect(admittedIn(outcomes) + byOther).toBe(window.limit);
      expect(await heldFor(store, 'k', window)).toHaveLength(window.limit);
    }
  });

  test('when the reserved shard fills up meanwhile, the action goes to another shard', async () => {
    const window = parseWindow('30/1s')!;
    const clock = manualClock();
    const store = new RecordingStore();
    const other = new SyncRateLimiter(store.raw, { now: clock.now, random: () => 0 });
    const ours = new SyncRateLimiter(store, { now: clock.now, random: () => 0 });
    const reservation = await ours.reserve('k', window);
    expect(reservation).toMatchObject({ kind: 'candidate', shard: 0 });
    // Shard 0 holds 8: another instance fills it before this one writes.
    for (let i = 0; i < 8; i++) expect((await decide(other, 'k', window)).admitted).toBe(true);
    expect((await ours.commit('k', window, reservation)).admitted).toBe(true);
    expect(await shardLog(store, syncName('rate', 'k', '0'))).toHaveLength(8);
    expect(await heldFor(store, 'k', window)).toHaveLength(9);
  });

  test('when every shard fills up meanwhile, the action is refused without a write', async () => {
    const window = slidingWindow(2, '1s');
    const clock = manualClock();
    const store = new RecordingStore();
    const ours = new SyncRateLimiter(store, { now: clock.now });
    const reservation = await ours.reserve('k', window);
    const other = new SyncRateLimiter(store.raw, { now: clock.now });
    await decide(other, 'k', window);
    await decide(other, 'k', window);
    store.clear();
    const outcome = await ours.commit('k', window, reservation);
    expect(outcome).toMatchObject({ admitted: false, retryAfterMs: 1000 });
    expect(outcome).not.toHaveProperty('contended');
    expect(store.calls.filter((c) => c.result === 'written')).toEqual([]);
  });

  test('bounded attempts: a write that always conflicts gives up as refused, contended', async () => {
    const window = slidingWindow(10, '10 s');
    const clock = manualClock();
    const store = new RecordingStore();
    store.beforeWrite = (name, raw) => touch(raw, name);
    const outcome = await decide(new SyncRateLimiter(store, { now: clock.now, maxAttempts: 4 }), 'k', window);
    expect(outcome).toMatchObject({ admitted: false, contended: true });
    expect(store.writes()).toBe(4);
    expect(store.calls.filter((c) => c.result === 'written')).toEqual([]);
    expect(await heldFor(store, 'k', window)).toEqual([]);
  });

  test('by default a one-shard key tries 5 writes before giving up', async () => {
    const store = new RecordingStore();
    store.beforeWrite = (name, raw) => touch(raw, name);
    const outcome = await decide(new SyncRateLimiter(store, { now: manualClock().now }), 'k', slidingWindow(10, '10 s'));
    expect(outcome).toMatchObject({ admitted: false, contended: true });
    expect(store.writes()).toBe(5);
  });
});

test('a writer passes on which shards it saw full, so a new instance denies a full key after one read', async () => {
  const window = parseWindow('30/1s')!;
  const clock = manualClock();
  const store = new RecordingStore();
  // Always the lowest open shard: shards fill in order, and the last write (shard 3) is made by an
  // instance that has seen shards 0 to 2 full.
  const filler = new SyncRateLimiter(store, { now: clock.now, random: () => 0 });
  for (let i = 0; i < 30; i++) expect((await decide(filler, 'CH1', window)).admitted).toBe(true);

  store.clear();
  const reader = new SyncRateLimiter(store, { now: clock.now, random: () => 0.99 }); // reads shard 3 first
  expect(await decide(reader, 'CH1', window)).toMatchObject({ admitted: false, retryAfterMs: 1000 });
  expect([store.reads(), store.writes()]).toEqual([1, 0]);

  store.clear();
  const unlucky = new SyncRateLimiter(store, { now: clock.now, random: () => 0 }); // shard 0 was written before any hint
  expect(await decide(unlucky, 'CH1', window)).toMatchObject({ admitted: false });
  expect([store.reads(), store.writes()]).toEqual([SyncRateLimiter.shardCount(window), 0]);
});

describe('a decision that ran out of time writes nothing afterwards', () => {
  test('an aborted commit makes no write and is a contended denial', async () => {
    const window = parseWindow('5/1s')!;
    const store = new RecordingStore();
    const limiter = new SyncRateLimiter(store, { now: manualClock().now });
    const reservation = await limiter.reserve('k', window);
    const abandon = new AbortController();
    abandon.abort();
    expect(await limiter.commit('k', window, reservation, { signal: abandon.signal })).toMatchObject({ admitted: false, contended: true });
    expect(store.writes()).toBe(0);
  });

  test('conflict after conflict stops once giveUpAt has passed: denied as contended, never admitted late', async () => {
    const window = parseWindow('5/1s')!;
    const clock = manualClock();
    const store = new RecordingStore();
    // Another instance writes before every one of ours, and time runs on.
    store.beforeWrite = async (name, raw) => {
      const current = await raw.get<{ t: number[] }>(name);
      if (current) await raw.replace(name, { t: current.data.t }, current.revision);
      clock.advance(100);
    };
    const limiter = new SyncRateLimiter(store, { now: clock.now, maxAttempts: 50 });
    const reservation = await limiter.reserve('k', window);
    await limiter.commit('k', window, { kind: 'candidate', shard: 0, doc: undefined, requests: 0 });
    const outcome = await limiter.commit('k', window, reservation, { giveUpAt: clock.now() + 250 });
    expect(outcome).toMatchObject({ admitted: false, contended: true });
    expect(store.calls.filter((c) => c.result === 'conflict').length).toBeLessThanOrEqual(4);
  });
});

test('a shard that was full when probed is probed again once it has room', async () => {
  const window = parseWindow('2/1s')!; // one shard of 2
  const clock = manualClock();
  const store = new RecordingStore();
  const filler = new SyncRateLimiter(store, { now: clock.now });
  expect((await decide(filler, 'k', window)).admitted).toBe(true);
  clock.advance(500);
  expect((await decide(filler, 'k', window)).admitted).toBe(true);
  const limiter = new SyncRateLimiter(store, { now: clock.now });
  expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: false, retryAfterMs: 500 });
  clock.advance(500); // the first action leaves the window
  expect(await decide(limiter, 'k', window)).toMatchObject({ admitted: true });
});
