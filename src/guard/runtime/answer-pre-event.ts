import type { Environment } from '../config/load';
import type { RawEvent } from '../event/parse';
import type { Answer } from '../http/answer';
import type { Logger } from '../log';
import { decidePreEvent } from '../pre-event';
import { countRejection, flushRejections } from './rejection-counter';
import { keepDecision } from './rejection-log';
import { remoteFor } from './wiring';

export const PRE_EVENT_PATH = '/conversations/pre-event';

/**
 * The pre-event function's whole job: the decision, its rejection counted (from the decision, not
 * its log line) and kept in the rejection log, and both flushed when due. The function entry point and the benchmark both
 * run exactly this.
 */
export async function answerPreEvent(context: Environment, event: RawEvent, log: Logger): Promise<Answer> {
  const startedAt = Date.now();
  const decision = await decidePreEvent({ event, env: context, path: PRE_EVENT_PATH }, { log, remote: remoteFor(context, log) });
  countRejection(decision.rejection);
  try {
    keepDecision(decision.logged, context);
  } catch (error) {
    // The log is bookkeeping: a failure here must never turn the answer into a 500.
    log({ warning: 'rejection log: decision not kept', error: error instanceof Error ? error.message : String(error) });
  }
  await flushRejections(context, log, startedAt);
  return decision.answer;
}
