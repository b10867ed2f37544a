import { currentDeadline, runUnder, type Deadline } from '../deadline';

interface Shared<T> {
  promise: Promise<T>;
  /** Aborts the work once no decision waits for it any more. */
  controller: AbortController;
  /** The decisions waiting for it, each with its deadline (none for a caller outside any decision). */
  waiters: Set<{ deadline?: Deadline }>;
}

/**
 * Work that concurrent decisions of one instance share, by key: one read of a slot group, one
 * creation of a Map. It runs under a deadline of its own, never that of the decision that happened
 * to start it: its signal aborts only once no decision waits for it any more, and its `at` is the
 * latest deadline among those that wait (what the request client's retry looks at). Each decision
 * waits within its own deadline: when its time is up it stops waiting, with its own deadline's
 * reason, and the others go on waiting. A decision that joins late is therefore never cancelled at
 * the deadline of the one that started the work.
 */
export class SharedWork<T> {
  private readonly inFlight = new Map<string, Shared<T>>();

  /** `work()`'s result, shared with the other callers of the same `key` while it runs. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const own = currentDeadline();
    if (own?.signal.aborted) return Promise.reject(own.signal.reason);
    return this.join(key, this.inFlight.get(key) ?? this.start(key, work), own);
  }

  private start(key: string, work: () => Promise<T>): Shared<T> {
    const controller = new AbortController();
    const waiters = new Set<{ deadline?: Deadline }>();
    const deadline: Deadline = {
      signal: controller.signal,
      get at() {
        return Math.max(-Infinity, ...[...waiters].map((w) => w.deadline?.at ?? Infinity));
      },
    };
    const shared: Shared<T> = { controller, waiters, promise: undefined as unknown as Promise<T> };
    shared.promise = runUnder(deadline, async () => work()).finally(() => this.forget(key, shared));
    // Its callers see its failure; with none left (all gone at their deadlines) it is nobody's.
    shared.promise.catch(() => undefined);
    this.inFlight.set(key, shared);
    return shared;
  }

  private join(key: string, shared: Shared<T>, own: Deadline | undefined): Promise<T> {
    const waiter = { deadline: own };
    shared.waiters.add(waiter);
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        own?.signal.removeEventListener('abort', giveUp);
        shared.waiters.delete(waiter);
      };
      const giveUp = () => {
        leave();
        if (shared.waiters.size === 0) {
          // Nobody waits any more: the work stops, and the next caller starts it afresh.
          this.forget(key, shared);
          shared.controller.abort(own!.signal.reason);
        }
        reject(own!.signal.reason);
      };
      own?.signal.addEventListener('abort', giveUp, { once: true });
      shared.promise.then(
        (value) => (leave(), resolve(value)),
        (error: unknown) => (leave(), reject(error)),
      );
    });
  }

  private forget(key: string, shared: Shared<T>): void {
    if (this.inFlight.get(key) === shared) this.inFlight.delete(key);
  }
}
