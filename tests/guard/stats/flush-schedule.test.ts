import { FLUSH_BURST, FlushSchedule } from '../../../src/guard/stats/flush-schedule';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('FlushSchedule', () => {
  it('lets a quiet instance flush three times at once, then once per interval', () => {
    const schedule = new FlushSchedule();
    expect(FLUSH_BURST).toBe(3);
    expect([0, 1, 2, 3].map((i) => schedule.take(NOW + i, 10_000))).toEqual([true, true, true, false]);
    expect(schedule.take(NOW + 9_000, 10_000)).toBe(false);
    expect(schedule.take(NOW + 10_003, 10_000)).toBe(true);
    expect(schedule.take(NOW + 10_004, 10_000)).toBe(false);
  });

  it('costs a flood one flush per interval', () => {
    const schedule = new FlushSchedule();
    let flushes = 0;
    for (let at = NOW; at < NOW + 60_000; at += 6) if (schedule.take(at, 10_000)) flushes += 1;
    // The burst of three, then one for each of the 5 intervals after the first.
    expect(flushes).toBe(3 + 5);
  });
});
