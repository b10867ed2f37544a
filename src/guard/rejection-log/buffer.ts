import { randomBytes } from 'node:crypto';
import type { LogStore } from '../store/log-store';
import { encodeBatch } from './batch';
import type { LogRecord } from './record';

/**
 * Records one instance keeps for its next flush: the per-flush cap. Past it, records are counted as
 * dropped, not kept, so a flood costs bounded memory and one Sync write per flush interval.
 */
export const MAX_RECORDS_PER_FLUSH = 100;

/** The Sync Map holding one shard of the rejection log. */
export const logMapName = (shard: number) => `guard_rejection_log_${shard}`;

/** Item keys start with the flush time, zero-padded, so Sync's key order is time order. */
const KEY_TIME_DIGITS = 13;
export const keyTimeOf = (key: string): number => Number(key.slice(0, KEY_TIME_DIGITS));

interface Written {
  shard: number;
  key: string;
  records: LogRecord[];
  data: object;
}

export interface LogFlushOptions {
  store: LogStore;
  /** Maps the log is spread over (STATUS_SHARDS). */
  shards: number;
  ttlSeconds: number;
  now: number;
}

export type LogFlushResult = 'nothing' | 'written' | 'kept';

/**
 * The rejection log of one Functions instance. Records wait in memory (at most
 * {@link MAX_RECORDS_PER_FLUSH}; past that they are only counted as dropped) and go to Sync when the
 * caller flushes (paced by FlushSchedule, about once per interval), as one item of one of a few log Maps chosen at random, with the count of
 * records dropped since the last batch. The item's key is the flush time, the instance and a
 * sequence number: a write whose outcome is unknown (a 5xx, no answer) is retried under the same key,
 * and Sync refuses a key that exists, so no batch is written twice, and none is lost while it waits.
 */
export class RejectionLog {
  private records: LogRecord[] = [];
  private dropped = 0;
  /** The batch being written, or that waits to be written again under its key. */
  private batch: Written | undefined;
  private sequence = 0;
  private writing = false;
  readonly instance = randomBytes(4).toString('hex');

  constructor(private readonly random: () => number = Math.random) {}

  add(records: readonly LogRecord[]): void {
    for (const record of records) {
      if (this.records.length < MAX_RECORDS_PER_FLUSH) this.records.push(record);
      else this.dropped += 1;
    }
  }

  /** Records (or a count of dropped ones) wait for a flush. */
  get pending(): boolean {
    return this.records.length > 0 || this.dropped > 0 || this.batch !== undefined;
  }

  /** A flush is under way. */
  get flushing(): boolean {
    return this.writing;
  }

  /**
   * What this instance holds that Sync may not: waiting records, and those of a batch not known to
   * be written. Read it after reading Sync; a batch that lands in between may be shown twice, never
   * missed (the caller drops duplicates).
   */
  unflushed(): { records: LogRecord[]; dropped: number } {
    return { records: [...(this.batch?.records ?? []), ...this.records], dropped: this.dropped };
  }

  /** Forgets everything waiting (REJECTION_LOG=off). */
  discard(): void {
    this.records = [];
    this.dropped = 0;
    this.batch = undefined;
  }

  /**
   * Writes the waiting batch (again, under its key) or, if none waits, a new one of the records
   * waiting. A write that fails keeps its batch, under its key, for the next flush; records keep
   * arriving meanwhile, up to the cap. Creates the log Map only when Sync answers it is missing.
   */
  async flush({ store, shards, ttlSeconds, now }: LogFlushOptions): Promise<LogFlushResult> {
    if (this.writing || !this.pending) return 'nothing';
    this.writing = true;
    try {
      this.batch ??= this.take(shards, now);
      const { shard, key, data } = this.batch;
      const map = logMapName(shard);
      let written = await store.append(map, key, data, ttlSeconds);
      if (written === 'no-map') {
        await store.createMap(map);
        written = await store.append(map, key, data, ttlSeconds);
      }
      if (written === 'no-map') return 'kept';
      this.batch = undefined;
      return 'written';
    } finally {
      this.writing = false;
    }
  }

  private take(shards: number, now: number): Written {
    const { kept, data } = encodeBatch(this.records, this.dropped, this.instance);
    this.records = [];
    this.dropped = 0;
    const key = `${String(Math.floor(now)).padStart(KEY_TIME_DIGITS, '0')}_${this.instance}_${++this.sequence}`;
    return { shard: Math.floor(this.random() * shards), key, records: kept, data };
  }
}
