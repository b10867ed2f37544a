import { decodeBatch, encodeBatch, MAX_BATCH_BYTES } from '../../../src/guard/rejection-log/batch';
import { keyTimeOf, logMapName, MAX_RECORDS_PER_FLUSH, RejectionLog } from '../../../src/guard/rejection-log/buffer';
import type { LogRecord } from '../../../src/guard/rejection-log/record';
import { StoreUnavailableError } from '../../../src/guard/store/document-store';
import type { LogStore } from '../../../src/guard/store/log-store';
import { MemoryLogStore } from '../../../src/guard/store/memory-log-store';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const record = (i: number, over: Partial<LogRecord> = {}): LogRecord => ({
  at: NOW + i,
  instance: 'i1',
  event: 'onMessageAdd',
  outcome: 'reject',
  rule: 'message.body.bytes',
  reason: 'The message body is 11 bytes; Twilio allows at most 10.',
  conversationSid: `CH${String(i % 7).padStart(32, '0')}`,
  author: 'agent-1',
  channel: 'web',
  ...over,
});

/** Every record the store's items hold, and the drops they count. */
function stored(store: MemoryLogStore) {
  const batches = [...store.maps.values()].flatMap((items) => [...items.values()].map(decodeBatch));
  return { records: batches.flatMap((b) => b.records), dropped: batches.reduce((sum, b) => sum + b.dropped, 0) };
}

describe('batches', () => {
  it('round-trip every field, each reason written once', () => {
    const records = [record(1), record(2), record(3, { outcome: 'annotate', author: undefined, channel: undefined })];
    const { kept, data } = encodeBatch(records, 4, 'i1');
    expect(kept).toEqual(records);
    expect(JSON.stringify(data).split('The message body').length - 1).toBe(1);
    expect(decodeBatch(JSON.parse(JSON.stringify(data)))).toEqual({ records: records.map(({ author, channel, ...r }) => ({ ...r, ...(author && { author }), ...(channel && { channel }) })), dropped: 4 });
  });

  it('stay under the size Sync allows by dropping (and counting) the newest records that would not fit', () => {
    const records = Array.from({ length: 100 }, (_, i) => record(i, { reason: `${i} ${'r'.repeat(390)}` }));
    const { kept, data } = encodeBatch(records, 0, 'i1');
    expect(Buffer.byteLength(JSON.stringify(data))).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(kept.length).toBeLessThan(100);
    expect(kept).toEqual(records.slice(0, kept.length));
    expect(decodeBatch(data).dropped).toBe(100 - kept.length);
  });

  it('read from Sync are checked: rows that are not what the guard writes are skipped', () => {
    expect(decodeBatch({ rows: [[1, 'e', 'reject', 'r', 0, '', '', ''], [1, 'e', 'deleted', 'r', 0, '', '', ''], 'x', [1]], reasons: ['why'], dropped: -3, instance: 7 })).toEqual({
      records: [{ at: 1, instance: '', event: 'e', outcome: 'reject', rule: 'r', reason: 'why' }],
      dropped: 0,
    });
    expect(decodeBatch(undefined)).toEqual({ records: [], dropped: 0 });
    // A time no Date can show (it would make /status's toISOString throw) is not the guard's.
    expect(decodeBatch({ rows: [[8.7e15, 'e', 'reject', 'r', 0, '', '', '']], reasons: ['why'] }).records).toEqual([]);
  });
});

describe('RejectionLog', () => {
  it('writes a flood as one item per flush, holding at most the per-flush cap and counting the rest as dropped', async () => {
    const store = new MemoryLogStore();
    const log = new RejectionLog(() => 0);
    let writes = 0;
    let mostWaiting = 0;
    let lastFlush = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 5000; i += 1) {
      const at = NOW + i * 6; // 10,000 a minute, for 30 s
      log.add([record(i, { at })]);
      mostWaiting = Math.max(mostWaiting, log.unflushed().records.length);
      // Flushed every 10 s, as a caller pacing it once per interval would.
      if (at - lastFlush < 10_000) continue;
      lastFlush = at;
      if ((await log.flush({ store, shards: 1, ttlSeconds: 60, now: at })) === 'written') writes += 1;
    }
    await log.flush({ store, shards: 1, ttlSeconds: 60, now: NOW + 40_000 });
    expect(writes).toBe(3); // at 0 s, 10 s and 20 s
    expect(mostWaiting).toBeLessThanOrEqual(MAX_RECORDS_PER_FLUSH);
    const { records, dropped } = stored(store);
    expect(records.length + dropped).toBe(5000);
    expect(records.length).toBeLessThanOrEqual(4 * MAX_RECORDS_PER_FLUSH);
    expect(log.pending).toBe(false);
  });

  it('keys items by flush time, so Sync lists them newest first; creates the Map only when Sync says it is missing', async () => {
    const store = new MemoryLogStore();
    const calls: string[] = [];
    const counting: LogStore = {
      append: (...args) => (calls.push('append'), store.append(...args)),
      createMap: (map) => (calls.push('createMap'), store.createMap(map)),
      newest: (map, size) => store.newest(map, size),
    };
    const log = new RejectionLog(() => 0.99);
    log.add([record(1)]);
    await log.flush({ store: counting, shards: 2, ttlSeconds: 60, now: NOW + 10 });
    log.add([record(2)]);
    await log.flush({ store: counting, shards: 2, ttlSeconds: 60, now: NOW + 20 });
    expect(calls).toEqual(['append', 'createMap', 'append', 'append']);
    const keys = (await store.newest(logMapName(1), 100))!.items.map((item) => item.key);
    expect(keys.map(keyTimeOf)).toEqual([NOW + 20, NOW + 10]);
  });

  it('retries a write whose outcome is unknown under the same key: a batch Sync did apply is not written twice', async () => {
    const store = new MemoryLogStore();
    let fail: 'after' | 'before' | undefined = 'after';
    const flaky: LogStore = {
      async append(map, key, data, ttl) {
        if (fail === 'before') throw new StoreUnavailableError('Sync throttled', 429, 54009);
        const result = await store.append(map, key, data, ttl);
        if (fail === 'after') throw new StoreUnavailableError('Sync failed: 503', 503);
        return result;
      },
      createMap: (map) => store.createMap(map),
      newest: (map, size) => store.newest(map, size),
    };
    await store.createMap(logMapName(0));
    const log = new RejectionLog(() => 0);
    log.add([record(1)]);
    await expect(log.flush({ store: flaky, shards: 1, ttlSeconds: 60, now: NOW })).rejects.toThrow('503');
    // Kept and shown while it waits; more records wait behind it.
    log.add([record(2)]);
    expect(log.unflushed().records.map((r) => r.at)).toEqual([NOW + 1, NOW + 2]);
    fail = 'before';
    await expect(log.flush({ store: flaky, shards: 1, ttlSeconds: 60, now: NOW + 10_000 })).rejects.toThrow('Sync throttled');
    fail = undefined;
    expect(await log.flush({ store: flaky, shards: 1, ttlSeconds: 60, now: NOW + 20_000 })).toBe('written');
    expect(await log.flush({ store: flaky, shards: 1, ttlSeconds: 60, now: NOW + 30_000 })).toBe('written');
    expect(stored(store).records.map((r) => r.at)).toEqual([NOW + 1, NOW + 2]);
    expect(log.pending).toBe(false);
  });

  it('forgets everything waiting when the log is switched off', () => {
    const log = new RejectionLog();
    log.add(Array.from({ length: MAX_RECORDS_PER_FLUSH + 5 }, (_, i) => record(i)));
    expect(log.unflushed().dropped).toBe(5);
    log.discard();
    expect(log.pending).toBe(false);
    expect(log.unflushed()).toEqual({ records: [], dropped: 0 });
  });
});
