import type { Settings } from '../config/variables';
import type { ParticipantAdd } from '../event/types';
import { countNonChat, isGroupMmsMember, type ParticipantFact } from '../facts/participants';
import { isNonChat } from '../limits/channels';
import { firstViolation, overLimit, type Violation } from './violation';

/** How many counted conversations the joining identity already has, when it is a chat identity. */
export interface IdentityFacts {
  count: number;
  includes: boolean;
}

/**
 * Participant caps of the conversation being joined (1000 in all, 50 non-chat, 10 in a Group MMS)
 * and the cap on conversations per chat identity.
 */
export function checkMembership(event: ParticipantAdd, participants: readonly ParticipantFact[], settings: Settings, identity?: IdentityFacts): Violation | undefined {
  const joining: ParticipantFact = { identity: event.identity, address: event.address, proxyAddress: event.proxyAddress, projectedAddress: event.projectedAddress, channel: event.channel };
  const after = participants.length + 1;
  const groupMms = isGroupMmsMember(joining) || participants.some(isGroupMmsMember);
  return firstViolation([
    () => overLimit({ code: 'participant.count', variable: 'MAX_PARTICIPANTS', what: 'The number of participants with this one', unit: 'participants', actual: after, limit: settings.MAX_PARTICIPANTS, by: 'a conversation' }),
    () => (isNonChat(joining.channel) ? overLimit({ code: 'participant.non-chat.count', variable: 'MAX_NON_CHAT_PARTICIPANTS', channel: joining.channel, what: 'The number of non-chat (SMS, WhatsApp, …) participants with this one', unit: 'participants', actual: countNonChat(participants) + 1, limit: settings.MAX_NON_CHAT_PARTICIPANTS, by: 'a conversation' }) : undefined),
    () => (groupMms ? overLimit({ code: 'participant.group-mms.count', variable: 'MAX_GROUP_MMS_PARTICIPANTS', channel: 'sms', what: 'The number of participants in this Group MMS with this one', unit: 'participants', actual: after, limit: settings.MAX_GROUP_MMS_PARTICIPANTS, by: 'Group MMS' }) : undefined),
    () => (identity ? overLimit({ code: 'participant.identity.conversations', variable: 'MAX_CONVERSATIONS_PER_IDENTITY', what: `The number of active or inactive conversations of identity "${event.identity}" with this one`, unit: 'conversations', actual: identity.count + (identity.includes ? 0 : 1), limit: settings.MAX_CONVERSATIONS_PER_IDENTITY, by: 'one identity' }) : undefined),
  ]);
}
