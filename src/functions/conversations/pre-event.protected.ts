import '@twilio-labs/serverless-runtime-types';
import type { Context, ServerlessCallback, ServerlessEventObject } from '@twilio-labs/serverless-runtime-types/types';
import { consoleLogger } from '../../guard/log';
import { answerPreEvent } from '../../guard/runtime/answer-pre-event';
import { respond } from '../../guard/runtime/respond';

/** Conversations pre-event webhook: judges onMessageAdd, onParticipantAdd and onConversationAdd (and their updates). */
export const handler = async (context: Context, event: ServerlessEventObject, callback: ServerlessCallback) => {
  respond(callback, await answerPreEvent(context, event, consoleLogger));
};
