/**
 * The rate rules' Sync requests the audit counts (src/audit/sync-cost.ts), held against the webhook's
 * own slot limiter (src/guard/rate/slot-limiter.ts) run as one warm instance over an in-memory Sync
 * with Sync's semantics (src/guard/store/memory-slot-store.ts), driven as the rate gate drives it:
 * for random actions of a few authors under two rules of one Map per key, the limiter admits exactly
 * what the replay's sliding logs admit and sends exactly the writes counted (a write into a Map not
 * alive costing three: the create Sync answers 404, the Map, the create again); the reads counted are
 * an estimate, shown on a key that the instance must read again.
 */
import fc from 'fast-check';
import { RateRequests } from '../../src/audit/sync-cost';
import { parseRateRules } from '../../src/guard/rate/rules';
import { hasRoom, prune } from '../../src/guard/rate/sliding-log';
import { SlotRateLimiter, slotsId } from '../../src/guard/rate/slot-limiter';
import { MemorySlotStore } from '../../src/guard/store/memory-slot-store';
import { groupParts, type SlotStore } from '../../src/guard/store/slot-store';

/** Both count per author; each key's slots fit one group (SlotRateLimiter.layout). */
const RULES = parseRateRules('a=3/10s per author; b=2/1m per author');

interface Action {
  at: number;
  author: string;
}

/** What the limiter admits and asks of Sync, one action after the other, as the rate gate asks it. */
async function limiter(actions: readonly Action[]): Promise<{ admitted: boolean[]; reads: number; writes: number }> {
  let at = 0;
  let reads = 0;
  let writes = 0;
  const store = new MemorySlotStore({ now: () => at });
  const mapsUntil = new Map<string, number>();
  const counted: SlotStore = {
    list: (group, size) => {
      reads += 1;
      return store.list(group, size);
    },
    take: async (group, key, takenAt, seen, ttlSeconds, writer) => {
      const { map } = groupParts(group);
      writes += (mapsUntil.get(map) ?? -Infinity) > at ? 1 : 3;
      const taken = await store.take(group, key, takenAt, seen, ttlSeconds, writer);
      if (taken !== 'lost') mapsUntil.set(map, at + ttlSeconds * 1000);
      return taken;
    },
  };
  const instance = new SlotRateLimiter(counted, { now: () => at });
  const admitted: boolean[] = [];
  for (const action of actions) {
    at = action.at;
    const ids = RULES.map((rule) => ({ id: slotsId(rule.name, rule.window, action.author), window: rule.window }));
    const reservations = await Promise.all(ids.map(({ id, window }) => instance.reserve(id, window)));
    if (reservations.some((r) => r.kind === 'denied')) {
      admitted.push(false);
      continue;
    }
    const outcomes = await Promise.all(ids.map(({ id, window }, i) => instance.commit(id, window, reservations[i]!)));
    admitted.push(outcomes.every((o) => o.admitted));
  }
  return { admitted, reads, writes };
}

/** What the replay admits (its exact sliding logs) and what it counts of the limiter's requests. */
function replay(actions: readonly Action[]): { admitted: boolean[]; reads: number; writes: number } {
  const requests = new RateRequests();
  const logs = new Map<string, number[]>();
  const admitted = actions.map(({ at, author }) => {
    const room = RULES.every((rule) => hasRoom(logs.get(`${rule.name} ${author}`) ?? [], rule.window.limit, at, rule.window.windowMs));
    requests.decide(at, RULES.map((rule) => ({ rule, key: author })), room);
    if (room) for (const rule of RULES) logs.set(`${rule.name} ${author}`, [...prune(logs.get(`${rule.name} ${author}`) ?? [], at, rule.window.windowMs), at]);
    return room;
  });
  return { admitted, reads: requests.reads, writes: requests.writes };
}

/** Actions of three authors, seconds to a quarter of an hour apart (past the slots' lifetimes). */
const actions = fc
  .array(fc.record({ gap: fc.constantFrom(0, 0, 1, 3, 5, 30, 61, 200, 400, 900), author: fc.constantFrom('ann', 'bob', 'cy') }), { maxLength: 60 })
  .map((steps) => {
    let at = Date.parse('2026-03-02T10:00:00Z');
    return steps.map(({ gap, author }) => ({ at: (at += gap * 1000), author }));
  });

it('counts the writes one warm instance of the slot limiter sends, admitting what it admits', async () => {
  await fc.assert(
    fc.asyncProperty(actions, async (history) => {
      const [real, counted] = [await limiter(history), replay(history)];
      expect(real.admitted).toEqual(counted.admitted);
      expect(real.writes).toBe(counted.writes);
    }),
    { numRuns: 100, seed: 20260302 },
  );
});

it('counts the read an instance makes of a key whose slots were all taken and may have expired since', async () => {
  const at = (s: number) => Date.parse('2026-03-02T10:00:00Z') + s * 1000;
  // Two take rule b's two slots (and two of rule a's three). 230 s on, past b's minute and half the
  // 5-minute margin, what the instance knows of b's slots may be stale: it reads them; a still has a
  // slot never taken, which it takes without reading.
  const history = [0, 1, 230].map((s) => ({ at: at(s), author: 'ann' }));
  const [real, counted] = [await limiter(history), replay(history)];
  // The first action's two slots are each in a new Map (3 + 3), then a write per rule and action.
  expect(counted).toEqual({ admitted: [true, true, true], reads: 1, writes: 3 + 3 + 1 + 1 + 1 + 1 });
  expect(real).toEqual(counted);
});
