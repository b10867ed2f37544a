/** Raised when remote facts did not arrive before the decision's deadline. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly ms: number) {
    super(`no decision within DECISION_TIMEOUT (${ms} ms)`);
  }
}

/**
 * Settles with `work`, or rejects with {@link DeadlineExceededError} after `ms` and aborts the
 * signal so in-flight requests stop. Twilio publishes the action unchanged at 5 s, so the guard must
 * answer, one way or the other, before then.
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeadlineExceededError(ms));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
