import type { Environment } from '../config/load';
import type { RawEvent } from '../event/parse';
import type { Answer } from '../http/answer';
import type { Logger } from '../log';
import { handlePreEvent } from '../pre-event';
import { countingLogger, flushRejections } from './rejection-counter';
import { remoteFor } from './wiring';

export const PRE_EVENT_PATH = '/conversations/pre-event';

/**
 * The pre-event function's whole job: the decision, with its rejections counted, and the counters
 * flushed when due. The function entry point and the benchmark both run exactly this.
 */
export async function answerPreEvent(context: Environment, event: RawEvent, log: Logger): Promise<Answer> {
  const startedAt = Date.now();
  const counting = countingLogger(log);
  const answer = await handlePreEvent({ event, env: context, path: PRE_EVENT_PATH }, { log: counting, remote: remoteFor(context, counting) });
  await flushRejections(context, log, startedAt);
  return answer;
}
