import type { Fault, FaultMatch, Hold, Product } from './types';

export interface MatchTarget {
  product: Product;
  method: string;
  /** Raw and percent-decoded forms of the path; `pathIncludes` may match either. */
  paths: string[];
}

function matches(match: FaultMatch | undefined, target: MatchTarget): boolean {
  if (!match) return true;
  if (match.product && match.product !== target.product) return false;
  if (match.method && match.method.toUpperCase() !== target.method) return false;
  const needle = match.pathIncludes;
  if (needle && !target.paths.some((p) => p.includes(needle))) return false;
  return true;
}

const FAULT_KINDS: readonly Fault['kind'][] = ['status', 'hang', 'invalid-json'];

/**
 * What an `invalid-json` fault answers with status 200: the start of a Sync document, cut off
 * inside a string, so any JSON parser fails on it.
 */
export const TRUNCATED_JSON_BODY = '{"sid": "ET00000000000000000000000000000000", "unique_name": "cut-off", "data": {"note": "the connection dropped he';

interface LatencyRule {
  ms: number;
  match?: FaultMatch;
}

const sameMatch = (a?: FaultMatch, b?: FaultMatch): boolean =>
  (a?.product ?? '') === (b?.product ?? '') &&
  (a?.method ?? '').toUpperCase() === (b?.method ?? '').toUpperCase() &&
  (a?.pathIncludes ?? '') === (b?.pathIncludes ?? '');

/** A hold's state: the requests waiting on it, and those waiting for a number of arrivals. */
class HeldRequests implements Hold {
  private readonly waiters: Array<() => void> = [];
  private readonly arrivals: Array<{ count: number; resolve: () => void }> = [];
  private seen = 0;
  released = false;

  constructor(readonly match: FaultMatch | undefined) {}

  get waiting(): number {
    return this.waiters.length;
  }

  /** Counts a matching request, and returns what it must wait for (nothing once released). */
  admit(): Promise<void> | undefined {
    this.seen += 1;
    for (const a of this.arrivals.filter((a) => a.count <= this.seen)) {
      this.arrivals.splice(this.arrivals.indexOf(a), 1);
      a.resolve();
    }
    if (this.released) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  arrived(count = 1): Promise<void> {
    if (this.seen >= count) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push({ count, resolve }));
  }

  release(): void {
    this.released = true;
    for (const resume of this.waiters.splice(0)) resume();
  }
}

/** Injected faults, latency and holds for product requests. */
export class FaultPlan {
  private faults: Fault[] = [];
  private latency: LatencyRule[] = [];
  private holds: HeldRequests[] = [];

  inject(fault: Fault): void {
    if (fault.kind === 'status' && !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)) {
      throw new RangeError('status faults need an HTTP error status (400-599)');
    }
    if (!FAULT_KINDS.includes(fault.kind)) throw new RangeError(`unknown fault kind (expected ${FAULT_KINDS.join(', ')})`);
    if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0)) {
      throw new RangeError('times must be a positive integer');
    }
    this.faults.push({ ...fault });
  }

  /** The first matching fault wins; a fault with `times` is used up after that many requests. */
  take(target: MatchTarget): Fault | undefined {
    const index = this.faults.findIndex((f) => matches(f, target));
    if (index === -1) return undefined;
    const fault = this.faults[index]!;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
    }
    return fault;
  }

  /**
   * One rule per distinct match; `ms = 0` removes that rule (or every rule when
   * called without a match). The longest matching delay applies.
   */
  setLatency(ms: number, match?: FaultMatch): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('latency must be a non-negative number of ms');
    if (ms === 0 && !match) {
      this.latency = [];
      return;
    }
    this.latency = this.latency.filter((rule) => !sameMatch(rule.match, match));
    if (ms > 0) this.latency.push({ ms, match: match ? { ...match } : undefined });
  }

  delayFor(target: MatchTarget): number {
    return this.latency.reduce((max, rule) => (matches(rule.match, target) ? Math.max(max, rule.ms) : max), 0);
  }

  hold(match?: FaultMatch): Hold {
    const hold = new HeldRequests(match ? { ...match } : undefined);
    this.holds.push(hold);
    return hold;
  }

  /** What a request must wait for before it is applied: every active hold that matches it. */
  holdFor(target: MatchTarget): Promise<void> | undefined {
    const waits = this.holds.filter((h) => !h.released && matches(h.match, target)).map((h) => h.admit());
    this.holds = this.holds.filter((h) => !h.released);
    const pending = waits.filter((w) => w !== undefined);
    return pending.length > 0 ? Promise.all(pending).then(() => undefined) : undefined;
  }

  clearFaults(): void {
    this.faults = [];
  }

  reset(): void {
    this.faults = [];
    this.latency = [];
    for (const hold of this.holds.splice(0)) hold.release();
  }
}
