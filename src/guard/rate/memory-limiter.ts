import { msUntilRoom, prune } from './sliding-log';
import type { Window } from './window';

/**
 * The insurance limiter: the same sliding window, in this instance's memory. It decides only when
 * Sync cannot (throttled, failing or late), so each warm instance then enforces the limit on its own.
 * It also records what Sync admitted, so it is warm when it is needed.
 */
export class MemoryRateLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Admits and records the action when the window has room. */
  take(id: string, window: Window): { admitted: true } | { admitted: false; retryAfterMs: number } {
    const now = this.now();
    const log = prune(this.logs.get(id) ?? [], now, window.windowMs);
    if (log.length >= window.limit) {
      this.logs.set(id, log);
      return { admitted: false, retryAfterMs: msUntilRoom(log, window.limit, now, window.windowMs) };
    }
    this.logs.set(id, [...log, now]);
    return { admitted: true };
  }

  /** Notes an action admitted elsewhere. */
  record(id: string, window: Window): void {
    const now = this.now();
    this.logs.set(id, [...prune(this.logs.get(id) ?? [], now, window.windowMs), now].slice(-window.limit));
  }
}
