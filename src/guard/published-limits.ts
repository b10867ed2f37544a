import { CHANNELS, isNonChat, type Channel } from './limits/channels';
import type { MediaProfile } from './rules/media';
import { messageSettingsOf, type MessageSettings, type MessageVariable } from './rules/message-settings';
import { authorMediaProfile, recipientMediaProfile } from './rules/profiles';

/** One limit as published: its value, the rule id a rejection carries, and the variable that sets it. */
export interface PublishedLimit<T = number> {
  /** The effective value; null for a limit that is off (MAX_SMS_SEGMENTS=off). */
  value: T | null;
  rule: string;
  variable: MessageVariable;
  unit: string;
}

/** What a channel's attachment-table row (or a recipient channel's media limits) allows in one message. */
export interface PublishedMediaLimits {
  files: PublishedLimit;
  fileBytes: PublishedLimit;
  /** Absent where it cannot be reached (WhatsApp: every file is capped, so the message is too). */
  totalBytes?: PublishedLimit;
  types: PublishedLimit<readonly string[] | '*'>;
}

export type NonChatChannel = Exclude<Channel, 'web'>;

/**
 * GET /limits: the limits a message is judged by, as the webhook applies them. `settings` is what
 * the limits-client module's checkDraft reads (the same data the rule functions read in the webhook);
 * the other fields describe the same values for people and UIs. Nothing secret: only the variables of
 * {@link MESSAGE_VARIABLES}.
 */
export interface PublishedLimits {
  /** `<package version>+<12 hex digits of SHA-256 over the version and settings>`: changes with the rules or any value. */
  version: string;
  /** shadow: the webhook allows everything (it only logs), so checkDraft allows everything too. */
  mode: MessageSettings['GUARD_MODE'];
  /** What happens to an inbound (SMS, WhatsApp, email, …) message over a body or attachment limit. */
  inboundPolicy: { value: MessageSettings['INBOUND_POLICY']; variable: 'INBOUND_POLICY' };
  /** Limits of every message, whoever receives it. */
  message: {
    bodyBytes: PublishedLimit;
    attributesBytes: PublishedLimit;
    /** Messages from chat (SDK) authors only: any one file. */
    chatFileBytes: PublishedLimit;
    /** Messages from email authors only: body and attachments. */
    emailBytes: PublishedLimit;
  };
  /** The Flex switches (limit 1 file; no text with an image) and whether they are on. */
  flex: { oneAttachmentPerMessage: PublishedLimit<boolean>; noTextWithImage: PublishedLimit<boolean> };
  /** The attachment-table row of each author channel (`web` is every chat SDK author). */
  attachments: Record<Channel, PublishedMediaLimits>;
  /** What a message must fit to reach participants of each non-chat channel (other than its author). */
  delivery: Record<NonChatChannel, { bodyChars?: PublishedLimit; segments?: PublishedLimit; emailBytes?: PublishedLimit } & PublishedMediaLimits>;
  /** What the checks cannot know before sending. */
  notChecked: string[];
  /** The parsed value of every variable the message rules read: checkDraft's input. */
  settings: MessageSettings;
}

const limit = <T>(value: T | undefined, rule: string, variable: MessageVariable, unit: string): PublishedLimit<T> => ({ value: value ?? null, rule, variable, unit });

function media(profile: MediaProfile, prefix: string, withTotal: boolean): PublishedMediaLimits {
  const v = profile.variables as Record<keyof MediaProfile['variables'], MessageVariable>;
  return {
    files: limit(profile.maxFiles, `${prefix}.count`, v.files, 'files'),
    fileBytes: limit(profile.maxFileBytes, `${prefix}.file-size`, v.fileBytes, 'bytes'),
    ...(withTotal && { totalBytes: limit(profile.maxTotalBytes, `${prefix}.total-size`, v.totalBytes, 'bytes') }),
    types: limit(profile.extensions, `${prefix}.type`, v.extensions, 'file extensions'),
  };
}

export const NOT_CHECKED = [
  'rate rules (RATE_LIMIT_*, RATE_LIMITS): they depend on what others sent',
  'participant counts and other participant or conversation limits: they apply to joining, not to sending',
  'the channels of the conversation: the caller names the recipients',
];

/** The published form of the message settings; `version` comes from the /limits function (limits-endpoint.ts). */
export function publishLimits(all: MessageSettings, version: string): PublishedLimits {
  const settings = messageSettingsOf(all);
  const delivery = Object.fromEntries(
    CHANNELS.filter(isNonChat).map((channel) => {
      const prefix = `message.fanout.${channel}`;
      return [
        channel,
        {
          ...(channel === 'sms' && { bodyChars: limit(settings.MAX_SMS_BODY_CHARS, `${prefix}.body-chars`, 'MAX_SMS_BODY_CHARS', 'characters (UTF-16 code units)') }),
          ...(channel === 'sms' && { segments: limit(settings.MAX_SMS_SEGMENTS, `${prefix}.segments`, 'MAX_SMS_SEGMENTS', 'SMS segments') }),
          ...(channel === 'whatsapp' && { bodyChars: limit(settings.MAX_WHATSAPP_BODY_CHARS, `${prefix}.body-chars`, 'MAX_WHATSAPP_BODY_CHARS', 'characters (UTF-16 code units)') }),
          ...media(recipientMediaProfile(settings, channel), `${prefix}.media`, channel !== 'whatsapp'),
          ...(channel === 'email' && { emailBytes: limit(settings.MAX_EMAIL_BYTES, `${prefix}.bytes`, 'MAX_EMAIL_BYTES', 'bytes (body and attachments)') }),
        },
      ];
    }),
  ) as PublishedLimits['delivery'];
  return {
    version,
    mode: settings.GUARD_MODE,
    inboundPolicy: { value: settings.INBOUND_POLICY, variable: 'INBOUND_POLICY' },
    message: {
      bodyBytes: limit(settings.MAX_CHAT_BODY_BYTES, 'message.body.bytes', 'MAX_CHAT_BODY_BYTES', 'bytes (UTF-8)'),
      attributesBytes: limit(settings.MAX_MESSAGE_ATTRIBUTES_BYTES, 'message.attributes.bytes', 'MAX_MESSAGE_ATTRIBUTES_BYTES', 'bytes (UTF-8)'),
      chatFileBytes: limit(settings.MAX_CHAT_MEDIA_BYTES, 'message.media.chat-file-size', 'MAX_CHAT_MEDIA_BYTES', 'bytes'),
      emailBytes: limit(settings.MAX_EMAIL_BYTES, 'message.email.bytes', 'MAX_EMAIL_BYTES', 'bytes (body and attachments)'),
    },
    flex: {
      oneAttachmentPerMessage: limit(settings.FLEX_ONE_ATTACHMENT_PER_MESSAGE, 'message.media.flex-one-per-message', 'FLEX_ONE_ATTACHMENT_PER_MESSAGE', 'on or off'),
      noTextWithImage: limit(settings.FLEX_NO_TEXT_WITH_IMAGE, 'message.text-with-image', 'FLEX_NO_TEXT_WITH_IMAGE', 'on or off'),
    },
    attachments: Object.fromEntries(CHANNELS.map((channel) => [channel, media(authorMediaProfile(settings, channel), 'message.media', true)])) as PublishedLimits['attachments'],
    delivery,
    notChecked: NOT_CHECKED,
    settings,
  };
}
