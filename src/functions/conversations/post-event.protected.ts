import '@twilio-labs/serverless-runtime-types';
import type { Context, ServerlessCallback, ServerlessEventObject } from '@twilio-labs/serverless-runtime-types/types';
import { settingsFor } from '../../guard/config/load';
import { consoleLogger } from '../../guard/log';
import { handlePostEvent } from '../../guard/post-event';
import { respond } from '../../guard/runtime/respond';
import { servicesFor } from '../../guard/runtime/wiring';

/**
 * Conversations post-event webhook: onParticipantAdded, onParticipantRemoved,
 * onConversationStateUpdated and onConversationRemoved keep the identity tallies current, and a
 * participant added or removed keeps its conversation's participant page index current.
 */
export const handler = async (context: Context, event: ServerlessEventObject, callback: ServerlessCallback) => {
  const services = () => servicesFor(context, settingsFor(context));
  const answer = await handlePostEvent(
    { event, env: context, path: '/conversations/post-event' },
    { log: consoleLogger, client: () => services().client(), store: () => services().store() },
  );
  respond(callback, answer);
};
