import type { Environment } from '../config/load';
import { readOne } from '../config/read-one';
import { RejectionLog } from '../rejection-log/buffer';
import { keptRecord, type DecisionRecord, type LogPrivacy, type LogRecord } from '../rejection-log/record';

/**
 * Module state, on the process's global object for the same reason as the rejection counters (see
 * rejection-counter.ts): /status, served by the same process, shows what the pre-event function has
 * not flushed yet. The key names the log's version.
 */
const LOG = Symbol.for('conversations-limits-guard.rejection-log.v1');
export const rejectionLog: RejectionLog = ((globalThis as { [LOG]?: RejectionLog })[LOG] ??= new RejectionLog());

/**
 * REJECTION_LOG, read on its own so that decisions made under an otherwise invalid configuration
 * (fail-open, fail-closed) are still kept. A value that is not one of the three keeps the records
 * masked: never more than the operator asked for.
 */
export function logPrivacy(env: Environment): LogPrivacy | 'off' {
  return (readOne(env, 'REJECTION_LOG') as LogPrivacy | 'off' | undefined) ?? 'masked';
}

/** Keeps a decision's records (see `decidePreEvent`) for the next flush, masked unless REJECTION_LOG=full. */
export function keepDecision(records: readonly DecisionRecord[], env: Environment, at: number = Date.now()): void {
  if (records.length === 0) return;
  const privacy = logPrivacy(env);
  if (privacy === 'off') return rejectionLog.discard();
  rejectionLog.add(records.map((record) => keptRecord(record, at, rejectionLog.instance, privacy)));
}

/** What this instance has logged that Sync may not hold yet (see {@link RejectionLog.unflushed}). */
export function unflushedLog(): { records: LogRecord[]; dropped: number } {
  return rejectionLog.unflushed();
}
