import { ConfigError } from './config/errors';
import { settingsFor, type Environment } from './config/load';
import { readOne } from './config/read-one';
import type { Settings } from './config/variables';
import { DeadlineExceededError, withDeadline } from './deadline';
import { MalformedRequestError } from './event/errors';
import { isJudged, parseEvent, type RawEvent } from './event/parse';
import type { MessageAdd, PreEvent } from './event/types';
import { annotatedAttributes } from './http/annotate';
import { ALLOW, annotated, malformed, reject, unavailable, type Answer } from './http/answer';
import { authenticate } from './http/authenticate';
import type { DecisionLog, Logger } from './log';
import { CONTENDED } from './rate/gate';
import type { RemoteJudge } from './remote';
import type { Channel } from './limits/channels';
import { checkContent, checkFields, contentPolicy, messageOf, type ContentPolicy } from './rules';
import type { Violation } from './rules/violation';
import { rejectionOf, type Rejection } from './stats/rejections';
import { maskText } from './rejection-log/mask';
import { decisionRecords, type DecisionRecord } from './rejection-log/record';

/** A webhook request as the function sees it. */
export interface PreEventRequest {
  event: RawEvent;
  /** The function's context: environment variables plus DOMAIN_NAME. */
  env: Environment;
  /** The function's URL path, e.g. /conversations/pre-event. */
  path: string;
}

export interface PreEventDeps {
  log: Logger;
  now?: () => number;
  /**
   * The rules that need remote state (participants, Sync counters), built once settings are known;
   * absent, only payload rules run. They may throw: the guard then answers per FAIL_MODE.
   */
  remote?: (settings: Settings) => RemoteJudge | undefined;
}

/**
 * One pre-event decision as data: the answer to send, and the rejection it is, if any (in shadow
 * mode, the one it would have been). The entry point hands it to the rejection counters: counts come
 * from the decision itself, never from its log line.
 */
export interface PreEventDecision {
  answer: Answer;
  rejection?: Rejection;
  /** What the rejection log keeps of it: nothing for a plain allow (see {@link decisionRecords}). */
  logged: DecisionRecord[];
}

/** Judges one pre-event request. Never throws: every failure becomes an answer and a log line. */
export async function handlePreEvent(request: PreEventRequest, deps: PreEventDeps): Promise<Answer> {
  return (await decidePreEvent(request, deps)).answer;
}

/** {@link handlePreEvent}, with the rejection the answer is. Never throws. */
export async function decidePreEvent(request: PreEventRequest, deps: PreEventDeps): Promise<PreEventDecision> {
  try {
    return await judge(request, deps);
  } catch (error) {
    // Unreachable by design; a throw here would become a 500, which rejects the action.
    const closed = readOne(request.env, 'GUARD_MODE') !== 'shadow' && readOne(request.env, 'FAIL_MODE') === 'closed';
    const line = { event: typeof request.event?.EventType === 'string' ? request.event.EventType : 'unknown', outcome: closed ? ('fail-closed' as const) : ('fail-open' as const), error: describeError(error) };
    try {
      deps.log(line);
    } catch {
      // Nothing left to report with.
    }
    const answer = closed ? unavailable('unexpected error') : ALLOW;
    let logged: DecisionRecord[] = [];
    try {
      logged = decisionRecords(request.event ?? {}, line.event, line);
    } catch {
      // The log is bookkeeping: the answer stands without it.
    }
    return { answer, rejection: rejectionOf(answer, 'enforce'), logged };
  }
}

async function judge(request: PreEventRequest, deps: PreEventDeps): Promise<PreEventDecision> {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const eventType = typeof request.event.EventType === 'string' ? request.event.EventType : 'unknown';
  const conversation = typeof request.event.ConversationSid === 'string' ? request.event.ConversationSid : undefined;
  // Read on its own so that shadow mode holds even when another variable is invalid.
  const mode = readOne(request.env, 'GUARD_MODE') ?? 'enforce';
  /** Logs the decision; in shadow mode every answer but 200 is logged and replaced by an allow. */
  const finish = (answer: Answer, line: Omit<DecisionLog, 'event' | 'ms' | 'mode'>, notes: Violation[] = []): PreEventDecision => {
    const shadowed = mode === 'shadow' && answer.status !== 200;
    deps.log({ event: eventType, conversation, mode, ...masked(line), ...(shadowed && { wouldAnswer: answer.status }), ms: round(now() - started) });
    return { answer: shadowed ? ALLOW : answer, rejection: rejectionOf(answer, mode), logged: decisionRecords(request.event, eventType, line, notes) };
  };

  /** The log line's sentences may quote an identity or address: masked like the rejection log, unless REJECTION_LOG=full. */
  const masked = <L extends { reason?: unknown; error?: unknown }>(line: L): L =>
    readOne(request.env, 'REJECTION_LOG') === 'full'
      ? line
      : { ...line, ...(typeof line.reason === 'string' && { reason: maskText(line.reason) }), ...(typeof line.error === 'string' && { error: maskText(line.error) }) };
  const failClosed = () => mode === 'enforce' && readOne(request.env, 'FAIL_MODE') === 'closed';
  const cannotDecide = (reason: string, error: string) =>
    failClosed() ? finish(unavailable(reason), { outcome: 'fail-closed', error }) : finish(ALLOW, { outcome: 'fail-open', error });

  const auth = authenticate(request);
  if (auth.kind === 'refused') return finish(auth.answer, { outcome: 'unauthorized', reason: auth.reason });
  if (auth.kind === 'unconfigured') return cannotDecide('no AUTH_TOKEN to check the signature with', auth.reason);
  if (auth.kind === 'off') deps.log({ warning: 'SIGNATURE_CHECK=off: this request was not authenticated', event: eventType });

  let settings: Settings;
  try {
    settings = settingsFor(request.env);
  } catch (error) {
    return cannotDecide('invalid configuration', error instanceof ConfigError ? error.message : String(error));
  }

  if (!isJudged(request.event.EventType)) return finish(ALLOW, { outcome: 'ignored' });

  let event: PreEvent;
  try {
    event = parseEvent(request.event);
  } catch (error) {
    if (!(error instanceof MalformedRequestError)) throw error;
    // Twilio signed it, so its shape changed: a 400 would reject every such action in the account.
    const message = `${error.field} ${error.problem}.`;
    const answer = failClosed() ? malformed(error.field, message) : ALLOW;
    return finish(answer, { outcome: 'malformed', field: error.field, error: message, status: answer.status });
  }
  if (event.update && settings.JUDGE_UPDATES === 'off') return finish(ALLOW, { outcome: 'ignored' });

  try {
    // Updates are judged by their payload alone.
    const verdict = await decide(event, settings, event.update ? undefined : deps.remote?.(settings));
    if (verdict.violation) {
      const { violation } = verdict;
      // A refusal for contention is no limit reached: its own outcome, so logs and counts tell them apart.
      const outcome = violation.code === CONTENDED ? 'contended' : mode === 'shadow' ? 'shadow-reject' : 'reject';
      return finish(reject(violation), { outcome, rule: violation.code, reason: violation.message, ...channelLine(verdict) });
    }
    const [answer, line] = allowWith(event, verdict, settings);
    return finish(answer, { ...line, ...channelLine(verdict) }, verdict.notes);
  } catch (error) {
    const reason = error instanceof DeadlineExceededError ? error.message : describeError(error);
    return cannotDecide(reason, reason);
  }
}

export interface Verdict {
  violation?: Violation;
  /** What an inbound message breaks without being rejected for it (INBOUND_POLICY). */
  notes: Violation[];
  policy: ContentPolicy;
  /** The channel the guard judged the author (or the participant added) by, for the log. */
  channel?: Channel;
}

/**
 * Payload rules first (free), then the remote ones within DECISION_TIMEOUT. Exported for the audit
 * (src/audit), which replays history through this very composition with the facts of the time; its
 * remote judge answers from memory, so it passes `timed: false` (no deadline, no timer per decision).
 */
export async function decide(parsed: PreEvent, settings: Settings, remote: RemoteJudge | undefined, timed = true): Promise<Verdict> {
  const needsRemote = remote !== undefined;
  const run = async (signal?: AbortSignal): Promise<Verdict> => {
    const event = needsRemote && needsAuthorLookup(parsed) ? await remote.confirmAuthor(parsed, signal!) : parsed;
    const verdict = { notes: [] as Violation[], policy: contentPolicy(event, settings), channel: channelOf(event) };
    const field = checkFields(event, settings);
    if (field) return { ...verdict, violation: field };
    const content = checkContent(event, settings);
    if (content && verdict.policy === 'judge') return { ...verdict, violation: content };
    if (content) verdict.notes.push(content);
    if (!needsRemote) return verdict;
    const fromRemote = await remote.judge(event, verdict.policy, signal!);
    return { ...verdict, violation: fromRemote.violation, notes: [...verdict.notes, ...fromRemote.notes] };
  };
  return needsRemote && timed ? withDeadline(settings.DECISION_TIMEOUT, run) : run(NO_DEADLINE);
}

/** The signal of an untimed decision (the audit's): it never aborts. */
const NO_DEADLINE = new AbortController().signal;

const channelLine = (verdict: Verdict) => (verdict.channel ? { channel: verdict.channel } : {});

const channelOf = (event: PreEvent): Channel | undefined => (event.type === 'onParticipantAdd' ? event.channel : messageOf(event)?.authorChannel);

/** An API message whose Author only looks like a phone number or e-mail address may be a chat identity. */
const needsAuthorLookup = (event: PreEvent): event is MessageAdd => event.type === 'onMessageAdd' && event.authorEvidence === 'shape' && !event.inbound;

/**
 * A 200, annotated when INBOUND_POLICY=annotate and the message's Attributes can carry the notes.
 * The first message of an auto-created conversation cannot be annotated: its notes are logged.
 */
function allowWith(event: PreEvent, verdict: Verdict, settings: Settings): [Answer, Omit<DecisionLog, 'event' | 'ms' | 'mode'>] {
  if (verdict.notes.length === 0) return [ALLOW, { outcome: 'allow' }];
  const inbound = { outcome: 'allow' as const, inbound: verdict.policy, rules: verdict.notes.map((note) => note.code) };
  if (verdict.policy !== 'annotate' || event.type !== 'onMessageAdd') return [ALLOW, inbound];
  const attributes = annotatedAttributes(event.attributes, verdict.notes, settings.MAX_MESSAGE_ATTRIBUTES_BYTES);
  if (attributes === undefined) return [ALLOW, { ...inbound, warning: 'not annotated: the message Attributes are not a JSON object, or would grow past MAX_MESSAGE_ATTRIBUTES_BYTES' }];
  return [annotated(attributes), inbound];
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const round = (ms: number) => Math.round(ms * 100) / 100;

