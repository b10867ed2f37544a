/**
 * Channels as the Flex attachment table names them. `web` is every chat (SDK) participant: the
 * webhook cannot tell Flex webchat from any other Conversations SDK client.
 */
export const CHANNELS = ['web', 'sms', 'whatsapp', 'email', 'messenger', 'gbm'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Channels whose participants are counted against the non-chat participant cap. */
export function isNonChat(channel: Channel): boolean {
  return channel !== 'web';
}

const ADDRESS_PREFIXES: ReadonlyArray<[string, Channel]> = [
  ['whatsapp:', 'whatsapp'],
  ['messenger:', 'messenger'],
  ['gbm:', 'gbm'],
  ['email:', 'email'],
  ['mailto:', 'email'],
];

/**
 * Channel of a messaging address (a participant's MessagingBinding.Address or a message Author that
 * is not a chat identity): `whatsapp:+1…`, `messenger:…`, `gbm:…`, an e-mail address, else SMS/MMS.
 */
export function channelOfAddress(address: string): Channel {
  const lower = address.toLowerCase();
  for (const [prefix, channel] of ADDRESS_PREFIXES) if (lower.startsWith(prefix)) return channel;
  if (lower.includes('@')) return 'email';
  return 'sms';
}
