/**
 * Document stores for the rate limiter's unit tests: an in-memory store that counts every request
 * (per document), with a hook that runs before each write so a test can play a concurrent instance
 * writing between a limiter's read and its conditional write (the 412 path); stores that fail the
 * way Sync fails (throttled, erroring, unreachable) or never answer; a hand-moved clock.
 */
import { StoreUnavailableError, type DocumentStore, type StoredDocument } from '../../src/guard/store/document-store';
import { MemoryDocumentStore } from '../../src/guard/store/memory-document-store';

export type Operation = 'get' | 'create' | 'replace';

export interface StoreCall {
  op: Operation;
  name: string;
  /** What the store answered: 'found'/'absent' for reads, 'written', 'exists', 'conflict', 'missing'. */
  result: string;
}

/**
 * A {@link MemoryDocumentStore} that records every call. `beforeWrite` runs before each create or
 * replace reaches the store (awaited), with the raw store, so it can change the document first.
 */
export class RecordingStore implements DocumentStore {
  readonly calls: StoreCall[] = [];
  beforeWrite?: (name: string, raw: MemoryDocumentStore) => Promise<void> | void;

  constructor(readonly raw = new MemoryDocumentStore()) {}

  async get<T>(name: string): Promise<StoredDocument<T> | undefined> {
    const doc = await this.raw.get<T>(name);
    this.calls.push({ op: 'get', name, result: doc ? 'found' : 'absent' });
    return doc;
  }

  async create<T>(name: string, data: T): Promise<StoredDocument<T> | 'exists'> {
    await this.beforeWrite?.(name, this.raw);
    const result = await this.raw.create(name, data);
    this.calls.push({ op: 'create', name, result: typeof result === 'object' ? 'written' : result });
    return result;
  }

  async replace<T>(name: string, data: T, revision: string): Promise<StoredDocument<T> | 'conflict' | 'missing'> {
    await this.beforeWrite?.(name, this.raw);
    const result = await this.raw.replace(name, data, revision);
    this.calls.push({ op: 'replace', name, result: typeof result === 'object' ? 'written' : result });
    return result;
  }

  reads = () => this.calls.filter((c) => c.op === 'get').length;
  writes = () => this.calls.filter((c) => c.op !== 'get').length;
  clear = () => {
    this.calls.length = 0;
  };
}

/** Another writer touches the document (same data, new revision), so a pending conditional write fails. */
export async function touch(raw: MemoryDocumentStore, name: string): Promise<void> {
  const doc = await raw.get<unknown>(name);
  if (doc) await raw.replace(name, doc.data, doc.revision);
  else await raw.create(name, { t: [] });
}

/** The timestamps a shard document holds (the limiter's `{ t: [...] }` layout). */
export async function shardLog(store: DocumentStore, name: string): Promise<number[]> {
  const doc = await store.get<{ t?: number[] }>(name);
  return doc?.data.t ?? [];
}

/** A clock a test moves by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    set: (t: number) => {
      now = t;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A small seeded PRNG (mulberry32), so shard choices are repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A store whose every request fails the way SyncDocumentStore reports Sync trouble. */
export class FailingStore implements DocumentStore {
  requests = 0;
  /** Without a status: nobody answered (connection refused). */
  constructor(private readonly failure: { status?: number; code?: number } = { status: 429, code: 54009 }) {}

  private fail(operation: string, name: string): never {
    this.requests++;
    const { status, code } = this.failure;
    const detail = status ? `${status} / ${code}` : 'connect ECONNREFUSED 127.0.0.1:9';
    throw new StoreUnavailableError(`Sync ${operation} of ${name} failed: ${detail}`, status, code);
  }

  async get<T>(name: string): Promise<StoredDocument<T> | undefined> {
    return this.fail('read', name);
  }
  async create<T>(name: string): Promise<StoredDocument<T> | 'exists'> {
    return this.fail('create', name);
  }
  async replace<T>(name: string): Promise<StoredDocument<T> | 'conflict' | 'missing'> {
    return this.fail('update', name);
  }
}

/** A store that never answers (Sync hanging); `requests` counts what was asked. */
export class HangingStore implements DocumentStore {
  requests = 0;
  private hang<T>(): Promise<T> {
    this.requests++;
    return new Promise<T>(() => undefined);
  }
  get<T>(): Promise<StoredDocument<T> | undefined> {
    return this.hang();
  }
  create<T>(): Promise<StoredDocument<T> | 'exists'> {
    return this.hang();
  }
  replace<T>(): Promise<StoredDocument<T> | 'conflict' | 'missing'> {
    return this.hang();
  }
}
