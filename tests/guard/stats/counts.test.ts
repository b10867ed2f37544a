import { asCounts, count, emptyCounts, FIVE_MINUTES_MS, HOUR_MS, merge, prune, totals } from '../../../src/guard/stats/counts';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('rejection counts', () => {
  it('sums each rule over the last hour and the last day, enforced and shadow apart, most frequent first', () => {
    const counts = emptyCounts();
    count(counts, 'message.body.bytes', 'enforced', NOW - 1000);
    count(counts, 'message.body.bytes', 'enforced', NOW - 2000);
    count(counts, 'participant.count', 'shadow', NOW - 3000);
    count(counts, 'participant.count', 'enforced', NOW - 2 * HOUR_MS);
    expect(totals(counts, NOW)).toEqual({
      lastHour: [
        { rule: 'message.body.bytes', enforced: 2, shadow: 0 },
        { rule: 'participant.count', enforced: 0, shadow: 1 },
      ],
      lastDay: [
        { rule: 'message.body.bytes', enforced: 2, shadow: 0 },
        { rule: 'participant.count', enforced: 1, shadow: 1 },
      ],
    });
  });

  it('counts the 12th 5-minute slot back in the last hour and not the 13th', () => {
    const slotStart = Math.floor(NOW / FIVE_MINUTES_MS) * FIVE_MINUTES_MS;
    const counts = emptyCounts();
    count(counts, 'inside', 'enforced', slotStart - 11 * FIVE_MINUTES_MS);
    count(counts, 'outside', 'enforced', slotStart - 11 * FIVE_MINUTES_MS - 1);
    expect(totals(counts, NOW).lastHour.map((t) => t.rule)).toEqual(['inside']);
  });

  it('counts the 24th hourly slot back in the last day and not the 25th', () => {
    const hourStart = Math.floor(NOW / HOUR_MS) * HOUR_MS;
    const counts = emptyCounts();
    count(counts, 'inside', 'enforced', hourStart - 23 * HOUR_MS);
    count(counts, 'outside', 'enforced', hourStart - 23 * HOUR_MS - 1);
    expect(totals(counts, NOW).lastDay.map((t) => t.rule)).toEqual(['inside']);
  });

  it('merges without changing either side', () => {
    const a = emptyCounts();
    const b = emptyCounts();
    count(a, 'r', 'enforced', NOW);
    count(b, 'r', 'enforced', NOW);
    count(b, 'r', 'shadow', NOW);
    const sum = merge(a, b);
    expect(totals(sum, NOW).lastHour).toEqual([{ rule: 'r', enforced: 2, shadow: 1 }]);
    expect(totals(a, NOW).lastHour).toEqual([{ rule: 'r', enforced: 1, shadow: 0 }]);
  });

  it('drops slots older than the day and the hour when pruning', () => {
    const counts = emptyCounts();
    count(counts, 'old', 'enforced', NOW - 30 * HOUR_MS);
    count(counts, 'recent', 'enforced', NOW);
    const pruned = prune(counts, NOW);
    expect(Object.keys(pruned.hours)).toHaveLength(1);
    expect(Object.keys(pruned.fiveMinutes)).toHaveLength(1);
  });

  it('keeps a document under Sync’s 16 KiB however many rules a day rejects, dropping the oldest slots first', () => {
    const counts = emptyCounts();
    for (let hour = 0; hour < 24; hour += 1) {
      for (let rule = 0; rule < 60; rule += 1) count(counts, `some.rule.with.a.long.name.${rule}`, 'enforced', NOW - hour * HOUR_MS);
    }
    for (let slot = 0; slot < 12; slot += 1) count(counts, 'recent.rule', 'enforced', NOW - slot * FIVE_MINUTES_MS);
    const pruned = prune(counts, NOW);
    expect(JSON.stringify(pruned).length).toBeLessThanOrEqual(14 * 1024);
    // The last hour survives whole; the oldest hours went first.
    expect(totals(pruned, NOW).lastHour.find((t) => t.rule === 'recent.rule')?.enforced).toBe(12);
    const hours = Object.keys(pruned.hours).map(Number);
    expect(Math.max(...hours)).toBe(Math.floor(NOW / HOUR_MS));
    expect(hours.length).toBeLessThan(24);
  });

  it('reads a stored document defensively: malformed slots and counts are ignored, not trusted', () => {
    const read = asCounts({ fiveMinutes: { '1': { ok: [1, 2], bad: [1], neg: [-1, 0], text: 'x' }, nope: { r: [1, 1] } }, hours: 'garbage' });
    expect(read).toEqual({ fiveMinutes: { '1': { ok: [1, 2] } }, hours: {} });
    expect(asCounts(null)).toEqual(emptyCounts());
    expect(asCounts([1, 2, 3])).toEqual(emptyCounts());
  });
});
