/**
 * Pre-event webhook requests as Twilio sends them: flat form fields, every value a string, dotted
 * names as flat keys, Attributes and Media as JSON strings.
 */
import type { Channel } from '../../src/guard/limits/channels';

export type FormFields = Record<string, string>;

export const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
export const CHAT_SERVICE_SID = 'IS' + '0123456789abcdef'.repeat(2);
export const CONVERSATION_SID = 'CH' + '0123456789abcdef'.repeat(2);

/**
 * How a message author looks on each channel, and the `Source` of a message that came in on it.
 * Chat authors are SDK identities. Twilio's webhook page lists only SDK and API; inbound SMS,
 * WhatsApp and email messages carry their channel's name. MESSENGER and GBM follow that pattern by
 * assumption: no request from those channels has been published.
 */
export const AUTHORS: Readonly<Record<Channel, { Author: string; Source: string }>> = {
  web: { Author: 'alice', Source: 'SDK' },
  sms: { Author: '+15551230001', Source: 'SMS' },
  whatsapp: { Author: 'whatsapp:+15551230002', Source: 'WHATSAPP' },
  email: { Author: 'someone@example.com', Source: 'EMAIL' },
  messenger: { Author: 'messenger:1234567890', Source: 'MESSENGER' },
  gbm: { Author: 'gbm:brand-agent-42', Source: 'GBM' },
};

/** A participant's messaging address on each non-chat channel, with the binding type Twilio sends. */
export const ADDRESSES: Readonly<Record<Exclude<Channel, 'web'>, { address: string; proxy: string; type: string }>> = {
  sms: { address: '+15551230001', proxy: '+15559870000', type: 'SMS' },
  whatsapp: { address: 'whatsapp:+15551230002', proxy: 'whatsapp:+15559870000', type: 'WHATSAPP' },
  email: { address: 'someone@example.com', proxy: 'support@example.com', type: 'EMAIL' },
  messenger: { address: 'messenger:1234567890', proxy: 'messenger:9876543210', type: 'MESSENGER' },
  gbm: { address: 'gbm:customer-7', proxy: 'gbm:brand-agent-42', type: 'GBM' },
};

function common(eventType: string): FormFields {
  return { AccountSid: ACCOUNT_SID, ChatServiceSid: CHAT_SERVICE_SID, EventType: eventType, RetryCount: '0' };
}

export function messageAdd(fields: FormFields = {}, channel: Channel = 'web'): FormFields {
  return {
    ...common('onMessageAdd'),
    ConversationSid: CONVERSATION_SID,
    ...AUTHORS[channel],
    ...(channel === 'web' && { ClientIdentity: AUTHORS.web.Author }),
    Body: 'hello',
    Attributes: '{}',
    ...fields,
  };
}

export function participantAdd(fields: FormFields = {}): FormFields {
  return { ...common('onParticipantAdd'), ConversationSid: CONVERSATION_SID, Source: 'SDK', ClientIdentity: 'alice', Identity: 'bob', RoleSid: 'RL' + '0'.repeat(32), Attributes: '{}', ...fields };
}

export function smsParticipantAdd(channel: Exclude<Channel, 'web'>, fields: FormFields = {}): FormFields {
  const { address, proxy, type } = ADDRESSES[channel];
  const { Identity: _identity, ...rest } = participantAdd();
  return { ...rest, Source: 'API', 'MessagingBinding.Address': address, 'MessagingBinding.ProxyAddress': proxy, 'MessagingBinding.Type': type, ...fields };
}

export function conversationAdd(fields: FormFields = {}): FormFields {
  return { ...common('onConversationAdd'), Source: 'SDK', ClientIdentity: 'alice', FriendlyName: 'Support', UniqueName: 'support-1', Attributes: '{}', State: 'active', ...fields };
}

/**
 * onConversationAdd when an inbound message creates the conversation (Conversations autocreation):
 * the sender in MessagingBinding.Address, no AuthorAddress, Source the channel's name.
 */
export function autocreation(channel: Exclude<Channel, 'web'>, fields: FormFields = {}): FormFields {
  const { address, proxy } = ADDRESSES[channel];
  const { ClientIdentity: _client, FriendlyName: _name, UniqueName: _unique, ...rest } = conversationAdd();
  return {
    ...rest,
    Source: AUTHORS[channel].Source,
    MessagingServiceSid: 'MG' + '0123456789abcdef'.repeat(2),
    'MessagingBinding.Address': address,
    'MessagingBinding.ProxyAddress': proxy,
    MessageBody: 'hello',
    ...fields,
  };
}

/** Group MMS autocreation: the sender in AuthorAddress, every member in Address as a list. */
export function groupMmsAutocreation(members: readonly string[], fields: FormFields = {}): FormFields {
  return autocreation('sms', { 'MessagingBinding.Address': `[${members.join(', ')}]`, 'MessagingBinding.AuthorAddress': members[0]!, ...fields });
}
