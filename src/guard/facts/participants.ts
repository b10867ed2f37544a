import type { Twilio } from 'twilio';
import { bindingChannel } from '../event/author-channel';
import { channelOfAddress, isNonChat, type Channel } from '../limits/channels';

/** What the rules need to know about one participant already in the conversation. */
export interface ParticipantFact {
  identity?: string;
  address?: string;
  proxyAddress?: string;
  projectedAddress?: string;
  channel: Channel;
}

interface Binding {
  type?: string;
  address?: string;
  proxy_address?: string;
  projected_address?: string;
}

/** The largest page Twilio serves for participants: a conversation of up to 100 costs one request. */
const PAGE_SIZE = 100;

/**
 * Every participant of a conversation, from the Conversations REST API (service-scoped when the
 * webhook named a ChatServiceSid).
 */
export async function listParticipants(client: Twilio, conversationSid: string, serviceSid?: string): Promise<ParticipantFact[]> {
  const participants = serviceSid
    ? await client.conversations.v1.services(serviceSid).conversations(conversationSid).participants.list({ pageSize: PAGE_SIZE })
    : await client.conversations.v1.conversations(conversationSid).participants.list({ pageSize: PAGE_SIZE });
  return participants.map((p: { identity: string | null; messagingBinding: unknown }) => toFact(p.identity ?? undefined, p.messagingBinding as Binding | null));
}

/**
 * The Conversations service (IS…) of a conversation: the webhook's ChatServiceSid, or, for older
 * payloads without it, one request to the default-service URL (which serves only the account's
 * default service: any other answers 404, and the guard answers per FAIL_MODE). State kept per
 * service (identity tallies) is thus always keyed by the real SID.
 */
export async function conversationService(client: Twilio, conversationSid: string, chatServiceSid: string | undefined): Promise<string> {
  if (chatServiceSid) return chatServiceSid;
  const conversation = await client.conversations.v1.conversations(conversationSid).fetch();
  return conversation.chatServiceSid;
}

export function toFact(identity: string | undefined, binding: Binding | null | undefined): ParticipantFact {
  const address = binding?.address ?? undefined;
  return {
    identity: identity || undefined,
    address,
    proxyAddress: binding?.proxy_address ?? undefined,
    projectedAddress: binding?.projected_address ?? undefined,
    channel: address ? nonChat(bindingChannel(binding?.type ?? undefined)) ?? channelOfAddress(address) : 'web',
  };
}

const nonChat = (channel: Channel | undefined) => (channel === 'web' ? undefined : channel);

/**
 * A Group MMS conversation: a chat member speaks through a projected address, or an SMS member has
 * no proxy address (native group MMS members are addressed together, not through a proxy number).
 */
export function isGroupMmsMember(p: ParticipantFact): boolean {
  return p.projectedAddress !== undefined || (p.channel === 'sms' && p.address !== undefined && p.proxyAddress === undefined);
}

export function countNonChat(participants: readonly ParticipantFact[]): number {
  return participants.filter((p) => isNonChat(p.channel)).length;
}
