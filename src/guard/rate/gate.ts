import type { Settings } from '../config/variables';
import { withDeadline } from '../deadline';
import type { PreEvent } from '../event/types';
import type { Logger } from '../log';
import type { Violation } from '../rules/violation';
import { StoreUnavailableError } from '../store/document-store';
import { MemoryRateLimiter } from './memory-limiter';
import { keyOf, rateRulesOf, type RateRule } from './rules';
import { SlotRateLimiter, slotsId, type Reservation } from './slot-limiter';
import { describeWindow } from './window';

interface Pending {
  rule: RateRule;
  id: string;
  reservation?: Reservation;
  failure?: string;
  /** FAIL_MODE=closed (and GUARD_MODE=enforce): a decision left to FAIL_MODE is a refusal. */
  failClosed: boolean;
}

/** Sync could not count and the insurance limiter admitted: FAIL_MODE decides. */
export class RateStoreUnavailableError extends Error {
  override readonly name: string = 'RateStoreUnavailableError';
}

/**
 * The code of a refusal for contention: actions raced for a rule's free slots and this one could
 * not take one in time. Not a limit shown to be reached, so not `rate.<name>`; but Sync did answer,
 * and the slots were being taken, so admitting it would risk more than N: it is refused, saying so.
 */
export const CONTENDED = 'rate.contended';

/**
 * Applies every rate rule to an event in two phases, so they overlap with the other remote reads:
 * `reserve` only reads Sync, `commit` writes once the other rules have passed. When Sync is throttled,
 * failing or later than `syncTimeoutMs`, the insurance limiter decides; if it admits, the decision is
 * left to FAIL_MODE by throwing {@link RateStoreUnavailableError}.
 */
export class RateGate {
  private limiter?: SlotRateLimiter;

  constructor(
    /** Built on first use: an event no rate rule applies to makes no Sync client. */
    private readonly makeLimiter: () => SlotRateLimiter,
    private readonly insurance: MemoryRateLimiter,
    private readonly log: Logger,
    private readonly syncTimeoutMs: number,
  ) {}

  /** One limiter for both phases: what reserve learnt, commit uses. */
  private sync(): SlotRateLimiter {
    return (this.limiter ??= this.makeLimiter());
  }

  async reserve(event: PreEvent, settings: Settings): Promise<Pending[]> {
    const failClosed = settings.FAIL_MODE === 'closed' && settings.GUARD_MODE === 'enforce';
    const applicable = rateRulesOf(settings).flatMap((rule) => {
      const key = keyOf(rule, event);
      // The window is part of the id: after a change of limit, new slots are counted.
      return key === undefined ? [] : [{ rule, id: slotsId(rule.name, rule.window, key), failClosed }];
    });
    return Promise.all(
      applicable.map(async (p): Promise<Pending> => {
        try {
          return { ...p, reservation: await this.inTime(() => this.sync().reserve(p.id, p.rule.window)) };
        } catch (error) {
          return { ...p, failure: failureOf(error) };
        }
      }),
    );
  }

  /**
   * Takes a slot of every rule at once: one round trip, however many rules apply. A rule that already
   * refused on reads rejects the action before any write: it must not take a place in the windows of
   * the other rules (a refused author would otherwise use up the conversation's limit). So does a rule
   * whose read failed and whose insurance limiter refuses: every such rule asks it before any write.
   * When one it admits leaves the action to FAIL_MODE and FAIL_MODE is closed, the action is refused
   * whatever the other rules say, so none of them writes either. Once a rule refuses at its write, the
   * others stop racing for a slot; one another rule took in the meantime stays taken for its period:
   * it can only make that rule stricter, never admit more than its N (docs/design.md, "A slot held by
   * a refused action").
   */
  async commit(pending: Pending[]): Promise<Violation | undefined> {
    for (const p of pending) if (p.reservation?.kind === 'denied') return rateViolation(p.rule, p.reservation.retryAfterMs);
    let unavailable: RateStoreUnavailableError | undefined;
    for (const p of pending) {
      if (p.reservation) continue;
      const insured = this.insure(p, p.failure ?? 'no reservation');
      if (isViolation(insured)) return insured;
      unavailable ??= insured;
    }
    if (unavailable && pending.some((p) => p.failClosed)) throw unavailable;
    const refused = new AbortController();
    const outcomes = await Promise.all(
      pending
        .filter((p) => p.reservation)
        .map(async (p) => {
          const outcome = await this.commitOne(p, refused.signal);
          if (isViolation(outcome)) refused.abort();
          return outcome;
        }),
    );
    const violation = outcomes.find(isViolation);
    if (violation) return violation;
    const failure = unavailable ?? outcomes.find((o): o is RateStoreUnavailableError => o instanceof RateStoreUnavailableError);
    if (failure) throw failure;
    return undefined;
  }

  /** The insurance limiter's answer for a rule Sync could not count: a violation, or FAIL_MODE's to settle. */
  private insure(p: Pending, failure: string): Violation | RateStoreUnavailableError {
    const insured = this.insurance.take(p.id, p.rule.window);
    this.log({ warning: 'rate counter unavailable, insurance limiter used', rule: `rate.${p.rule.name}`, error: failure, insurance: insured.admitted ? 'admit' : 'deny' });
    return insured.admitted ? new RateStoreUnavailableError(`rate.${p.rule.name}: ${failure}`) : rateViolation(p.rule, insured.retryAfterMs);
  }

  /**
   * A violation, the error FAIL_MODE must settle when Sync could not count, undefined when admitted,
   * or `stopped` when another rule refused the action first (`refused` aborted) and this one gave up.
   */
  private async commitOne(p: Pending, refused: AbortSignal): Promise<Violation | RateStoreUnavailableError | 'stopped' | undefined> {
    let failure: string;
    try {
      // Contention (race after race) ends before the hard timeout, kept for a Sync that does not answer.
      const giveUpAt = Date.now() + this.syncTimeoutMs * 0.75;
      const outcome = await this.inTime((signal) => this.sync().commit(p.id, p.rule.window, p.reservation!, { signal: AbortSignal.any([signal, refused]), giveUpAt }));
      if (outcome.admitted) {
        this.insurance.record(p.id, p.rule.window);
        return undefined;
      }
      if (refused.aborted) return 'stopped';
      return outcome.contended ? contendedViolation(p.rule, outcome.requests) : rateViolation(p.rule, outcome.retryAfterMs);
    } catch (error) {
      failure = failureOf(error);
    }
    if (refused.aborted) return 'stopped';
    return this.insure(p, failure);
  }

  /** `work` within syncTimeoutMs (and the decision's own deadline), or a StoreUnavailableError. */
  private async inTime<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.syncTimeoutMs, work);
    } catch (error) {
      if ((error as Error)?.name === 'DeadlineExceededError') throw new StoreUnavailableError(`Sync did not answer within ${this.syncTimeoutMs} ms`);
      throw error;
    }
  }
}

const isViolation = (outcome: Violation | RateStoreUnavailableError | 'stopped' | undefined): outcome is Violation => typeof outcome === 'object' && !(outcome instanceof Error);

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

function contendedViolation(rule: RateRule, requests: number): Violation {
  // One average spacing of the window: about when the next slot frees.
  const retry = Math.max(1, Math.ceil(rule.window.windowMs / rule.window.limit));
  return {
    code: CONTENDED,
    message: `Too many simultaneous actions raced for rate limit "${rule.name}" (${describeWindow(rule.window)}): each free place was taken by another before this one could be counted (${requests} Sync requests). The limit may not be reached; retry in ${retry} ms.`,
    limit: rule.window.limit,
    actual: rule.window.limit,
    variable: rule.variable,
    retryAfterMs: retry,
  };
}

/** The refusal of a rule at its limit; the audit's replay of rate rules words it the same way. */
export function rateViolation(rule: RateRule, retryAfterMs: number): Violation {
  const retry = Math.max(1, Math.ceil(retryAfterMs));
  return {
    code: `rate.${rule.name}`,
    message: `Too many actions ${PER[rule.per]}: rate limit "${rule.name}" allows ${describeWindow(rule.window)}; retry in ${retry} ms.`,
    limit: rule.window.limit,
    actual: rule.window.limit + 1,
    variable: rule.variable,
    retryAfterMs: retry,
  };
}
