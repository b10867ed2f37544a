import '@twilio-labs/serverless-runtime-types';
import type { Context, ServerlessCallback, ServerlessEventObject } from '@twilio-labs/serverless-runtime-types/types';
import { consoleLogger } from '../../guard/log';
import { handlePreEvent } from '../../guard/pre-event';
import { respond } from '../../guard/runtime/respond';

/** Conversations pre-event webhook: onMessageAdd, onParticipantAdd and onConversationAdd. */
export const handler = async (context: Context, event: ServerlessEventObject, callback: ServerlessCallback) => {
  const answer = await handlePreEvent({ event, env: context, path: '/conversations/pre-event' }, { log: consoleLogger });
  respond(callback, answer);
};
