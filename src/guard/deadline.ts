import { AsyncLocalStorage } from 'node:async_hooks';

/** Raised when remote facts did not arrive before the decision's deadline. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly ms: number) {
    super(`no decision within DECISION_TIMEOUT (${ms} ms)`);
  }
}

/** The deadline the remote work of one decision runs under: its signal, and when it fires. */
export interface Deadline {
  signal: AbortSignal;
  /** Epoch ms at which the signal aborts. */
  at: number;
}

const current = new AsyncLocalStorage<Deadline>();

/**
 * The deadline of the decision this code runs for, if any. Every Twilio request reads it (see
 * twilio/request-client.ts): none starts once it has passed, and those in flight are aborted, so
 * nothing is written after the answer.
 */
export const currentDeadline = (): Deadline | undefined => current.getStore();

/**
 * Runs `work` under `deadline` in place of the current one, not inside it: for work that several
 * decisions share (see store/shared-work.ts), which must not stop with the decision that started it.
 */
export const runUnder = <T>(deadline: Deadline, work: () => T): T => current.run(deadline, work);

/**
 * A signal that aborts after `ms`, with the TimeoutError AbortSignal.timeout gives, and a `clear()`
 * for when it is no longer needed. Not AbortSignal.timeout itself wherever the signal goes into
 * AbortSignal.any: Node lets such a timeout signal be garbage-collected, its timer with it, so the
 * composite never aborts (nodejs/node#57736; seen on Node 20.20 whenever a GC ran before the
 * deadline). Here the timer holds the signal until it fires or is cleared.
 */
export function abortAfter(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * Settles with `work`, or rejects with {@link DeadlineExceededError} after `ms`, aborting the signal
 * that every remote request of `work` carries. Twilio publishes the action unchanged at 5 s, so the
 * guard must answer, one way or the other, before then. The signal is also aborted once `work` has
 * settled: what it left running (a read another rule's failure made useless) stops there. A
 * deadline inside another keeps the nearer of the two.
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const outer = currentDeadline();
  const at = Math.min(Date.now() + ms, outer?.at ?? Infinity);
  const settled = new AbortController();
  const timeout = abortAfter(ms);
  const signal = AbortSignal.any([settled.signal, timeout.signal, ...(outer ? [outer.signal] : [])]);
  const expired = new Promise<never>((_, reject) => {
    const fail = () => reject(new DeadlineExceededError(ms));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  expired.catch(() => undefined);
  try {
    return await current.run({ signal, at }, () => Promise.race([work(signal), expired]));
  } finally {
    timeout.clear();
    settled.abort();
  }
}

/**
 * `work`'s value, or `undefined` once `ms` have passed: for a wait that may stop while the work goes
 * on (an old identity tally answering while the exact count finishes; an answer that will not wait
 * past its budget for the rejection counters). Within a decision, the work still stops with it.
 */
export function waitAtMost<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  const timeout = AbortSignal.timeout(ms);
  const late = new Promise<undefined>((resolve) => timeout.addEventListener('abort', () => resolve(undefined), { once: true }));
  return Promise.race([work, late]);
}
