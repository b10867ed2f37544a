/**
 * SyncRateLimiter against the local Twilio API emulator, through twilio-node and the
 * TWILIO_API_BASE_URL redirect the functions use: concurrency, what each decision costs in Sync
 * requests, Sync's per-object rate limits under a sustained 30 actions/s, and hostile keys.
 */
import { startEmulator, type Emulator } from '../../../emulator';
import { parseSettings } from '../../../src/guard/config/load';
import { parseEvent } from '../../../src/guard/event/parse';
import { RateGate } from '../../../src/guard/rate/gate';
import { MemoryRateLimiter } from '../../../src/guard/rate/memory-limiter';
import { SyncRateLimiter, type Outcome } from '../../../src/guard/rate/sync-limiter';
import { parseWindow, type Window } from '../../../src/guard/rate/window';
import { messageAdd } from '../../support/events';
import { documentOf, emulatorStore, isWrite, peakPerWindow, sleep, syncRequests } from '../../support/rate-emulator';
import { HOSTILE_KEYS } from '../../support/rate-keys';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

async function decide(limiter: SyncRateLimiter, id: string, window: Window): Promise<Outcome> {
  return limiter.commit(id, window, await limiter.reserve(id, window));
}

const PER_SECOND_30 = parseWindow('30/1s')!;
/** A fresh limiter: a new function instance (locally, every request is one). */
const instance = (now?: () => number) => new SyncRateLimiter(emulatorStore(emu), { now });

test('60 simultaneous decisions on one key from 60 instances, Sync answering in 5 ms: exactly 30 admitted', async () => {
  emu.setLatency(5, { product: 'sync' });
  // The window must not slide while the burst runs: the instances share a clock that stands still.
  const frozen = Date.now();
  const outcomes = await Promise.all(Array.from({ length: 60 }, () => decide(instance(() => frozen), 'CH-burst', PER_SECOND_30)));
  expect(outcomes.filter((o) => o.admitted)).toHaveLength(30);
  expect(outcomes.filter((o) => !o.admitted && o.contended)).toHaveLength(0);
  const requests = syncRequests(emu);
  // Only the answers Sync gives a conditional writer: no throttling, no errors.
  expect(requests.every((e) => [200, 201, 404, 409, 412].includes(e.status))).toBe(true);
  const counters = emu.counters();
  expect(Object.values(counters).reduce((n, c) => n + c.throttled, 0)).toBe(0);
  // Four shard documents, holding 30 actions between them.
  const docs = [...new Set(requests.map(documentOf))];
  expect(docs).toHaveLength(SyncRateLimiter.shardCount(PER_SECOND_30));
  const held = await Promise.all(docs.map(async (d) => ((await emulatorStore(emu).get<{ t: number[] }>(d!))?.data.t ?? []).length));
  expect(held.reduce((a, b) => a + b, 0)).toBe(30);
});

test('an admitted decision costs 2 Sync requests (1 read, 1 write); a refused one no write, then no request at all', async () => {
  const window = parseWindow('3/10s')!;
  const limiter = instance();
  for (let i = 0; i < 3; i++) {
    const from = emu.log.length;
    expect(await decide(limiter, 'CH-cost', window)).toEqual({ admitted: true, requests: 2 });
    // The first finds no document and creates one; the others read it and update it with If-Match.
    expect(syncRequests(emu, from).map((e) => [e.method, e.status])).toEqual(i === 0 ? [['GET', 404], ['POST', 201]] : [['GET', 200], ['POST', 200]]);
  }
  let from = emu.log.length;
  const cold = instance();
  expect(await decide(cold, 'CH-cost', window)).toMatchObject({ admitted: false });
  expect(syncRequests(emu, from).filter(isWrite)).toHaveLength(0);
  expect(syncRequests(emu, from)).toHaveLength(1);
  from = emu.log.length;
  expect(await decide(cold, 'CH-cost', window)).toMatchObject({ admitted: false, requests: 0 });
  expect(syncRequests(emu, from)).toHaveLength(0);
});

test('refused decisions from new instances write nothing and read each shard at most once', async () => {
  const frozen = Date.now();
  const filler = instance(() => frozen);
  for (let i = 0; i < 30; i++) expect((await decide(filler, 'CH-full', PER_SECOND_30)).admitted).toBe(true);
  const from = emu.log.length;
  const outcomes = await Promise.all(Array.from({ length: 10 }, () => decide(instance(() => frozen), 'CH-full', PER_SECOND_30)));
  expect(outcomes.every((o) => !o.admitted)).toBe(true);
  const requests = syncRequests(emu, from);
  expect(requests.filter(isWrite)).toEqual([]);
  // Without the hints writers leave in the shards, each refusal would read all 4 shards: 40 reads.
  const perDoc = new Map<string, number>();
  for (const e of requests) perDoc.set(documentOf(e)!, (perDoc.get(documentOf(e)!) ?? 0) + 1);
  for (const reads of perDoc.values()) expect(reads).toBeLessThanOrEqual(10);
  expect(requests.length).toBeGreaterThanOrEqual(10);
  expect(requests.length).toBeLessThanOrEqual(40);
  console.log(`10 refusals from new instances: ${requests.length} Sync reads`);
});

test('a sustained 30 decisions/s on one conversation for 3 s: no 429, every shard document under 20 writes/s', async () => {
  emu.setLatency(5, { product: 'sync' });
  const outcomes: Array<Promise<Outcome>> = [];
  const started = Date.now();
  for (let i = 0; i < 90; i++) {
    const due = started + (i * 1000) / 30;
    if (due > Date.now()) await sleep(due - Date.now());
    // Each decision in a fresh instance, as each request locally is a process of its own.
    outcomes.push(decide(instance(), 'CH-sustained', PER_SECOND_30));
  }
  const settled = await Promise.all(outcomes);
  const requests = syncRequests(emu);
  expect(requests.filter((e) => e.status === 429)).toEqual([]);
  expect(Object.values(emu.counters()).map((c) => c.throttled)).toEqual(Object.values(emu.counters()).map(() => 0));
  const writes = peakPerWindow(requests.filter(isWrite), 1000);
  const reads = peakPerWindow(requests.filter((e) => !isWrite(e)), 1000);
  expect(writes.size).toBe(SyncRateLimiter.shardCount(PER_SECOND_30));
  for (const peak of writes.values()) expect(peak).toBeLessThan(20);
  // At the limit, nearly every decision is admitted (timers are not exact, so a few may land early).
  expect(settled.filter((o) => o.admitted).length).toBeGreaterThanOrEqual(80);
  // Recorded for the report.
  console.log(`sustained 30/s for 3 s: admitted ${settled.filter((o) => o.admitted).length}/90, ${requests.length} Sync requests, peak writes/s per shard ${[...writes.values()]}, peak reads/s per shard ${[...reads.values()]}`);
});

describe('hostile keys', () => {
  test.each(HOSTILE_KEYS.map((k) => [JSON.stringify(k).slice(0, 40), k]))('%s: counted in guard_rate_<hex> documents the emulator accepts', async (_label, key) => {
    const window = parseWindow('2/10s')!;
    const limiter = instance();
    expect((await decide(limiter, key, window)).admitted).toBe(true);
    expect((await decide(limiter, key, window)).admitted).toBe(true);
    expect((await decide(limiter, key, window)).admitted).toBe(false);
    const requests = syncRequests(emu);
    expect(requests.every((e) => [200, 201, 404].includes(e.status))).toBe(true);
    for (const e of requests) expect(documentOf(e)).toMatch(/^guard_rate_[0-9a-f]{32}$/);
    for (const name of Object.keys(emu.counters())) expect(name).toMatch(/^sync:default:documents:guard_rate_[0-9a-f]{32}$/);
  });

  test('different keys never share a document', async () => {
    const window = parseWindow('30/1s')!;
    const docsOf = new Map<string, Set<string>>();
    for (const key of HOSTILE_KEYS) {
      const from = emu.log.length;
      // Enough decisions that every shard of the key is written.
      const limiter = instance();
      for (let i = 0; i < 31; i++) await decide(limiter, key, window);
      docsOf.set(key, new Set(syncRequests(emu, from).map((e) => documentOf(e)!)));
    }
    const all = [...docsOf.values()].flatMap((s) => [...s]);
    expect(new Set(all).size).toBe(all.length);
    for (const docs of docsOf.values()) expect(docs.size).toBe(SyncRateLimiter.shardCount(window));
  });

  test('the same conversation under two rules is counted in different documents', async () => {
    const store = emulatorStore(emu);
    const gate = new RateGate(() => new SyncRateLimiter(store), new MemoryRateLimiter(), () => undefined, 1_000);
    const settings = parseSettings({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '5/10s', RATE_LIMITS: 'email-actions=5/10s per conversation from email' });
    expect(await gate.commit(await gate.reserve(parseEvent(messageAdd({}, 'email')), settings))).toBeUndefined();
    expect(syncRequests(emu).filter(isWrite).map(documentOf)).toEqual([expect.any(String), expect.any(String)]);
    expect(new Set(syncRequests(emu).filter(isWrite).map(documentOf)).size).toBe(2);
  });
});
