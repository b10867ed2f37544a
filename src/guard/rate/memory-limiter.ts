import { msUntilRoom, prune } from './sliding-log';
import type { Window } from './window';

/**
 * The insurance limiter: the same sliding window, in this instance's memory. It decides only when
 * Sync cannot (throttled, failing or late), so each warm instance then enforces the limit on its own.
 * It also records what Sync admitted, so it is warm when it is needed.
 */
export class MemoryRateLimiter {
  /** Keys in least-recently-used order, at most `maxKeys`. */
  private readonly logs = new Map<string, number[]>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  private keep(id: string, log: number[]): void {
    this.logs.delete(id);
    this.logs.set(id, log);
    if (this.logs.size > this.maxKeys) this.logs.delete(this.logs.keys().next().value!);
  }

  /** Admits and records the action when the window has room. */
  take(id: string, window: Window): { admitted: true } | { admitted: false; retryAfterMs: number } {
    const now = this.now();
    const log = prune(this.logs.get(id) ?? [], now, window.windowMs);
    if (log.length >= window.limit) {
      this.keep(id, log);
      return { admitted: false, retryAfterMs: msUntilRoom(log, window.limit, now, window.windowMs) };
    }
    this.keep(id, [...log, now]);
    return { admitted: true };
  }

  /** Notes an action admitted elsewhere. */
  record(id: string, window: Window): void {
    const now = this.now();
    this.keep(id, [...prune(this.logs.get(id) ?? [], now, window.windowMs), now].slice(-window.limit));
  }
}
