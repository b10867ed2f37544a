import type { Settings } from '../config/variables';
import type { PreEvent } from '../event/types';
import { checkConversationFields } from './conversation';
import { checkMessagePayload, type MessagePayload } from './message';
import type { MessageSettings } from './message-settings';
import { checkParticipantAdd } from './participant';
import type { Violation } from './violation';

/**
 * The message an event carries, if any: the one being added, or the first message of a conversation
 * an inbound SMS, WhatsApp or email creates.
 */
export function messageOf(event: PreEvent): (MessagePayload & { inbound: boolean }) | undefined {
  if (event.type === 'onMessageAdd') return event;
  if (event.type === 'onConversationAdd') return event.firstMessage;
  return undefined;
}

/**
 * Field limits of the action itself (names, identities, addresses, conversation attributes): they
 * reject whoever acts. Needs nothing but the webhook request.
 */
export function checkFields(event: PreEvent, settings: Settings): Violation | undefined {
  switch (event.type) {
    case 'onMessageAdd':
      return undefined;
    case 'onParticipantAdd':
      return checkParticipantAdd(event, settings);
    case 'onConversationAdd':
      return checkConversationFields(event, settings);
  }
}

/** Body, attributes and attachment limits of the message the event carries (see {@link contentPolicy}). */
export function checkContent(event: PreEvent, settings: MessageSettings): Violation | undefined {
  const message = messageOf(event);
  return message && checkMessagePayload(message, settings);
}

/**
 * What a content violation does. A message from a chat participant or the REST API is judged: the
 * sender is told. One Twilio already accepted from a carrier or mail server follows INBOUND_POLICY,
 * because rejecting it would only lose a customer's message without telling anyone.
 */
export type ContentPolicy = 'judge' | 'annotate' | 'ignore';

export function contentPolicy(event: PreEvent, settings: Pick<MessageSettings, 'INBOUND_POLICY'>): ContentPolicy {
  if (event.update || !messageOf(event)?.inbound) return 'judge';
  return settings.INBOUND_POLICY === 'reject' ? 'judge' : settings.INBOUND_POLICY;
}
