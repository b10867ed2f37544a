import type { Settings } from '../config/variables';
import type { PreEvent } from '../event/types';
import type { Logger } from '../log';
import type { Violation } from '../rules/violation';
import { StoreUnavailableError } from '../store/document-store';
import { MemoryRateLimiter } from './memory-limiter';
import { keyOf, rateRulesOf, type RateRule } from './rules';
import { SyncRateLimiter, type Reservation } from './sync-limiter';
import { describeWindow } from './window';

interface Pending {
  rule: RateRule;
  id: string;
  reservation?: Reservation;
  failure?: string;
}

/** Sync could not count and the insurance limiter admitted: FAIL_MODE decides. */
export class RateStoreUnavailableError extends Error {
  override readonly name = 'RateStoreUnavailableError';
}

/**
 * Applies every rate rule to an event in two phases, so they overlap with the other remote reads:
 * `reserve` only reads Sync, `commit` writes once the other rules have passed. When Sync is throttled,
 * failing or later than `syncTimeoutMs`, the insurance limiter decides; if it admits, the decision is
 * left to FAIL_MODE by throwing {@link RateStoreUnavailableError}.
 */
export class RateGate {
  constructor(
    /** Built on first use: an event no rate rule applies to makes no Sync client. */
    private readonly sync: () => SyncRateLimiter,
    private readonly insurance: MemoryRateLimiter,
    private readonly log: Logger,
    private readonly syncTimeoutMs: number,
  ) {}

  async reserve(event: PreEvent, settings: Settings): Promise<Pending[]> {
    const applicable = rateRulesOf(settings).flatMap((rule) => {
      const key = keyOf(rule, event);
      // The window is part of the id: after a change of limit, facts remembered under the old
      // capacities (and the old counters) no longer apply.
      return key === undefined ? [] : [{ rule, id: `${rule.name}\u0000${rule.window.limit}/${rule.window.windowMs}\u0000${key}` }];
    });
    return Promise.all(
      applicable.map(async (p): Promise<Pending> => {
        try {
          return { ...p, reservation: await this.inTime(this.sync().reserve(p.id, p.rule.window)) };
        } catch (error) {
          return { ...p, failure: failureOf(error) };
        }
      }),
    );
  }

  async commit(pending: Pending[]): Promise<Violation | undefined> {
    // A rule that already refused on reads rejects the action: it must not take a place in the
    // windows of the other rules (a refused author would otherwise use up the conversation's limit).
    for (const p of pending) if (p.reservation?.kind === 'denied') return rateViolation(p.rule, p.reservation.retryAfterMs);
    const outcomes = await Promise.all(pending.map((p) => this.commitOne(p)));
    const violation = outcomes.find((o): o is Violation => typeof o === 'object');
    if (violation) return violation;
    const failure = outcomes.find((o): o is string => typeof o === 'string');
    if (failure) throw new RateStoreUnavailableError(failure);
    return undefined;
  }

  /** A violation, a failure description when Sync could not count, or undefined when admitted. */
  private async commitOne(p: Pending): Promise<Violation | string | undefined> {
    let failure = p.failure;
    if (p.reservation) {
      try {
        const abandon = new AbortController();
        // Contention (conflict after conflict) ends as a contended denial before the hard timeout,
        // which is kept for a Sync that does not answer at all.
        const giveUpAt = Date.now() + this.syncTimeoutMs * 0.75;
        const outcome = await this.inTime(this.sync().commit(p.id, p.rule.window, p.reservation, { signal: abandon.signal, giveUpAt }), abandon);
        if (outcome.admitted) {
          this.insurance.record(p.id, p.rule.window);
          return undefined;
        }
        return rateViolation(p.rule, outcome.retryAfterMs, outcome.contended);
      } catch (error) {
        failure = failureOf(error);
      }
    }
    const insured = this.insurance.take(p.id, p.rule.window);
    this.log({ warning: 'rate counter unavailable, insurance limiter used', rule: `rate.${p.rule.name}`, error: failure, insurance: insured.admitted ? 'admit' : 'deny' });
    return insured.admitted ? `rate.${p.rule.name}: ${failure}` : rateViolation(p.rule, insured.retryAfterMs);
  }

  /** `work`, or a StoreUnavailableError once syncTimeoutMs has passed; `abandon` is aborted then. */
  private inTime<T>(work: Promise<T>, abandon?: AbortController): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandon?.abort();
        reject(new StoreUnavailableError(`Sync did not answer within ${this.syncTimeoutMs} ms`));
      }, this.syncTimeoutMs);
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }
}

function failureOf(error: unknown): string {
  if (error instanceof StoreUnavailableError) return error.message;
  throw error;
}

const PER: Record<RateRule['per'], string> = {
  conversation: 'in this conversation',
  service: 'in this Conversations service',
  author: 'from this author',
  participant: 'for this participant',
};

/**
 * `contended`: so many simultaneous actions on the key that the counter could not be written; the
 * limit may not be reached, so the retry hint is one average spacing of the window.
 */
function rateViolation(rule: RateRule, retryAfterMs: number, contended = false): Violation {
  const retry = Math.max(1, Math.ceil(contended ? rule.window.windowMs / rule.window.limit : retryAfterMs));
  return {
    code: `rate.${rule.name}`,
    message: `Too many actions ${PER[rule.per]}: rate limit "${rule.name}" allows ${describeWindow(rule.window)}; retry in ${retry} ms.`,
    limit: rule.window.limit,
    actual: rule.window.limit + 1,
    variable: rule.variable,
    retryAfterMs: retry,
  };
}
