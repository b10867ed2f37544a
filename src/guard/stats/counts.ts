/**
 * Rejection counts as plain data: what one Sync document holds and what an instance buffers before
 * it flushes. Counts are kept in 5-minute slots for the last hour and hourly slots for the last day,
 * so a document stays a few kilobytes however many rejections it counts.
 */

export const FIVE_MINUTES_MS = 5 * 60_000;
export const HOUR_MS = 60 * 60_000;
const FIVE_MINUTE_SLOTS_PER_HOUR = 12;
const HOURS_PER_DAY = 24;

/** Sync refuses documents over 16 KiB; stay under it with room for the envelope. */
export const MAX_COUNTS_JSON_BYTES = 14 * 1024;

/** How a rejection reached the caller: answered (`enforced`) or only logged in shadow mode (`shadow`). */
export type Outcome = 'enforced' | 'shadow';

/** Per rule id: [enforced, shadow]. */
export type SlotCounts = Record<string, [number, number]>;

export interface RejectionCounts {
  /** Slot number (epoch ms / 5 minutes) → counts. */
  fiveMinutes: Record<string, SlotCounts>;
  /** Slot number (epoch ms / 1 hour) → counts. */
  hours: Record<string, SlotCounts>;
}

export interface RuleTotal {
  rule: string;
  enforced: number;
  shadow: number;
}

export interface Totals {
  lastHour: RuleTotal[];
  lastDay: RuleTotal[];
}

export const emptyCounts = (): RejectionCounts => ({ fiveMinutes: {}, hours: {} });

export const isEmpty = (counts: RejectionCounts): boolean =>
  Object.keys(counts.fiveMinutes).length === 0 && Object.keys(counts.hours).length === 0;

function bump(slots: Record<string, SlotCounts>, slot: number, rule: string, outcome: Outcome, by: number): void {
  const counts = (slots[slot] ??= {});
  const pair = (counts[rule] ??= [0, 0]);
  pair[outcome === 'enforced' ? 0 : 1] += by;
}

/** Counts one rejection at time `at` (epoch ms). Mutates `counts`. */
export function count(counts: RejectionCounts, rule: string, outcome: Outcome, at: number): void {
  bump(counts.fiveMinutes, Math.floor(at / FIVE_MINUTES_MS), rule, outcome, 1);
  bump(counts.hours, Math.floor(at / HOUR_MS), rule, outcome, 1);
}

function addSlots(into: Record<string, SlotCounts>, from: Record<string, SlotCounts>): void {
  for (const [slot, rules] of Object.entries(from)) {
    for (const [rule, [enforced, shadow]] of Object.entries(rules)) {
      bump(into, Number(slot), rule, 'enforced', enforced);
      bump(into, Number(slot), rule, 'shadow', shadow);
    }
  }
}

/** `a` plus `b`, as a new object. */
export function merge(a: RejectionCounts, b: RejectionCounts): RejectionCounts {
  const sum = emptyCounts();
  for (const counts of [a, b]) {
    addSlots(sum.fiveMinutes, counts.fiveMinutes);
    addSlots(sum.hours, counts.hours);
  }
  return sum;
}

const firstFiveMinuteSlot = (now: number) => Math.floor(now / FIVE_MINUTES_MS) - (FIVE_MINUTE_SLOTS_PER_HOUR - 1);
const firstHourSlot = (now: number) => Math.floor(now / HOUR_MS) - (HOURS_PER_DAY - 1);

function keepFrom(slots: Record<string, SlotCounts>, first: number): Record<string, SlotCounts> {
  return Object.fromEntries(Object.entries(slots).filter(([slot]) => Number(slot) >= first));
}

/**
 * Drops slots older than the hour and the day `totals` reports, then, if the JSON would still be
 * too big for Sync, the oldest slots until it fits: recent counts matter most.
 */
export function prune(counts: RejectionCounts, now: number, maxBytes = MAX_COUNTS_JSON_BYTES): RejectionCounts {
  const kept: RejectionCounts = { fiveMinutes: keepFrom(counts.fiveMinutes, firstFiveMinuteSlot(now)), hours: keepFrom(counts.hours, firstHourSlot(now)) };
  while (JSON.stringify(kept).length > maxBytes) {
    const oldestHour = Object.keys(kept.hours).map(Number).sort((x, y) => x - y)[0];
    const oldestFive = Object.keys(kept.fiveMinutes).map(Number).sort((x, y) => x - y)[0];
    // Hourly slots carry the day; drop the oldest hour first while it is older than the last hour.
    if (oldestHour !== undefined && (oldestFive === undefined || oldestHour * HOUR_MS < now - HOUR_MS)) delete kept.hours[oldestHour];
    else if (oldestFive !== undefined) delete kept.fiveMinutes[oldestFive];
    else break;
  }
  return kept;
}

function sumSince(slots: Record<string, SlotCounts>, first: number): RuleTotal[] {
  const byRule = new Map<string, RuleTotal>();
  for (const [slot, rules] of Object.entries(slots)) {
    if (Number(slot) < first) continue;
    for (const [rule, [enforced, shadow]] of Object.entries(rules)) {
      const total = byRule.get(rule) ?? { rule, enforced: 0, shadow: 0 };
      total.enforced += enforced;
      total.shadow += shadow;
      byRule.set(rule, total);
    }
  }
  return [...byRule.values()].sort((x, y) => y.enforced + y.shadow - (x.enforced + x.shadow) || x.rule.localeCompare(y.rule));
}

/**
 * Rejections per rule, most frequent first. The last hour is the current 5-minute slot and the 11
 * before it; the last day the current hour and the 23 before it (so up to 5 minutes, or an hour,
 * more than the name says: slots are counted whole).
 */
export function totals(counts: RejectionCounts, now: number): Totals {
  return { lastHour: sumSince(counts.fiveMinutes, firstFiveMinuteSlot(now)), lastDay: sumSince(counts.hours, firstHourSlot(now)) };
}

/** A document read from Sync, checked: anything else is treated as empty rather than trusted. */
export function asCounts(data: unknown): RejectionCounts {
  const slots = (value: unknown): Record<string, SlotCounts> => {
    if (!value || typeof value !== 'object') return {};
    const result: Record<string, SlotCounts> = {};
    for (const [slot, rules] of Object.entries(value)) {
      if (!/^\d+$/.test(slot) || !rules || typeof rules !== 'object') continue;
      for (const [rule, pair] of Object.entries(rules)) {
        if (Array.isArray(pair) && pair.length === 2 && pair.every((n) => Number.isSafeInteger(n) && n >= 0)) {
          (result[slot] ??= {})[rule] = [pair[0], pair[1]];
        }
      }
    }
    return result;
  };
  const record = (data ?? {}) as Partial<RejectionCounts>;
  return { fiveMinutes: slots(record.fiveMinutes), hours: slots(record.hours) };
}

/** One hour of the last day: its start (epoch ms) and the rejections per rule in it, enforced and shadow together. */
export interface HourCounts {
  hour: number;
  rules: Record<string, number>;
}

/**
 * The last day hour by hour, oldest first: the 24 hourly slots {@link totals} sums for `lastDay`, so
 * the hours add up to its totals.
 */
export function perHour(counts: RejectionCounts, now: number): HourCounts[] {
  const first = firstHourSlot(now);
  const hours = Array.from({ length: HOURS_PER_DAY }, (_, i): HourCounts => ({ hour: (first + i) * HOUR_MS, rules: {} }));
  for (const [slot, rules] of Object.entries(counts.hours)) {
    if (Number(slot) < first) continue;
    // A slot past the current hour (an instance whose clock runs ahead) counts in the current hour.
    const into = hours[Math.min(Number(slot) - first, HOURS_PER_DAY - 1)]!;
    for (const [rule, [enforced, shadow]] of Object.entries(rules)) into.rules[rule] = (into.rules[rule] ?? 0) + enforced + shadow;
  }
  return hours;
}
