/** The insurance limiter: the same sliding window, in one instance's memory, bounded whatever the limit. */
import fc from 'fast-check';
import { BUCKETS, MemoryRateLimiter } from '../../../src/guard/rate/memory-limiter';
import { hasRoom, msUntilRoom, prune } from '../../../src/guard/rate/sliding-log';
import { slidingWindow } from '../../../src/guard/rate/window';
import { manualClock } from '../../support/rate-store';

describe('MemoryRateLimiter', () => {
  const window = slidingWindow(2, '1s');

  test('admits up to the limit, refuses with the wait until the oldest leaves, admits again then', () => {
    const clock = manualClock();
    const start = clock.now();
    const limiter = new MemoryRateLimiter(clock.now);
    expect(limiter.take('k', window)).toEqual({ admitted: true });
    clock.advance(300);
    expect(limiter.take('k', window)).toEqual({ admitted: true });
    clock.advance(100);
    expect(limiter.take('k', window)).toEqual({ admitted: false, retryAfterMs: 600 });
    clock.set(start + 999);
    expect(limiter.take('k', window)).toEqual({ admitted: false, retryAfterMs: 1 });
    clock.set(start + 1000);
    expect(limiter.take('k', window)).toEqual({ admitted: true });
    expect(limiter.take('k', window)).toMatchObject({ admitted: false, retryAfterMs: 300 });
  });

  test('a refused action is not counted', () => {
    const clock = manualClock();
    const limiter = new MemoryRateLimiter(clock.now);
    limiter.take('k', window);
    limiter.take('k', window);
    for (let i = 0; i < 10; i++) limiter.take('k', window);
    clock.advance(1000);
    expect(limiter.take('k', window)).toEqual({ admitted: true });
    expect(limiter.take('k', window)).toEqual({ admitted: true });
  });

  test('actions Sync admitted count here too', () => {
    const clock = manualClock();
    const limiter = new MemoryRateLimiter(clock.now);
    limiter.record('k', window);
    limiter.record('k', window);
    limiter.record('k', window);
    expect(limiter.take('k', window)).toMatchObject({ admitted: false });
    expect(limiter.take('other', window)).toEqual({ admitted: true });
  });
});

describe('MemoryRateLimiter: memory per key bounded whatever the limit', () => {
  test('5000/1d for a busy author keeps at most BUCKETS + 1 numbers, not 5000 times', () => {
    const clock = manualClock();
    const limiter = new MemoryRateLimiter(clock.now);
    const window = slidingWindow(5000, '1d');
    let admitted = 0;
    let largest = 0;
    for (let i = 0; i < 6000; i += 1) {
      clock.advance(1000); // one action a second for 100 minutes
      if (limiter.take('author', window).admitted) admitted += 1;
      limiter.record('author', window);
      largest = Math.max(largest, limiter.sizeOf('author'));
    }
    // Each admission was counted twice here (taken, then recorded as if Sync had admitted it too).
    expect(admitted).toBe(2500);
    expect(largest).toBe(BUCKETS + 1);
    expect(limiter.take('author', window)).toMatchObject({ admitted: false });
  });

  test('a limit of up to BUCKETS keeps an exact log of at most `limit` times', () => {
    const clock = manualClock();
    const limiter = new MemoryRateLimiter(clock.now);
    const window = slidingWindow(BUCKETS, '1s');
    for (let i = 0; i < 500; i += 1) {
      limiter.take('k', window);
      limiter.record('k', window);
      clock.advance(1);
    }
    expect(limiter.sizeOf('k')).toBe(BUCKETS);
  });

  test('at most maxKeys keys, the least recently used forgotten first', () => {
    const limiter = new MemoryRateLimiter(manualClock().now, 3);
    const window = slidingWindow(100, '1h');
    for (const key of ['a', 'b', 'c']) limiter.record(key, window);
    limiter.take('a', window); // a is now the most recently used
    limiter.record('d', window);
    expect(['a', 'b', 'c', 'd'].map((key) => limiter.sizeOf(key) > 0)).toEqual([true, false, true, true]);
  });
});

describe('MemoryRateLimiter over BUCKETS: sub-window counts', () => {
  // 120 per 60 s: buckets of 1 s, 61 of them.
  const window = slidingWindow(120, '60s');

  test('admits the limit, refuses the next, and admits again exactly when the oldest bucket has left the window', () => {
    const clock = manualClock(1_700_000_000_000); // a whole second: bucket boundaries fall on whole seconds
    const start = clock.now();
    const limiter = new MemoryRateLimiter(clock.now);
    clock.set(start + 250);
    for (let i = 0; i < 100; i += 1) expect(limiter.take('k', window)).toEqual({ admitted: true });
    clock.set(start + 30_000);
    for (let i = 0; i < 20; i += 1) expect(limiter.take('k', window)).toEqual({ admitted: true });
    // 120 within the period: full. The first 100 sit in the bucket [start, start + 1 s), which the window
    // counts whole until start + 1 s + 60 s: 750 ms after an exact log would have let them go.
    expect(limiter.take('k', window)).toEqual({ admitted: false, retryAfterMs: 31_000 });
    clock.set(start + 60_250);
    expect(limiter.take('k', window)).toEqual({ admitted: false, retryAfterMs: 750 });
    clock.set(start + 60_999);
    expect(limiter.take('k', window)).toEqual({ admitted: false, retryAfterMs: 1 });
    clock.set(start + 61_000);
    for (let i = 0; i < 100; i += 1) expect(limiter.take('k', window)).toEqual({ admitted: true });
    expect(limiter.take('k', window)).toEqual({ admitted: false, retryAfterMs: 30_000 });
  });

  test('the retry time is when enough buckets have left for one more action', () => {
    const clock = manualClock(1_700_000_000_000);
    const start = clock.now();
    const limiter = new MemoryRateLimiter(clock.now);
    for (let second = 0; second < 60; second += 1) {
      clock.set(start + second * 1000);
      limiter.take('k', window);
      limiter.take('k', window);
    }
    // Two per second for a minute: full; the bucket of second 0 leaves at 61 s.
    clock.set(start + 59_500);
    expect(limiter.take('k', window)).toEqual({ admitted: false, retryAfterMs: 1_500 });
    clock.set(start + 61_000);
    expect(limiter.take('k', window)).toEqual({ admitted: true });
    expect(limiter.take('k', window)).toEqual({ admitted: true });
    expect(limiter.take('k', window)).toEqual({ admitted: false, retryAfterMs: 1_000 });
  });

  test('a clock that steps back loses nothing it counted', () => {
    const clock = manualClock(1_700_000_000_000);
    const limiter = new MemoryRateLimiter(clock.now);
    for (let i = 0; i < 120; i += 1) limiter.record('k', window);
    clock.advance(-5_000);
    expect(limiter.take('k', window)).toMatchObject({ admitted: false });
  });

  // Dense streams: gaps of 0 to about twice the average spacing a full window allows (2 · period /
  // limit), more often 0, a rare long one (so that windows also empty), and four times as many steps
  // as the limit, so every run meets the limit. A run that never refuses proves nothing and fails.
  test.each([
    ['an exact log', 5, 1000],
    ['sub-window counts', 75, 1000],
    ['sub-window counts, a period not a multiple of BUCKETS', 61, 997],
  ])('%s: never admits an action while it knows of `limit` others within the period before it (dense random streams)', (_kind, limit, windowMs) => {
    const w = { limit, windowMs };
    const dense = Math.ceil((2 * windowMs) / limit);
    const dt = fc.oneof({ arbitrary: fc.constant(0), weight: 30 }, { arbitrary: fc.integer({ min: 1, max: dense }), weight: 200 }, { arbitrary: fc.integer({ min: 0, max: 2 * windowMs }), weight: 1 });
    const step = fc.record({ dt, record: fc.boolean() });
    let runs = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: Math.max(100, 4 * limit), maxLength: Math.max(600, 8 * limit) }), (steps) => {
        runs++;
        let now = 1_700_000_000_000;
        const limiter = new MemoryRateLimiter(() => now);
        const known: number[] = [];
        let refused = 0;
        for (const { dt, record } of steps) {
          now += dt;
          if (record) {
            limiter.record('k', w);
            known.push(now);
            continue;
          }
          const before = known.filter((t) => t > now - windowMs).length;
          const taken = limiter.take('k', w);
          if (taken.admitted) {
            if (before >= limit) return false;
            known.push(now);
          } else {
            refused++;
            if (before < limit && limit <= BUCKETS) return false; // an exact log refuses only at the limit
          }
        }
        return refused > 0;
      }),
      { numRuns: 200, seed: 4201 },
    );
    expect(runs).toBeGreaterThanOrEqual(200);
  });

  test('sub-window counts refuse no longer than one bucket past what an exact log would (dense random streams)', () => {
    const w = { limit: 75, windowMs: 6000 }; // buckets of 100 ms
    const dense = Math.ceil((2 * w.windowMs) / w.limit); // 160 ms: on average one a full window's spacing
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: dense }), { minLength: 4 * w.limit, maxLength: 600 }), (gaps) => {
        let now = 1_700_000_000_000;
        const limiter = new MemoryRateLimiter(() => now);
        const admitted: number[] = [];
        let refused = 0;
        for (const gap of gaps) {
          now += gap;
          const taken = limiter.take('k', w);
          if (taken.admitted) {
            // Never more than the limit in any window of the period's length.
            if (admitted.filter((t) => t > now - w.windowMs).length >= w.limit) return false;
            admitted.push(now);
            continue;
          }
          refused++;
          // Refused although the period and one bucket before it hold room: more conservative than promised.
          if (admitted.filter((t) => t > now - w.windowMs - 100).length < w.limit) return false;
        }
        return refused > 0;
      }),
      { numRuns: 200, seed: 4202 },
    );
  });
});

describe('sliding log', () => {
  test('an entry is inside the window for exactly windowMs', () => {
    expect(prune([0, 500, 999], 1000, 1000)).toEqual([500, 999]);
    expect(hasRoom([1, 2], 2, 1000, 1000)).toBe(false);
    expect(hasRoom([0, 2], 2, 1000, 1000)).toBe(true);
  });

  test('entries from a clock running ahead (within one window) are kept; absurd ones are dropped', () => {
    expect(prune([1500, 2000, 2001], 1000, 1000)).toEqual([1500, 2000]);
  });

  test('msUntilRoom: 0 with room, else until the entry that frees a place', () => {
    expect(msUntilRoom([100], 2, 500, 1000)).toBe(0);
    expect(msUntilRoom([300, 100, 200], 2, 500, 1000)).toBe(700);
    expect(msUntilRoom([100, 200, 300], 3, 500, 1000)).toBe(600);
  });
});
