/**
 * Slot stores for the rate limiter's unit tests: an in-memory store that records every request,
 * with a hook that runs before each take so a test can play a concurrent instance taking the slot
 * first (the 409/412 path); stores that fail the way Sync fails (throttled, erroring, unreachable) or
 * never answer; a hand-moved clock; a seeded random source.
 */
import { StoreUnavailableError } from '../../src/guard/store/document-store';
import { MemorySlotStore } from '../../src/guard/store/memory-slot-store';
import type { Slot, SlotStore, SlotVersion } from '../../src/guard/store/slot-store';

export interface SlotCall {
  op: 'list' | 'take';
  group: string;
  /** For takes: the slot key and what the store answered ('taken' or 'lost'). */
  key?: string;
  result?: string;
}

/** A {@link MemorySlotStore} that records every call; `beforeTake` runs first, with the raw store. */
export class RecordingSlotStore implements SlotStore {
  readonly calls: SlotCall[] = [];
  beforeTake?: (group: string, key: string, raw: MemorySlotStore) => Promise<void> | void;

  constructor(readonly raw = new MemorySlotStore()) {}

  async list(group: string, size?: number): Promise<Slot[]> {
    this.calls.push({ op: 'list', group });
    return this.raw.list(group, size);
  }

  async take(group: string, key: string, takenAt: number, seen: SlotVersion | undefined, ttlSeconds?: number, writer?: string): Promise<SlotVersion | 'lost'> {
    await this.beforeTake?.(group, key, this.raw);
    const result = await this.raw.take(group, key, takenAt, seen, ttlSeconds, writer);
    this.calls.push({ op: 'take', group, key, result: result === 'lost' ? 'lost' : 'taken' });
    return result;
  }

  reads = () => this.calls.filter((c) => c.op === 'list').length;
  writes = () => this.calls.filter((c) => c.op === 'take').length;
  clear = () => {
    this.calls.length = 0;
  };
}

/** Another instance takes a slot at `takenAt` (creating it, or writing over whatever is there). */
export async function takeFirst(raw: MemorySlotStore, group: string, key: string, takenAt: number): Promise<void> {
  const current = (await raw.list(group)).find((slot) => slot.key === key);
  await raw.take(group, key, takenAt, current);
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

/** A store whose every request fails the way SyncSlotStore reports Sync trouble. */
export class FailingSlotStore implements SlotStore {
  requests = 0;
  /** Without a status: nobody answered (connection refused). */
  constructor(private readonly failure: { status?: number; code?: number } = { status: 429, code: 54009 }) {}

  private fail(operation: string, name: string): never {
    this.requests++;
    const { status, code } = this.failure;
    const detail = status ? `${status} / ${code}` : 'connect ECONNREFUSED 127.0.0.1:9';
    throw new StoreUnavailableError(`Sync ${operation} of ${name} failed: ${detail}`, status, code);
  }

  async list(group: string): Promise<Slot[]> {
    return this.fail('read', group);
  }
  async take(group: string, key: string): Promise<SlotVersion | 'lost'> {
    return this.fail('write', `${group}/${key}`);
  }
}

/** A store that never answers (Sync hanging); `requests` counts what was asked. */
export class HangingSlotStore implements SlotStore {
  requests = 0;
  private hang<T>(): Promise<T> {
    this.requests++;
    return new Promise<T>(() => undefined);
  }
  list(): Promise<Slot[]> {
    return this.hang();
  }
  take(): Promise<SlotVersion | 'lost'> {
    return this.hang();
  }
}

/** A request a {@link HeldSlotStore} holds: what it asks, and `release` to send it on. */
export interface HeldSlotCall {
  op: 'list' | 'take';
  group: string;
  key?: string;
  /** For takes: the version written on (undefined for a create). */
  seen?: SlotVersion;
  release: () => void;
}

/**
 * A store whose requests wait, while `holding` says so, until the test releases them one by one: the
 * test chooses the order in which Sync answers. A held request reaches the store only once released,
 * as a request held on its way to Sync is applied only then.
 */
export class HeldSlotStore implements SlotStore {
  readonly held: HeldSlotCall[] = [];
  holding: (call: Omit<HeldSlotCall, 'release'>) => boolean = () => false;

  constructor(readonly raw: SlotStore) {}

  /** The held request that matches, taken off the list (the test then releases it). */
  take1(match: (call: HeldSlotCall) => boolean): HeldSlotCall {
    const at = this.held.findIndex(match);
    if (at < 0) throw new Error(`no such request held: ${JSON.stringify(this.held.map(({ op, group, key }) => ({ op, group, key })))}`);
    return this.held.splice(at, 1)[0]!;
  }

  releaseAll(): void {
    this.holding = () => false;
    for (const call of this.held.splice(0)) call.release();
  }

  private async gate(call: Omit<HeldSlotCall, 'release'>): Promise<void> {
    if (this.holding(call)) await new Promise<void>((release) => this.held.push({ ...call, release }));
  }

  async list(group: string, size?: number): Promise<Slot[]> {
    await this.gate({ op: 'list', group });
    return this.raw.list(group, size);
  }

  async take(group: string, key: string, takenAt: number, seen: SlotVersion | undefined, ttlSeconds: number, writer?: string, onMissing?: () => void): Promise<SlotVersion | 'lost'> {
    await this.gate({ op: 'take', group, key, seen });
    return this.raw.take(group, key, takenAt, seen, ttlSeconds, writer, onMissing);
  }
}

/** Every promise chain a test set going (on in-memory stores, nothing but microtasks) has run as far as it can. */
export const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
