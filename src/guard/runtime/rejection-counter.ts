import type { Environment } from '../config/load';
import { settingsFor } from '../config/load';
import type { Settings } from '../config/variables';
import type { Logger } from '../log';
import type { RejectionCounts } from '../stats/counts';
import { FlushSchedule } from '../stats/flush-schedule';
import { RejectionRecorder } from '../stats/recorder';
import type { Rejection } from '../stats/rejections';
import { rejectionLog } from './rejection-log';
import { servicesFor } from './wiring';
import { waitAtMost } from '../deadline';

/** Twilio waits 5 s for a pre-event answer; a flush never pushes the answer past this. */
const ANSWER_BY_MS = 4500;
/** A flush is two Sync requests; past this it is abandoned and its counts kept for the next one. */
const FLUSH_BUDGET_MS = 1000;
/** Not worth starting with less time than this left. */
const MIN_FLUSH_MS = 100;

/**
 * Module state: a warm instance keeps its pending counts between requests. Each function is bundled
 * on its own, so each has its own copy of this module; the recorder lives on the process's global
 * object so that /status, served by the same process, sees what the pre-event function counted. The
 * key names the recorder's version: a bundle built with another RejectionRecorder keeps its own.
 */
const RECORDER = Symbol.for('conversations-limits-guard.rejection-recorder.v2');
const recorder: RejectionRecorder = ((globalThis as { [RECORDER]?: RejectionRecorder })[RECORDER] ??= new RejectionRecorder());

const schedule = new FlushSchedule();

/** The rejections this instance counted that Sync does not hold yet (see {@link RejectionRecorder.unflushed}). */
export function unflushedRejections(): RejectionCounts {
  return recorder.unflushed();
}

/**
 * Counts the rejection a decision is (see `decidePreEvent`), if any, at time `at`: from the decision
 * itself, so what its log line says, or how it is worded, changes no count.
 */
export function countRejection(rejection: Rejection | undefined, at: number = Date.now()): void {
  if (rejection) recorder.record(rejection.rule, rejection.outcome, at);
}

/**
 * Adds this instance's pending rejection counts, and its rejection log records, to Sync when a flush
 * is due: both at once, so the log adds no round trip to the flush. Runs before the answer is sent,
 * because a Functions instance may be frozen once it has answered; it is bounded so the answer still
 * reaches Twilio in time, and never throws.
 *
 * Cost: per instance, at most one flush per STATUS_FLUSH_INTERVAL on average (a few at once after a
 * quiet spell, see FlushSchedule): one Sync read and one conditional write for the counts,
 * and beside them one item create for the log (two more, once, when the log Map does not exist yet),
 * added to the decision that happens to flush.
 */
export async function flushRejections(context: Environment, log: Logger, startedAt: number, now: () => number = Date.now): Promise<void> {
  if (!recorder.pending && !rejectionLog.pending) return;
  let settings: Settings;
  try {
    settings = settingsFor(context);
  } catch {
    return; // The decision already logged the configuration error.
  }
  if (settings.STATUS_COUNTERS === 'off') recorder.discard();
  if (settings.REJECTION_LOG === 'off') rejectionLog.discard();
  // Both go together whenever either is due: one flush, not two, for the counts and the log.
  const counts = recorder.pending;
  const records = rejectionLog.pending;
  if (!counts && !records) return;
  const at = now();
  const budget = Math.min(FLUSH_BUDGET_MS, ANSWER_BY_MS - (at - startedAt));
  if (budget < MIN_FLUSH_MS || !schedule.take(at, settings.STATUS_FLUSH_INTERVAL)) return;
  const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  const services = servicesFor(context, settings);
  const flushes: Promise<void>[] = [];
  if (counts) {
    flushes.push(
      (async () => recorder.flush({ store: services.store(), shards: settings.STATUS_SHARDS, now: at }))().then(
        (result) => {
          if (result === 'kept') log({ warning: 'rejection counts kept for the next flush: the Sync document was contended' });
        },
        (error: unknown) => log({ warning: 'rejection counts kept for the next flush', error: describe(error) }),
      ),
    );
  }
  if (records) {
    const ttlSeconds = Math.ceil(settings.REJECTION_LOG_TTL / 1000);
    flushes.push(
      (async () => rejectionLog.flush({ store: services.logStore(), shards: settings.STATUS_SHARDS, ttlSeconds, now: at }))().then(
        (result) => {
          if (result === 'kept') log({ warning: 'rejection log records kept for the next flush: the log Map could not be created' });
        },
        (error: unknown) => log({ warning: 'rejection log records kept for the next flush', error: describe(error) }),
      ),
    );
  }
  // Waits for the flushes, but never past the budget: the answer matters more than the counts. A
  // flush is not cut off, so a write Sync accepted is never counted again.
  await waitAtMost(Promise.all(flushes), budget);
}
