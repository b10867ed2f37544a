import type { Twilio } from 'twilio';

/** Largest page Twilio serves for ParticipantConversations. */
const PAGE_SIZE = 50;

/**
 * The SIDs of the conversations an identity belongs to that count against Twilio's per-identity cap:
 * active and inactive ones (closed conversations do not count). Pages through ParticipantConversations,
 * so it costs one request per 50 conversations: the tally exists to avoid paying it on every decision.
 */
export async function listCountedConversations(client: Twilio, identity: string, serviceSid?: string): Promise<string[]> {
  const list = serviceSid
    ? await client.conversations.v1.services(serviceSid).participantConversations.list({ identity, pageSize: PAGE_SIZE })
    : await client.conversations.v1.participantConversations.list({ identity, pageSize: PAGE_SIZE });
  return list
    .filter((item: { conversationState?: string }) => item.conversationState !== 'closed')
    .map((item: { conversationSid: string }) => item.conversationSid);
}
