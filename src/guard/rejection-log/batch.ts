import { LOGGED_OUTCOMES, type LogRecord, type LoggedOutcome } from './record';

/**
 * One flush of an instance's rejection log, as one Sync Map item holds it: the records as rows, each
 * reason sentence once (a flood repeats the same few), and how many records were dropped since the
 * instance's previous batch.
 */
export interface Batch {
  records: LogRecord[];
  dropped: number;
}

/** Sync refuses item data over 16 KiB; a batch stays well under it, with room for the envelope. */
export const MAX_BATCH_BYTES = 12 * 1024;

type Row = [at: number, event: string, outcome: string, rule: string, reason: number, conversationSid: string, author: string, channel: string];

interface Stored {
  v: 1;
  instance: string;
  dropped: number;
  reasons: string[];
  rows: Row[];
}

function encode(records: readonly LogRecord[], dropped: number, instance: string): Stored {
  const reasons: string[] = [];
  const index = new Map<string, number>();
  const rows = records.map((r): Row => {
    let i = index.get(r.reason);
    if (i === undefined) index.set(r.reason, (i = reasons.push(r.reason) - 1));
    return [r.at, r.event, r.outcome, r.rule, i, r.conversationSid ?? '', r.author ?? '', r.channel ?? ''];
  });
  return { v: 1, instance, dropped, reasons, rows };
}

/**
 * The item data for `records`, dropping (and counting) the newest records that would take it past
 * {@link MAX_BATCH_BYTES}: what is kept, and the data to write.
 */
export function encodeBatch(records: readonly LogRecord[], dropped: number, instance: string): { kept: LogRecord[]; data: object } {
  let kept = records.slice();
  let data = encode(kept, dropped, instance);
  while (kept.length > 0 && Buffer.byteLength(JSON.stringify(data)) > MAX_BATCH_BYTES) {
    const over = Math.max(1, Math.ceil(kept.length / 10));
    kept = kept.slice(0, kept.length - over);
    data = encode(kept, dropped + records.length - kept.length, instance);
  }
  return { kept, data };
}

const isOutcome = (value: unknown): value is LoggedOutcome => (LOGGED_OUTCOMES as readonly unknown[]).includes(value);
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** A batch read from Sync, checked: rows that are not what the guard writes are skipped, never trusted. */
export function decodeBatch(data: unknown): Batch {
  const stored = (data ?? {}) as Partial<Stored>;
  const reasons = Array.isArray(stored.reasons) ? stored.reasons : [];
  const instance = str(stored.instance);
  const dropped = Number.isSafeInteger(stored.dropped) && stored.dropped! >= 0 ? stored.dropped! : 0;
  const records: LogRecord[] = [];
  for (const row of Array.isArray(stored.rows) ? stored.rows : []) {
    if (!Array.isArray(row) || row.length !== 8) continue;
    const [at, event, outcome, rule, reason, conversationSid, author, channel] = row as unknown[];
    // A time a Date can show (up to 8.64e15 ms): anything else is not what the guard writes.
    if (!Number.isSafeInteger(at) || Math.abs(at as number) > 8.64e15 || !isOutcome(outcome) || typeof rule !== 'string' || typeof event !== 'string') continue;
    records.push({
      at: at as number,
      instance,
      event,
      outcome,
      rule,
      reason: typeof reason === 'number' ? str(reasons[reason]) : '',
      ...(str(conversationSid) && { conversationSid: str(conversationSid) }),
      ...(str(author) && { author: str(author) }),
      ...(str(channel) && { channel: str(channel) }),
    });
  }
  return { records, dropped };
}
