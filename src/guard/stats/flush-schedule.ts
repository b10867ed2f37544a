/** Flushes an instance may make one after another after a quiet spell: then one per STATUS_FLUSH_INTERVAL. */
export const FLUSH_BURST = 3;

/**
 * When an instance may flush: a token bucket of {@link FLUSH_BURST} flushes, refilled at one per
 * STATUS_FLUSH_INTERVAL. A flood still costs one flush per interval; but the few rejections of a
 * quiet instance go to Sync in their own decisions, instead of waiting for a decision an interval
 * after the last flush, which may never come before Twilio stops the instance.
 */
export class FlushSchedule {
  private tokens = FLUSH_BURST;
  private at: number | undefined;

  take(now: number, intervalMs: number): boolean {
    if (this.at !== undefined) this.tokens = Math.min(FLUSH_BURST, this.tokens + Math.max(0, now - this.at) / intervalMs);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
