import { StoreUnavailableError, type DocumentStore } from '../../../src/guard/store/document-store';
import { MemoryDocumentStore } from '../../../src/guard/store/memory-document-store';
import { totals } from '../../../src/guard/stats/counts';
import { countsDocumentName, readCounts, RejectionRecorder } from '../../../src/guard/stats/recorder';

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
    for (let i = 0; i < 1000; i += 1) {
      const at = NOW + i * 10; // 100 rejections per second for 10 s
      recorder.record('message.body.bytes', 'enforced', at);
      if (recorder.due(at, 2000) && (await recorder.flush({ store, shards: 1, now: at })) === 'written') writes += 1;
    }
    expect(writes).toBe(5); // at 0, 2, 4, 6 and 8 s
    expect(calls.create + calls.replace).toBe(5);
    await recorder.flush({ store, shards: 1, now: NOW + 10_000 });
    expect(totals(await readCounts(store, 1), NOW + 10_000).lastHour).toEqual([{ rule: 'message.body.bytes', enforced: 1000, shadow: 0 }]);
  });

  it('is due on its first rejection, and not again until the interval has passed', () => {
    const recorder = new RejectionRecorder();
    expect(recorder.due(NOW, 10_000)).toBe(false); // nothing pending
    recorder.record('r', 'enforced', NOW);
    expect(recorder.due(NOW, 10_000)).toBe(true);
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
