import { ConfigError } from './config/errors';
import { settingsFor, type Environment } from './config/load';
import { readOne } from './config/read-one';
import type { Settings } from './config/variables';
import { DeadlineExceededError, withDeadline } from './deadline';
import { MalformedRequestError } from './event/errors';
import { isJudged, parseEvent, type RawEvent } from './event/parse';
import type { PreEvent } from './event/types';
import { ALLOW, malformed, reject, unavailable, type Answer } from './http/answer';
import { authenticate } from './http/authenticate';
import type { DecisionLog, Logger } from './log';
import { checkPayload } from './rules';
import type { Violation } from './rules/violation';

/** A webhook request as the function sees it. */
export interface PreEventRequest {
  event: RawEvent;
  /** The function's context: environment variables plus DOMAIN_NAME. */
  env: Environment;
  /** The function's URL path, e.g. /conversations/pre-event. */
  path: string;
}

/**
 * Rules that need remote state (the conversation's participants, Sync counters). They receive the
 * deadline's signal and may throw: the guard then answers per FAIL_MODE.
 */
export type RemoteJudge = (event: PreEvent, settings: Settings, signal: AbortSignal) => Promise<Violation | undefined>;

export interface PreEventDeps {
  log: Logger;
  now?: () => number;
  /** Built once settings are known; absent, only payload rules run. */
  remote?: (settings: Settings) => RemoteJudge | undefined;
}

/** Judges one pre-event request. Never throws: every failure becomes an answer and a log line. */
export async function handlePreEvent(request: PreEventRequest, deps: PreEventDeps): Promise<Answer> {
  try {
    return await judge(request, deps);
  } catch (error) {
    // Unreachable by design; a throw here would become a 500, which rejects the action.
    const closed = readOne(request.env, 'GUARD_MODE') !== 'shadow' && readOne(request.env, 'FAIL_MODE') === 'closed';
    try {
      deps.log({ event: String(request.event?.EventType ?? 'unknown'), outcome: closed ? 'fail-closed' : 'fail-open', error: describeError(error) });
    } catch {
      // Nothing left to report with.
    }
    return closed ? unavailable('unexpected error') : ALLOW;
  }
}

async function judge(request: PreEventRequest, deps: PreEventDeps): Promise<Answer> {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const eventType = typeof request.event.EventType === 'string' ? request.event.EventType : 'unknown';
  const conversation = typeof request.event.ConversationSid === 'string' ? request.event.ConversationSid : undefined;
  // Read on its own so that shadow mode holds even when another variable is invalid.
  const mode = readOne(request.env, 'GUARD_MODE') ?? 'enforce';
  /** Logs the decision; in shadow mode every answer but 200 is logged and replaced by an allow. */
  const finish = (answer: Answer, line: Omit<DecisionLog, 'event' | 'ms' | 'mode'>) => {
    const shadowed = mode === 'shadow' && answer.status !== 200;
    deps.log({ event: eventType, conversation, mode, ...line, ...(shadowed && { wouldAnswer: answer.status }), ms: round(now() - started) });
    return shadowed ? ALLOW : answer;
  };

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

  try {
    const event = parseEvent(request.event);
    const violation = checkPayload(event, settings) ?? (event.update ? undefined : await judgeWithinDeadline(event, settings, deps));
    if (!violation) return finish(ALLOW, { outcome: 'allow' });
    return finish(reject(violation), { outcome: mode === 'shadow' ? 'shadow-reject' : 'reject', rule: violation.code, reason: violation.message });
  } catch (error) {
    if (error instanceof MalformedRequestError) {
      return finish(malformed(error.field, `${error.field} ${error.problem}.`), { outcome: 'malformed', field: error.field });
    }
    const reason = error instanceof DeadlineExceededError ? error.message : describeError(error);
    const closed = settings.FAIL_MODE === 'closed' && mode === 'enforce';
    return finish(closed ? unavailable(reason) : ALLOW, { outcome: closed ? 'fail-closed' : 'fail-open', error: reason });
  }
}

async function judgeWithinDeadline(event: PreEvent, settings: Settings, deps: PreEventDeps): Promise<Violation | undefined> {
  const judge = deps.remote?.(settings);
  if (!judge) return undefined;
  return withDeadline(settings.DECISION_TIMEOUT, (signal) => judge(event, settings, signal));
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const round = (ms: number) => Math.round(ms * 100) / 100;

