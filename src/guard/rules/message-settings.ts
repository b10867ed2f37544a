import type { Settings } from '../config/variables';
import { CHANNELS, type Channel } from '../limits/channels';

/** A variable of the Flex attachment table: one row per author channel. */
export type AttachmentVariable = `ATTACHMENTS_${Uppercase<Channel>}_${'MAX_FILES' | 'MAX_FILE_BYTES' | 'MAX_TOTAL_BYTES' | 'EXTENSIONS'}`;

const ATTACHMENT_VARIABLES = CHANNELS.flatMap((channel) =>
  (['MAX_FILES', 'MAX_FILE_BYTES', 'MAX_TOTAL_BYTES', 'EXTENSIONS'] as const).map((suffix) => `ATTACHMENTS_${channel.toUpperCase()}_${suffix}` as AttachmentVariable),
);

/**
 * Every variable the message rules read (payload, delivery, the inbound policy and the mode), and
 * nothing else: what GET /limits publishes and what the browser module judges a draft with. The rule
 * functions take {@link MessageSettings}, so the compiler proves this list is complete.
 */
export const MESSAGE_VARIABLES = [
  'GUARD_MODE',
  'INBOUND_POLICY',
  'MAX_CHAT_BODY_BYTES',
  'MAX_MESSAGE_ATTRIBUTES_BYTES',
  'MAX_EMAIL_BYTES',
  'MAX_CHAT_MEDIA_BYTES',
  'FLEX_ONE_ATTACHMENT_PER_MESSAGE',
  'FLEX_NO_TEXT_WITH_IMAGE',
  ...ATTACHMENT_VARIABLES,
  'MAX_SMS_BODY_CHARS',
  'MAX_WHATSAPP_BODY_CHARS',
  'MAX_SMS_SEGMENTS',
  'MMS_MAX_FILES',
  'MMS_MAX_FILE_BYTES',
  'MMS_MAX_TOTAL_BYTES',
  'MMS_EXTENSIONS',
  'WHATSAPP_MAX_FILES',
  'WHATSAPP_MAX_FILE_BYTES',
  'WHATSAPP_EXTENSIONS',
] as const;

export type MessageVariable = (typeof MESSAGE_VARIABLES)[number];

/** The parsed settings the message rules read: plain data (numbers, booleans, lists), no parser. */
export type MessageSettings = Pick<Settings, MessageVariable>;

/** The message settings out of the full settings, as a new plain object. */
export function messageSettingsOf(settings: MessageSettings): MessageSettings {
  return Object.fromEntries(MESSAGE_VARIABLES.map((name) => [name, settings[name]])) as MessageSettings;
}
