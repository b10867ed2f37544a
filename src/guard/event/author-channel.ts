import { channelOfAddress, type Channel } from '../limits/channels';

/** How the author's channel was found, strongest first. `shape` is a guess the remote phase may check. */
export type ChannelEvidence = 'source' | 'binding' | 'prefix' | 'shape' | 'identity';

export interface AuthorChannel {
  channel: Channel;
  by: ChannelEvidence;
}

/**
 * `Source` values that name the channel the action came in on. Twilio's webhook page lists only SDK
 * and API; inbound messages arrive with the channel's own name (SMS, WHATSAPP, EMAIL, …).
 */
const SOURCE_CHANNELS: Readonly<Record<string, Channel>> = {
  SDK: 'web',
  SMS: 'sms',
  MMS: 'sms',
  WHATSAPP: 'whatsapp',
  EMAIL: 'email',
  MESSENGER: 'messenger',
  FACEBOOK: 'messenger',
  GBM: 'gbm',
};

/** `MessagingBinding.Type` values, in either case (`CHAT`, `sms`, `WHATSAPP`, …). */
const BINDING_CHANNELS: Readonly<Record<string, Channel>> = { CHAT: 'web', ...SOURCE_CHANNELS };

/** Prefixes no chat identity is mistaken for: they name the channel outright. */
const CHANNEL_PREFIXES = /^(whatsapp|messenger|gbm|email|mailto):/i;

/** A phone number or an e-mail address: a messaging address, or a chat identity that looks like one. */
const ADDRESS_SHAPE = /^(\+?[0-9][0-9 ()-]{4,}|[^@\s]+@[^@\s]+\.[^@\s]+)$/;

export const sourceChannel = (source: string | undefined): Channel | undefined => (source ? SOURCE_CHANNELS[source.trim().toUpperCase()] : undefined);

export const bindingChannel = (type: string | undefined): Channel | undefined => (type ? BINDING_CHANNELS[type.trim().toUpperCase()] : undefined);

/**
 * The channel a message's author writes from: `Source` first (SDK is chat, SMS/WHATSAPP/EMAIL/… that
 * channel), then the binding type, then an unambiguous address prefix, and the address shape only as
 * a last resort (marked `shape`, so the remote phase can look the author up among the participants).
 */
export function authorChannel(author: string, source: string | undefined, bindingType?: string): AuthorChannel {
  const fromSource = sourceChannel(source);
  if (fromSource) return { channel: fromSource, by: 'source' };
  const fromBinding = bindingChannel(bindingType);
  if (fromBinding) return { channel: fromBinding, by: 'binding' };
  const address = author.trim();
  if (CHANNEL_PREFIXES.test(address)) return { channel: channelOfAddress(address), by: 'prefix' };
  if (ADDRESS_SHAPE.test(address)) return { channel: channelOfAddress(address), by: 'shape' };
  return { channel: 'web', by: 'identity' };
}

/**
 * A message Twilio has already accepted from a carrier or mail server: its author is not a chat
 * participant and it did not come through the REST API (whose caller gets the rejection back).
 */
export function isInbound(author: AuthorChannel, source: string | undefined): boolean {
  return author.channel !== 'web' && source?.trim().toUpperCase() !== 'API';
}
