import { StoreUnavailableError, type DocumentStore } from '../../../src/guard/store/document-store';
import { MemoryDocumentStore } from '../../../src/guard/store/memory-document-store';
import { MAX_COUNTS_JSON_BYTES, totals } from '../../../src/guard/stats/counts';
import { countsDocumentName, readCounts, RejectionRecorder } from '../../../src/guard/stats/recorder';
import { startEmulator, type Emulator } from '../../../emulator';
import { appliedThenFailed, type AppliedThenFailed } from '../../support/applied-then-failed';
import { emulatorClient, emulatorStore } from '../../support/state-emulator';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

/** A store that counts its calls. */
function countingStore(inner: DocumentStore = new MemoryDocumentStore()) {
  const calls = { get: 0, create: 0, replace: 0 };
  const store: DocumentStore = {
    get: (name) => (calls.get++, inner.get(name)),
    create: (name, data, ttl) => (calls.create++, inner.create(name, data, ttl)),
    replace: (name, data, revision, ttl) => (calls.replace++, inner.replace(name, data, revision, ttl)),
  };
  return { store, calls };
}

describe('RejectionRecorder', () => {
  it('writes a flood of rejections once per flush interval, not once per rejection', async () => {
    const { store, calls } = countingStore();
    const recorder = new RejectionRecorder(() => 0);
    let writes = 0;
    let lastFlush = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 1000; i += 1) {
      const at = NOW + i * 10; // 100 rejections per second for 10 s
      recorder.record('message.body.bytes', 'enforced', at);
      // Flushed every 2 s, as a caller pacing it once per interval would.
      if (at - lastFlush < 2000) continue;
      lastFlush = at;
      if ((await recorder.flush({ store, shards: 1, now: at })) === 'written') writes += 1;
    }
    expect(writes).toBe(5); // at 0, 2, 4, 6 and 8 s
    expect(calls.create + calls.replace).toBe(5);
    await recorder.flush({ store, shards: 1, now: NOW + 10_000 });
    expect(totals(await readCounts(store, 1), NOW + 10_000).lastHour).toEqual([{ rule: 'message.body.bytes', enforced: 1000, shadow: 0 }]);
  });

  it('has something to flush from its first rejection on', () => {
    const recorder = new RejectionRecorder();
    expect(recorder.pending).toBe(false);
    recorder.record('r', 'enforced', NOW);
    expect(recorder.pending).toBe(true);
  });

  it('reports what Sync does not hold yet: pending counts, and those of a flush under way until it lands', async () => {
    const memory: DocumentStore = new MemoryDocumentStore();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow: DocumentStore = { get: (name) => memory.get(name), create: async (name, data, ttl) => (await held, memory.create(name, data, ttl)), replace: (name, data, revision, ttl) => memory.replace(name, data, revision, ttl) };
    const recorder = new RejectionRecorder(() => 0);
    const unflushed = () => totals(recorder.unflushed(), NOW).lastHour;
    expect(unflushed()).toEqual([]);
    recorder.record('r', 'enforced', NOW);
    recorder.record('r', 'enforced', NOW);
    expect(unflushed()).toEqual([{ rule: 'r', enforced: 2, shadow: 0 }]);
    const flushing = recorder.flush({ store: slow, shards: 1, now: NOW });
    recorder.record('r', 'shadow', NOW);
    expect(recorder.pending).toBe(true);
    expect(unflushed()).toEqual([{ rule: 'r', enforced: 2, shadow: 1 }]); // 2 in flight, 1 pending
    release();
    expect(await flushing).toBe('written');
    expect(unflushed()).toEqual([{ rule: 'r', enforced: 0, shadow: 1 }]);
    expect(totals(await readCounts(memory, 1), NOW).lastHour).toEqual([{ rule: 'r', enforced: 2, shadow: 0 }]);
  });

  it('keeps its counts for the next flush when Sync is unavailable', async () => {
    const memory: DocumentStore = new MemoryDocumentStore();
    const failing: DocumentStore = {
      get: async () => Promise.reject(new StoreUnavailableError('Sync answered 429', 429, 54009)),
      create: (name, data, ttl) => memory.create(name, data, ttl),
      replace: (name, data, revision, ttl) => memory.replace(name, data, revision, ttl),
    };
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    await expect(recorder.flush({ store: failing, shards: 1, now: NOW })).rejects.toThrow('429');
    expect(recorder.pending).toBe(true);
    recorder.record('r', 'shadow', NOW + 1);
    expect(await recorder.flush({ store: memory, shards: 1, now: NOW + 20_000 })).toBe('written');
    expect(totals(await readCounts(memory, 1), NOW + 20_000).lastHour).toEqual([{ rule: 'r', enforced: 1, shadow: 1 }]);
  });

  it('adds to what other instances wrote, and retries a write another instance got in first', async () => {
    const memory: DocumentStore = new MemoryDocumentStore();
    const other = new RejectionRecorder(() => 0);
    other.record('r', 'enforced', NOW);
    await other.flush({ store: memory, shards: 1, now: NOW });

    // Between this recorder's read and its write, the other instance writes again: the first write conflicts.
    const mine = new RejectionRecorder(() => 0);
    let interleaved = false;
    const racing: DocumentStore = {
      get: (name) => memory.get(name),
      create: (name, data, ttl) => memory.create(name, data, ttl),
      replace: async (name, data, revision, ttl) => {
        if (!interleaved) {
          interleaved = true;
          other.record('r', 'enforced', NOW);
          await other.flush({ store: memory, shards: 1, now: NOW + 60_000 });
        }
        return memory.replace(name, data, revision, ttl);
      },
    };
    mine.record('r', 'enforced', NOW);
    expect(await mine.flush({ store: racing, shards: 1, now: NOW })).toBe('written');
    expect(totals(await readCounts(memory, 1), NOW).lastHour).toEqual([{ rule: 'r', enforced: 3, shadow: 0 }]);
  });

  it('keeps its counts when every attempt is contended', async () => {
    const memory = new MemoryDocumentStore();
    await memory.create(countsDocumentName(0), { fiveMinutes: {}, hours: {} });
    const contended: DocumentStore = { get: (n) => memory.get(n), create: (n, d) => memory.create(n, d), replace: async () => 'conflict' };
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    expect(await recorder.flush({ store: contended, shards: 1, now: NOW })).toBe('kept');
    expect(recorder.pending).toBe(true);
  });

  it('spreads flushes over the shard documents and reads them all back summed', async () => {
    const memory = new MemoryDocumentStore();
    const draws = [0, 0.5, 0.99];
    for (const draw of draws) {
      const recorder = new RejectionRecorder(() => draw);
      recorder.record('r', 'enforced', NOW);
      await recorder.flush({ store: memory, shards: 3, now: NOW });
    }
    for (const shard of [0, 1, 2]) expect(await memory.get(countsDocumentName(shard))).toBeDefined();
    expect(totals(await readCounts(memory, 3), NOW).lastHour).toEqual([{ rule: 'r', enforced: 3, shadow: 0 }]);
  });
});

/**
 * A write Sync answers 5xx may have been applied before the failure. The flush then reads its document
 * back for its id instead of writing its counts again: each rejection is counted once either way.
 */
describe('RejectionRecorder, a write answered 5xx', () => {
  const failure = () => new StoreUnavailableError('Sync update of guard_rejections_0 failed: 500 / 20500', 500, 20500);
  /** `memory`, whose next `writes` writes are applied, then answered 500 (or only answered 500, with `applied: false`). */
  function failingWrites(memory: DocumentStore, { writes = 1, applied = true, reads = 0 } = {}) {
    let failWrites = writes;
    let failReads = 0;
    const store: DocumentStore = {
      get: async (name) => {
        if (failReads > 0) {
          failReads--;
          throw new StoreUnavailableError('Sync read of guard_rejections_0 failed: 503 / 20503', 503, 20503);
        }
        return memory.get(name);
      },
      create: async (name, data, ttl) => {
        if (failWrites === 0) return memory.create(name, data, ttl);
        failWrites--;
        if (applied) await memory.create(name, data, ttl);
        failReads = reads;
        throw failure();
      },
      replace: async (name, data, revision, ttl) => {
        if (failWrites === 0) return memory.replace(name, data, revision, ttl);
        failWrites--;
        if (applied) await memory.replace(name, data, revision, ttl);
        failReads = reads;
        throw failure();
      },
    };
    return store;
  }
  const flushAll = async (recorder: RejectionRecorder, store: DocumentStore, now: number) => recorder.flush({ store, shards: 1, now }).catch((error: unknown) => error);
  const lastHour = async (memory: DocumentStore) => totals(await readCounts(memory, 1), NOW).lastHour;

  it('applied, then answered 500: the read back finds its id, and its counts are not written again', async () => {
    const memory = new MemoryDocumentStore();
    const earlier = new RejectionRecorder(() => 0);
    earlier.record('r', 'enforced', NOW);
    await earlier.flush({ store: memory, shards: 1, now: NOW }); // the document exists: the next write is an If-Match update
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    recorder.record('r', 'shadow', NOW);
    expect(await flushAll(recorder, failingWrites(memory), NOW)).toBe('written');
    expect(recorder.pending).toBe(false);
    expect(await flushAll(recorder, memory, NOW + 20_000)).toBe('nothing');
    expect(await lastHour(memory)).toEqual([{ rule: 'r', enforced: 2, shadow: 1 }]);
  });

  it('applied as the document\'s creation, then answered 500: counted once', async () => {
    const memory = new MemoryDocumentStore();
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    expect(await flushAll(recorder, failingWrites(memory), NOW)).toBe('written');
    await flushAll(recorder, memory, NOW + 20_000);
    expect(await lastHour(memory)).toEqual([{ rule: 'r', enforced: 1, shadow: 0 }]);
  });

  it('not applied, answered 500: the read back does not find its id, and the next flush writes its counts once', async () => {
    const memory = new MemoryDocumentStore();
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    expect(await flushAll(recorder, failingWrites(memory, { applied: false }), NOW)).toMatchObject({ status: 500 });
    expect(recorder.pending).toBe(true);
    expect(await lastHour(memory)).toEqual([]);
    expect(await flushAll(recorder, memory, NOW + 20_000)).toBe('written');
    expect(await lastHour(memory)).toEqual([{ rule: 'r', enforced: 1, shadow: 0 }]);
  });

  it.each([true, false])('applied: %s, and the read back fails too: the next flush reads the same document first, and writes the counts only if they are not there', async (applied) => {
    const memory = new MemoryDocumentStore();
    // Draws 0 then 0.99: the second flush would pick shard 1, but settles shard 0 first.
    const draws = [0, 0.99];
    const recorder = new RejectionRecorder(() => draws.shift() ?? 0.99);
    recorder.record('r', 'enforced', NOW);
    expect(await flushAll(recorder, failingWrites(memory, { applied, reads: 1 }), NOW)).toMatchObject({ status: 500 });
    expect(recorder.pending).toBe(true);
    expect(recorder.unflushed()).toEqual({ fiveMinutes: {}, hours: {} }); // Sync may hold them
    recorder.record('r', 'shadow', NOW);
    expect(await flushAll(recorder, memory, NOW + 20_000)).toBe('written');
    expect(recorder.pending).toBe(false);
    expect(await memory.get(countsDocumentName(1))).toBeUndefined();
    expect(await lastHour(memory)).toEqual([{ rule: 'r', enforced: 1, shadow: 1 }]);
  });

  /** `memory`, whose next write is answered 500 without being applied yet: `apply()` applies it later, as named (its If-Match included). */
  function lateWrite(memory: DocumentStore) {
    let late: (() => Promise<unknown>) | undefined;
    let failNext = true;
    const store: DocumentStore = {
      get: (name) => memory.get(name),
      create: async (name, data, ttl) => {
        if (!failNext) return memory.create(name, data, ttl);
        failNext = false;
        late = () => memory.create(name, data, ttl);
        throw failure();
      },
      replace: async (name, data, revision, ttl) => {
        if (!failNext) return memory.replace(name, data, revision, ttl);
        failNext = false;
        late = () => memory.replace(name, data, revision, ttl);
        throw failure();
      },
    };
    return { store, apply: () => late!() };
  }

  /** A recorder whose flush of one enforced rejection was answered 500, unapplied so far (`apply()` applies it), over a document that `existed` with one shadow rejection. */
  async function unconfirmedFlush(memory: DocumentStore, existed: boolean) {
    if (existed) {
      const earlier = new RejectionRecorder(() => 0);
      earlier.record('r', 'shadow', NOW);
      await earlier.flush({ store: memory, shards: 1, now: NOW });
    }
    const late = lateWrite(memory);
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    expect(await flushAll(recorder, late.store, NOW)).toMatchObject({ status: 500 });
    return { recorder, ...late };
  }

  it.each([false, true])('applied after the read-back (the document existed: %s): the next flush finds its id and does not write its counts again', async (existed) => {
    const memory = new MemoryDocumentStore();
    const { recorder, store, apply } = await unconfirmedFlush(memory, existed);
    // The read back did not find its id; then Twilio applies the write, its If-Match still matching.
    expect(await apply()).toMatchObject({ revision: expect.any(String) });
    recorder.record('r', 'enforced', NOW);
    expect(await flushAll(recorder, store, NOW + 20_000)).toBe('written');
    expect(await lastHour(memory)).toEqual([{ rule: 'r', enforced: 2, shadow: existed ? 1 : 0 }]);
  });

  it('applied during the next flush, between its read and its write: that write meets it (412), reads again, and finds its id', async () => {
    const memory = new MemoryDocumentStore();
    const { recorder, store, apply } = await unconfirmedFlush(memory, true);
    let applied = false;
    const racing: DocumentStore = {
      ...store,
      replace: async (name, data, revision, ttl) => {
        if (!applied) {
          applied = true;
          await apply();
        }
        return store.replace(name, data, revision, ttl);
      },
    };
    expect(await flushAll(recorder, racing, NOW + 20_000)).toBe('written');
    expect(await lastHour(memory)).toEqual([{ rule: 'r', enforced: 1, shadow: 1 }]);
  });

  it('not applied, and never to be: the next flush writes its counts once, and only then the new ones', async () => {
    const memory = new MemoryDocumentStore();
    const { recorder, store } = await unconfirmedFlush(memory, false);
    recorder.record('r', 'shadow', NOW);
    expect(await flushAll(recorder, store, NOW + 20_000)).toBe('written');
    expect(recorder.pending).toBe(false);
    expect(await lastHour(memory)).toEqual([{ rule: 'r', enforced: 1, shadow: 1 }]);
  });

  it('applied, its read back failing, then 20 flushes of two other instances before the next: its id is still there, counted once', async () => {
    const memory = new MemoryDocumentStore();
    const earlier = new RejectionRecorder(() => 0);
    earlier.record('r', 'shadow', NOW);
    await earlier.flush({ store: memory, shards: 1, now: NOW });
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    expect(await flushAll(recorder, failingWrites(memory, { reads: 1 }), NOW)).toMatchObject({ status: 500 });
    const others = [new RejectionRecorder(() => 0), new RejectionRecorder(() => 0)];
    for (let i = 0; i < 20; i++) {
      others[i % 2]!.record('other', 'enforced', NOW);
      expect(await others[i % 2]!.flush({ store: memory, shards: 1, now: NOW })).toBe('written');
    }
    expect(await flushAll(recorder, memory, NOW + 20_000)).toBe('written');
    expect(await lastHour(memory)).toEqual([
      { rule: 'other', enforced: 20, shadow: 0 },
      { rule: 'r', enforced: 1, shadow: 1 },
    ]);
  });

  it('a 429 is never applied: the counts stay pending, with no read back', async () => {
    const memory = new MemoryDocumentStore();
    const { store, calls } = countingStore(memory);
    const throttled: DocumentStore = { ...store, create: async () => Promise.reject(new StoreUnavailableError('Sync create failed: 429 / 54009', 429, 54009)) };
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    expect(await flushAll(recorder, throttled, NOW)).toMatchObject({ status: 429 });
    expect(calls.get).toBe(1);
    expect(recorder.unflushed()).not.toEqual({ fiveMinutes: {}, hours: {} });
    expect(await flushAll(recorder, memory, NOW + 20_000)).toBe('written');
    expect(await lastHour(memory)).toEqual([{ rule: 'r', enforced: 1, shadow: 0 }]);
  });

  it('a document keeps the ids of its latest 16 flushes, and stays within its size', async () => {
    const memory = new MemoryDocumentStore();
    for (let i = 0; i < 40; i++) {
      const recorder = new RejectionRecorder(() => 0);
      recorder.record(`rule-${i}`, 'enforced', NOW);
      await recorder.flush({ store: memory, shards: 1, now: NOW });
    }
    const doc = await memory.get<{ flushes: string[] }>(countsDocumentName(0));
    expect(doc!.data.flushes).toHaveLength(16);
    expect(new Set(doc!.data.flushes).size).toBe(16);
    expect(JSON.stringify(doc!.data).length).toBeLessThanOrEqual(MAX_COUNTS_JSON_BYTES);
    expect(await lastHour(memory)).toHaveLength(40);
  });
});

describe('RejectionRecorder over Sync (the emulator)', () => {
  let emulator: Emulator;
  let proxy: AppliedThenFailed;
  beforeAll(async () => {
    emulator = await startEmulator();
    proxy = await appliedThenFailed(emulator.url);
  });
  afterAll(async () => {
    await proxy.close();
    await emulator.close();
  });
  beforeEach(() => emulator.reset());

  const writes = () => emulator.log.filter((e) => e.product === 'sync' && e.method === 'POST');
  const lastHourIn = async (store: DocumentStore) => totals(await readCounts(store, 1), NOW).lastHour;

  it('a write Sync applied before answering 500 is not sent again: one write, then a read finds it', async () => {
    const store = emulatorStore(emulatorClient({ url: proxy.url }));
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    await recorder.flush({ store, shards: 1, now: NOW }); // creates the document
    recorder.record('r', 'enforced', NOW);
    recorder.record('r', 'enforced', NOW);
    emulator.clearLog();
    proxy.failAfterApplying({ method: 'POST', pathIncludes: countsDocumentName(0) });
    expect(await recorder.flush({ store, shards: 1, now: NOW + 20_000 })).toBe('written');
    expect(writes().map((e) => e.status)).toEqual([200]);
    expect(emulator.log.filter((e) => e.product === 'sync').map((e) => e.method)).toEqual(['GET', 'POST', 'GET']);
    expect(recorder.pending).toBe(false);
    expect(await lastHourIn(store)).toEqual([{ rule: 'r', enforced: 3, shadow: 0 }]);
  });

  it('a write Sync answers 500 without applying it is not repeated at once, and the next flush writes it', async () => {
    const store = emulatorStore(emulatorClient(emulator));
    const recorder = new RejectionRecorder(() => 0);
    recorder.record('r', 'enforced', NOW);
    emulator.injectFault({ kind: 'status', status: 500, product: 'sync', method: 'POST', times: 1 });
    await expect(recorder.flush({ store, shards: 1, now: NOW })).rejects.toMatchObject({ status: 500 });
    expect(writes().map((e) => e.status)).toEqual([500]);
    expect(await recorder.flush({ store, shards: 1, now: NOW + 20_000 })).toBe('written');
    expect(writes().map((e) => e.status)).toEqual([500, 201]);
    expect(await lastHourIn(store)).toEqual([{ rule: 'r', enforced: 1, shadow: 0 }]);
  });
});
