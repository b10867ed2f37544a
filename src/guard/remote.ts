import type { Twilio } from 'twilio';
import type { Settings } from './config/variables';
import type { MessageAdd, ParticipantAdd, PreEvent } from './event/types';
import { currentDeadline, waitAtMost } from './deadline';
import { IdentityTally, tallyPolicy } from './facts/identity-tally';
import { conversationService, listParticipants, type ParticipantFact } from './facts/participants';
import type { RateGate } from './rate/gate';
import type { ContentPolicy } from './rules';
import { channelsAtRisk, checkFanout } from './rules/fanout';
import { checkMembership } from './rules/membership';
import type { Violation } from './rules/violation';
import type { Logger } from './log';
import type { DocumentStore } from './store/document-store';

export interface RemoteDeps {
  client: () => Twilio;
  store: () => DocumentStore;
  rate: RateGate;
  /** Where bookkeeping that failed is reported: it never changes an answer. */
  log: Logger;
}

/** A rejection, and the delivery limits an inbound message breaks without being rejected for them. */
export interface RemoteVerdict {
  violation?: Violation;
  notes: Violation[];
}

/** The rules that need remote state, for one decision: each remote fact is fetched at most once. */
export interface RemoteJudge {
  /**
   * The message with its author's channel confirmed among the participants, for an Author whose
   * channel was only guessed from its shape (an identity may look like a phone number or an e-mail).
   */
  confirmAuthor(event: MessageAdd, signal: AbortSignal): Promise<MessageAdd>;
  /** `signal` aborts when the decision's deadline passes. */
  judge(event: PreEvent, policy: ContentPolicy, signal: AbortSignal): Promise<RemoteVerdict>;
}

/**
 * Reads first, every one at once (participants, identity tally and join ledger, rate counters), then
 * the pure rules, then the writes: the rate counters, and a chat join's identity tally. A chat join is
 * entered in its identity's join ledger by a create sent beside the reads (one item per conversation,
 * so simultaneous joins never contend), so a join whose count came from a tally far from the limit
 * writes nothing after the reads; a join refused by a rule is entered all the same (an over-count until
 * the tally's next rebuild, see IdentityTally.count). A join whose count was taken exactly writes the
 * rebuilt tally, with the join once the rate rules admit it, after the reads (a refusal by a membership
 * rule writes no rebuilt tally). Every tally write is bookkeeping: it never changes the verdict, and is
 * waited for only while the deadline allows. A decision waits for one or two remote requests in
 * sequence (a lost race for a rate slot adds its own): one for a chat join with its tally kept, two when
 * a rate rule counts the action or the tally is rebuilt; one more when the author must be looked up or
 * when ChatServiceSid is missing; two more when a chat join trusted a kept tally whose ledger has
 * expired (its Map is created, then the item). A participant list of more than one page takes up to
 * two more: its page index is read beside page 2, then the pages it names at once
 * (facts/participant-pages.ts). A chat join, which reads
 * its tally in the first round anyway, reads the index there too, beside page 1: every later page then
 * goes out in the second round, a round trip fewer (a join to 999 participants with its tally kept: page
 * 1, index, tally, ledger and its entry; pages 2 to 10).
 */
export function remoteJudge(settings: Settings, deps: RemoteDeps): RemoteJudge {
  let participants: Promise<ParticipantFact[]> | undefined;
  // Without ChatServiceSid (older payloads) the conversation's default-service URL is used; a
  // conversation of another service then answers 404 and the guard answers per FAIL_MODE.
  // A chat join reads its identity tally in its first round: it reads the page index there too.
  const participantsOf = (event: MessageAdd | ParticipantAdd, indexAtOnce = false) =>
    (participants ??= listParticipants(deps.client(), event.conversationSid, event.chatServiceSid, deps.store, { indexAtOnce }));

  return {
    async confirmAuthor(event) {
      const author = event.author.trim();
      const match = (await participantsOf(event)).find((p) => p.identity === author || p.address === author);
      return match ? { ...event, authorChannel: match.channel, authorEvidence: 'binding', inbound: false } : event;
    },
    async judge(event, policy) {
      switch (event.type) {
        case 'onMessageAdd':
          return judgeMessage(event, policy, settings, deps, participantsOf);
        case 'onParticipantAdd':
          return judgeParticipant(event, settings, deps, participantsOf);
        case 'onConversationAdd':
          return { violation: await deps.rate.commit(await deps.rate.reserve(event, settings)), notes: [] };
      }
    },
  };
}

/** Records the join in the tally; a write that fails is logged and the answer stands. */
async function settleTally(tally: IdentityTally, conversationSid: string | undefined, keepRebuilt: boolean, log: Logger): Promise<true> {
  try {
    const outcome = await tally.settle(conversationSid, keepRebuilt);
    if (outcome === 'contended') log({ warning: 'identity tally not updated: contended; it is recounted when it matters', tally: tally.name });
  } catch (error) {
    log({ warning: 'identity tally not updated; it is recounted when it matters', tally: tally.name, error: error instanceof Error ? error.message : String(error) });
  }
  return true;
}

/**
 * {@link settleTally} once the verdict is known: it never changes the verdict. The write is waited for
 * only until shortly before the decision's deadline (a margin of 2% of DECISION_TIMEOUT, at least
 * 10 ms, so the answer always comes before the deadline's FAIL_MODE would); past that the verdict is
 * answered and the write, still in flight, is aborted with the decision's signal, so it never lands
 * after the answer. With no time left, no write is started.
 */
async function settleWithinDeadline(tally: IdentityTally, conversationSid: string | undefined, settings: Settings, log: Logger, keepRebuilt = true): Promise<void> {
  const deadline = currentDeadline();
  const left = deadline ? deadline.at - Date.now() - Math.max(10, settings.DECISION_TIMEOUT * 0.02) : Infinity;
  if (left <= 0) {
    log({ warning: 'identity tally not updated: no time left before the deadline; it is recounted when it matters', tally: tally.name });
    return;
  }
  const writing = settleTally(tally, conversationSid, keepRebuilt, log);
  if (left === Infinity) return void (await writing);
  if ((await waitAtMost(writing, left)) === undefined) {
    log({ warning: 'identity tally not updated in time: its write is abandoned at the answer; it is recounted when it matters', tally: tally.name });
  }
}

type Participants = (event: MessageAdd | ParticipantAdd, indexAtOnce?: boolean) => Promise<ParticipantFact[]>;

async function judgeMessage(event: MessageAdd, policy: ContentPolicy, settings: Settings, deps: RemoteDeps, participantsOf: Participants): Promise<RemoteVerdict> {
  // Recipients matter only if the message would break some channel's delivery limits, and not at all
  // for an inbound message the guard lets through untouched.
  const needsRecipients = policy !== 'ignore' && channelsAtRisk(event, settings).length > 0;
  const [participants, pending] = await Promise.all([needsRecipients ? participantsOf(event) : undefined, deps.rate.reserve(event, settings)]);
  const fanout = participants && checkFanout(event, participants, settings);
  if (fanout && policy === 'judge') return { violation: fanout, notes: [] };
  return { violation: await deps.rate.commit(pending), notes: fanout ? [fanout] : [] };
}

async function judgeParticipant(event: ParticipantAdd, settings: Settings, deps: RemoteDeps, participantsOf: Participants): Promise<RemoteVerdict> {
  const client = deps.client();
  const counted = event.identity !== undefined && event.channel === 'web';
  // The tally is kept per Conversations service: without ChatServiceSid, the conversation says which.
  const tally = counted ? conversationService(client, event.conversationSid, event.chatServiceSid).then((sid) => new IdentityTally(deps.store(), client, event.identity!, sid)) : undefined;
  const policy = tallyPolicy(settings);
  const [participants, identity, pending] = await Promise.all([
    participantsOf(event, counted),
    // The identity count alone failing (REST too) leaves the other rules to decide first.
    // The join is entered in the identity's join ledger beside these reads (see IdentityTally.count).
    tally?.then((t) => t.count(event.conversationSid, policy, true)).then(
      (count) => ({ count }),
      (error: unknown) => ({ error }),
    ),
    deps.rate.reserve(event, settings),
  ]);
  const violation = checkMembership(event, participants, settings, identity && 'count' in identity ? identity.count : undefined);
  // A refusal writes nothing more, not even a rebuilt tally: the next decision rebuilds it if it must.
  // The ledger entry sent beside the reads is waited for all the same (bounded by the deadline), so
  // that no write lands after the answer: the refused join stays counted until the next rebuild.
  if (violation) {
    if (tally) await tally.then((t) => settleWithinDeadline(t, undefined, settings, deps.log, false), () => undefined);
    return { violation, notes: [] };
  }
  if (identity && 'error' in identity) throw identity.error;
  // A rebuilt tally records the join only once the rate rules admit it (with none on the join, commit
  // makes no request); the ledger entry was sent with the reads, whatever the verdict. A decision
  // FAIL_MODE settles records nothing in the document: the post-event's onParticipantAdded records a
  // join that did happen. Once the verdict is known, the tally's writes are bookkeeping: they are
  // bounded by the deadline and never turn an admitted join into FAIL_MODE's answer. A join a rate rule
  // refuses is not written to the document, but a tally this decision rebuilt is (without it): its
  // retries then need no new listing.
  const rateViolation = await deps.rate.commit(pending);
  if (tally) await tally.then((t) => settleWithinDeadline(t, rateViolation ? undefined : event.conversationSid, settings, deps.log));
  return { violation: rateViolation, notes: [] };
}
