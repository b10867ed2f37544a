/** The insurance limiter: the same sliding window, in one instance's memory. */
import { MemoryRateLimiter } from '../../../src/guard/rate/memory-limiter';
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
