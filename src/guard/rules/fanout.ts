import type { MessageAdd } from '../event/types';
import { CHANNELS, isNonChat, type Channel } from '../limits/channels';
import { utf16Length, utf8Bytes } from '../text/measure';
import { smsSegments } from '../text/sms-segments';
import { checkMedia, totalBytes } from './media';
import type { MessageSettings } from './message-settings';
import { channelName, recipientMediaProfile } from './profiles';
import { firstViolation, overLimit, type Violation } from './violation';

/**
 * What a message breaks on its way to participants of `channel`: SMS and WhatsApp body length
 * (UTF-16 code units, as Twilio counts), the optional SMS segment cap, what the channel can carry as
 * media, and the 20 MB of an outbound email.
 */
export function checkDelivery(message: Pick<MessageAdd, 'body' | 'media'>, channel: Channel, settings: MessageSettings): Violation | undefined {
  const prefix = `message.fanout.${channel}`;
  const by = `${channelName(channel)} delivery`;
  const body = message.body;
  return firstViolation([
    () => (channel === 'sms' ? overLimit({ code: `${prefix}.body-chars`, variable: 'MAX_SMS_BODY_CHARS', channel, what: 'The message body', unit: 'characters', actual: utf16Length(body), limit: settings.MAX_SMS_BODY_CHARS, by }) : undefined),
    () => (channel === 'sms' && settings.MAX_SMS_SEGMENTS !== undefined ? segmentsOver(body, settings.MAX_SMS_SEGMENTS, prefix) : undefined),
    () => (channel === 'whatsapp' ? overLimit({ code: `${prefix}.body-chars`, variable: 'MAX_WHATSAPP_BODY_CHARS', channel, what: 'The message body', unit: 'characters', actual: utf16Length(body), limit: settings.MAX_WHATSAPP_BODY_CHARS, by }) : undefined),
    () => checkMedia(message.media, recipientMediaProfile(settings, channel), `${prefix}.media`, by),
    () => (channel === 'email' ? overLimit({ code: `${prefix}.bytes`, variable: 'MAX_EMAIL_BYTES', channel, what: 'The email (body and attachments)', unit: 'bytes', actual: utf8Bytes(body) + totalBytes(message.media), limit: settings.MAX_EMAIL_BYTES, by: 'Flex email' }) : undefined),
  ]);
}

/** The non-chat channels a message would break, whoever is in the conversation. */
export function channelsAtRisk(message: Pick<MessageAdd, 'body' | 'media'>, settings: MessageSettings): Channel[] {
  return CHANNELS.filter((channel) => isNonChat(channel) && checkDelivery(message, channel, settings) !== undefined);
}

/**
 * The first delivery limit the message breaks among the channels it will reach: every non-chat
 * participant except the author (who does not receive their own message). Channels are judged in
 * the fixed order of {@link CHANNELS}, not in the order Twilio lists participants, so the answer
 * depends only on which channels are reached: a client that knows just those gives the same one.
 */
export function checkFanout(message: MessageAdd, recipients: ReadonlyArray<{ channel: Channel; address?: string }>, settings: MessageSettings): Violation | undefined {
  const reached = new Set(recipients.filter((r) => isNonChat(r.channel) && r.address !== message.author).map((r) => r.channel));
  return firstViolation(CHANNELS.filter((channel) => reached.has(channel)).map((channel) => () => checkDelivery(message, channel, settings)));
}

function segmentsOver(body: string, limit: number, prefix: string): Violation | undefined {
  const { segments, encoding } = smsSegments(body);
  return overLimit({ code: `${prefix}.segments`, variable: 'MAX_SMS_SEGMENTS', channel: 'sms', what: `The message body (${encoding})`, unit: 'SMS segments', actual: segments, limit, by: 'MAX_SMS_SEGMENTS' });
}
