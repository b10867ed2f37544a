/**
 * SlotRateLimiter on an in-memory slot store with Sync's semantics: N slots, each admitting one
 * action per period, so at most N in any window of that length, from any number of instances, each
 * with its own memory. Clocks are injected: nothing waits in real time.
 */
import fc from 'fast-check';
import { SlotRateLimiter } from '../../../src/guard/rate/slot-limiter';
import type { Window } from '../../../src/guard/rate/window';
import { MemorySlotStore } from '../../../src/guard/store/memory-slot-store';
import { mostInAnyWindow } from '../../support/rate-emulator';
import { manualClock, RecordingSlotStore, seededRandom } from '../../support/rate-store';

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

  test('an admission costs one read when the group is unknown, then one write; a known group, one write', async () => {
    const clock = manualClock();
    const store = new RecordingSlotStore();
    const limiter = new SlotRateLimiter(store, { now: clock.now });
    expect(await decide(limiter, 'k', window)).toEqual({ admitted: true, requests: 2 });
    expect(await decide(limiter, 'k', window)).toEqual({ admitted: true, requests: 1 });
    expect(store.calls.map((c) => c.op)).toEqual(['list', 'take', 'take']);
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
  test('a burst of 3N spread over 3 instances, all reading before anyone writes: exactly N admitted', async () => {
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
          for (const [gap, arrivals, offset] of waves) {
            clock.advance(gap);
            const open = admitted.filter((t) => t > clock.now() - windowMs).length < limit;
            const outcomes = await Promise.all(Array.from({ length: arrivals }, (_, i) => decide(instances[(offset + i) % count]!, 'k', window)));
            for (const o of outcomes) if (o.admitted) admitted.push(clock.now());
            expect(mostInAnyWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
            // Room in the window: someone gets it. No room: nobody, and every refusal is a proven limit.
            expect(outcomes.some((o) => o.admitted)).toBe(open);
            if (!open) expect(outcomes.every((o) => !o.admitted && !o.contended)).toBe(true);
          }
        },
      ),
      { seed: 20261129, numRuns: 300 },
    );
  });
});
