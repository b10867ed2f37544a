import '@twilio-labs/serverless-runtime-types';
import type { Context, ServerlessCallback, ServerlessEventObject } from '@twilio-labs/serverless-runtime-types/types';
import { consoleLogger } from '../../guard/log';
import { handlePreEvent } from '../../guard/pre-event';
import { countingLogger, flushRejections } from '../../guard/runtime/rejection-counter';
import { respond } from '../../guard/runtime/respond';
import { remoteFor } from '../../guard/runtime/wiring';

/** Conversations pre-event webhook: judges onMessageAdd, onParticipantAdd and onConversationAdd. */
export const handler = async (context: Context, event: ServerlessEventObject, callback: ServerlessCallback) => {
  const startedAt = Date.now();
  const log = countingLogger(consoleLogger);
  const answer = await handlePreEvent({ event, env: context, path: '/conversations/pre-event' }, { log, remote: remoteFor(context, log) });
  await flushRejections(context, consoleLogger, startedAt);
  respond(callback, answer);
};
