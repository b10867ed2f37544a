import '@twilio-labs/serverless-runtime-types';
import type { Context, ServerlessCallback, ServerlessEventObject } from '@twilio-labs/serverless-runtime-types/types';
import { consoleLogger } from '../../guard/log';
import { handlePreEvent } from '../../guard/pre-event';
import { respond } from '../../guard/runtime/respond';
import { remoteFor } from '../../guard/runtime/wiring';

/** Conversations pre-event webhook: judges onMessageAdd, onParticipantAdd and onConversationAdd. */
export const handler = async (context: Context, event: ServerlessEventObject, callback: ServerlessCallback) => {
  const answer = await handlePreEvent(
    { event, env: context, path: '/conversations/pre-event' },
    { log: consoleLogger, remote: remoteFor(context, consoleLogger) },
  );
  respond(callback, answer);
};
