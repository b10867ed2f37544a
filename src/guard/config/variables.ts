import { CHANNELS, type Channel } from '../limits/channels';
import {
  baseUrl,
  boundedDuration,
  duration,
  extensionList,
  flag,
  rateRuleList,
  rateWindow,
  boundedWholeNumber,
  oneOf,
  password,
  optionalCap,
  text,
  wholeNumber,
  type Parser,
} from './parsers';
import { SOURCES } from './sources';

/** One environment variable: its parser, its default (as it would be written in .env) and why. */
export interface Variable<T> {
  parser: Parser<T>;
  default: string;
  description: string;
  source?: string;
  group: 'guard' | 'message' | 'participant' | 'conversation' | 'attachments' | 'fan-out' | 'rate' | 'status';
}

function variable<T>(parser: Parser<T>, spec: Omit<Variable<T>, 'parser'>): Variable<T> {
  return { parser, ...spec };
}

const MiB = 1024 * 1024;

/** The Flex attachment table: files per message, bytes per file, bytes per message, extensions. */
const FLEX_ATTACHMENTS: Record<Channel, [number, number, number, string]> = {
  web: [1, 16 * MiB, 64 * MiB, 'jpg,jpeg,png,amr,mp3,mp4,pdf,heic,txt,gif'],
  sms: [1, 2 * MiB, 5 * MiB, 'jpg,jpeg,png,amr,mp3,mp4,pdf,heic'],
  whatsapp: [1, 16 * MiB, 64 * MiB, 'jpg,jpeg,png,amr,mp3,mp4,pdf,heic,oga'],
  email: [10, 150 * MiB, 150 * MiB, 'jpg,jpeg,png,amr,mp3,mp4,pdf,heic,txt,gif'],
  messenger: [1, 25 * MiB, 25 * MiB, 'jpg,jpeg,png,mp3,mp4,pdf'],
  gbm: [1, 5 * MiB, 5 * MiB, 'jpg,jpeg,png'],
};

type AttachmentVariables = {
  [C in Channel as `ATTACHMENTS_${Uppercase<C>}_MAX_FILES`]: Variable<number>;
} & { [C in Channel as `ATTACHMENTS_${Uppercase<C>}_MAX_FILE_BYTES`]: Variable<number> } & {
  [C in Channel as `ATTACHMENTS_${Uppercase<C>}_MAX_TOTAL_BYTES`]: Variable<number>;
} & { [C in Channel as `ATTACHMENTS_${Uppercase<C>}_EXTENSIONS`]: Variable<readonly string[] | '*'> };

function attachmentVariables(): AttachmentVariables {
  const entries = CHANNELS.flatMap((channel) => {
    const [files, fileBytes, totalBytes, extensions] = FLEX_ATTACHMENTS[channel];
    const prefix = `ATTACHMENTS_${channel.toUpperCase()}`;
    const who = channel === 'web' ? 'a chat (SDK) author' : `a ${channel} author`;
    const common = { source: SOURCES.flexLimits, group: 'attachments' as const };
    return [
      [`${prefix}_MAX_FILES`, variable(wholeNumber, { ...common, default: String(files), description: `Files per message from ${who}.` })],
      [`${prefix}_MAX_FILE_BYTES`, variable(wholeNumber, { ...common, default: String(fileBytes), description: `Bytes per file from ${who}.` })],
      [`${prefix}_MAX_TOTAL_BYTES`, variable(wholeNumber, { ...common, default: String(totalBytes), description: `Bytes of all files of one message from ${who}.` })],
      [`${prefix}_EXTENSIONS`, variable(extensionList, { ...common, default: extensions, description: `File extensions (and their content types) accepted from ${who}; * accepts any.` })],
    ] as const;
  });
  return Object.fromEntries(entries) as unknown as AttachmentVariables;
}

/**
 * Every setting the guard reads, with its default. This table is the single place defaults live:
 * configuration loading, `npm run check-config`, `.env.example` and the README table all follow it.
 */
export const VARIABLES = {
  GUARD_MODE: variable(oneOf('enforce', 'shadow'), { group: 'guard', default: 'enforce', description: 'enforce rejects over-limit actions; shadow decides and logs the same way but always allows.' }),
  FAIL_MODE: variable(oneOf('open', 'closed'), { group: 'guard', default: 'open', description: 'Answer when the guard cannot decide (remote facts late or failing, bad configuration, unexpected error): open allows, like Twilio\'s own 5-second timeout; closed rejects.', source: SOURCES.webhooks }),
  DECISION_TIMEOUT: variable(boundedDuration(50, 4500), { group: 'guard', default: '3s', description: 'Deadline for one decision; past it the guard answers per FAIL_MODE. Keep it well under Twilio\'s 5 s webhook timeout. /status reads its counts from Sync within it too.', source: SOURCES.webhooks }),
  INBOUND_POLICY: variable(oneOf('annotate', 'reject', 'ignore'), { group: 'guard', default: 'annotate', description: 'Messages Twilio already accepted from SMS, WhatsApp, email, … (not chat, not the REST API) that break a body or attachment limit: annotate lets them through with the violations in their Attributes; reject drops them; ignore lets them through untouched. Rate rules reject either way.' }),
  JUDGE_UPDATES: variable(oneOf('off', 'on'), { group: 'guard', default: 'off', description: 'on: judge onMessageUpdate, onParticipantUpdate and onConversationUpdate by the field limits of their adds (npm run configure subscribes them). Every subscribed event costs a Function execution.', source: SOURCES.webhooks }),
  SIGNATURE_CHECK: variable(oneOf('on', 'off'), { group: 'guard', default: 'on', description: 'Validate X-Twilio-Signature with AUTH_TOKEN where no Twilio gateway did: locally. Deployed, the .protected functions are checked by Twilio before they run. off disables it and every request logs a warning.' }),
  WEBHOOK_BASE_URL: variable(baseUrl, { group: 'guard', default: '', description: 'Local only, never deployed: the public origin Twilio calls (a tunnel to npm start), used to validate signatures. Unset: the domain the function is served on.' }),
  TWILIO_API_BASE_URL: variable(baseUrl, { group: 'guard', default: '', description: 'Local only, never deployed: send every Twilio REST request to this origin instead (https://sync.twilio.com/v1/… becomes <origin>/sync/v1/…). For the local emulator.' }),
  SYNC_SERVICE_SID: variable(text, { group: 'guard', default: 'default', description: 'Sync service holding counters and tallies (IS… SID, or default).' }),

  MAX_CHAT_BODY_BYTES: variable(wholeNumber, { group: 'message', default: '32768', description: 'Message body, UTF-8 bytes (Twilio: 32 KB inbound and chat).', source: SOURCES.conversationsLimits }),
  MAX_MESSAGE_ATTRIBUTES_BYTES: variable(wholeNumber, { group: 'message', default: '4096', description: 'Message Attributes JSON, UTF-8 bytes.', source: SOURCES.conversationsLimits }),
  MAX_EMAIL_BYTES: variable(wholeNumber, { group: 'message', default: String(20 * MiB), description: 'An email message, body plus attachments, bytes (20 MB).', source: SOURCES.flexEmail }),
  MAX_CHAT_MEDIA_BYTES: variable(wholeNumber, { group: 'message', default: String(150 * MiB), description: 'Any one file between chat participants, bytes (150 MB): the ceiling above the web row of the attachment table.', source: SOURCES.conversationsLimits }),
  FLEX_ONE_ATTACHMENT_PER_MESSAGE: variable(flag, { group: 'message', default: 'false', description: 'Flex rule: at most one file per message, on every channel (email included).', source: SOURCES.flexAttachments }),
  FLEX_NO_TEXT_WITH_IMAGE: variable(flag, { group: 'message', default: 'false', description: 'Flex rule: no body text together with an image.', source: SOURCES.flexLimits }),

  MAX_IDENTITY_CHARS: variable(wholeNumber, { group: 'participant', default: '256', description: 'Participant Identity, characters (UTF-16 code units).', source: SOURCES.conversationsLimits }),
  MAX_ADDRESS_CHARS: variable(wholeNumber, { group: 'participant', default: '256', description: 'MessagingBinding.Address and MessagingBinding.ProxyAddress, characters.', source: SOURCES.conversationsLimits }),
  MAX_PARTICIPANT_ATTRIBUTES_BYTES: variable(wholeNumber, { group: 'participant', default: '4096', description: 'Participant Attributes JSON, UTF-8 bytes.', source: SOURCES.conversationsLimits }),

  MAX_FRIENDLY_NAME_CHARS: variable(wholeNumber, { group: 'conversation', default: '256', description: 'Conversation FriendlyName, characters.', source: SOURCES.conversationsLimits }),
  MAX_UNIQUE_NAME_CHARS: variable(wholeNumber, { group: 'conversation', default: '256', description: 'Conversation UniqueName, characters.', source: SOURCES.conversationsLimits }),
  MAX_CONVERSATION_ATTRIBUTES_BYTES: variable(wholeNumber, { group: 'conversation', default: '16384', description: 'Conversation Attributes JSON, UTF-8 bytes.', source: SOURCES.conversationsLimits }),

  ...attachmentVariables(),

  MAX_PARTICIPANTS: variable(wholeNumber, { group: 'participant', default: '1000', description: 'Participants in one conversation.', source: SOURCES.conversationsLimits }),
  MAX_NON_CHAT_PARTICIPANTS: variable(wholeNumber, { group: 'participant', default: '50', description: 'Non-chat (SMS, WhatsApp, …) participants in one conversation.', source: SOURCES.conversationsLimits }),
  MAX_GROUP_MMS_PARTICIPANTS: variable(wholeNumber, { group: 'participant', default: '10', description: 'Participants in a Group MMS conversation.', source: SOURCES.conversationsLimits }),
  MAX_CONVERSATIONS_PER_IDENTITY: variable(boundedWholeNumber(1, 1400), { group: 'participant', default: '1000', description: 'Active or inactive conversations one chat identity belongs to, per Conversations service; at most 1400, what one Sync tally document (16 KiB) holds.', source: SOURCES.conversationsLimits }),

  MAX_SMS_BODY_CHARS: variable(wholeNumber, { group: 'fan-out', default: '1600', description: 'Body delivered to an SMS participant, characters (UTF-16 code units: an emoji counts 2).', source: SOURCES.conversationsLimits }),
  MAX_WHATSAPP_BODY_CHARS: variable(wholeNumber, { group: 'fan-out', default: '1600', description: 'Body delivered to a WhatsApp participant, characters.', source: SOURCES.conversationsLimits }),
  MAX_SMS_SEGMENTS: variable(optionalCap, { group: 'fan-out', default: 'off', description: 'Cost control: SMS segments per message delivered to SMS participants (GSM-7 160/153, UCS-2 70/67).' }),
  MMS_MAX_FILES: variable(wholeNumber, { group: 'fan-out', default: '10', description: 'Files in a message delivered to SMS participants (MMS).', source: SOURCES.conversationsLimits }),
  MMS_MAX_FILE_BYTES: variable(wholeNumber, { group: 'fan-out', default: String(2 * MiB), description: 'Bytes per file delivered over MMS.', source: SOURCES.conversationsLimits }),
  MMS_MAX_TOTAL_BYTES: variable(wholeNumber, { group: 'fan-out', default: String(5 * MiB), description: 'Bytes of all files of a message delivered over MMS (chat media over 5 MB is not fanned out).', source: SOURCES.conversationsLimits }),
  MMS_EXTENSIONS: variable(extensionList, { group: 'fan-out', default: 'jpg,jpeg,png,mp3,amr,mp4,pdf', description: 'File types chat media may have to reach SMS participants.', source: SOURCES.conversationsLimits }),
  WHATSAPP_MAX_FILES: variable(wholeNumber, { group: 'fan-out', default: '1', description: 'Files in a message delivered to WhatsApp participants.', source: SOURCES.conversationsLimits }),
  WHATSAPP_MAX_FILE_BYTES: variable(wholeNumber, { group: 'fan-out', default: String(16 * MiB), description: 'Bytes per file delivered to WhatsApp.', source: SOURCES.conversationsLimits }),
  IDENTITY_TALLY_EXACT_MARGIN: variable(wholeNumber, { group: 'participant', default: '50', description: 'Within this many of MAX_CONVERSATIONS_PER_IDENTITY, the identity\'s conversations are counted exactly from the REST API instead of the Sync tally.' }),
  IDENTITY_TALLY_MAX_AGE: variable(duration, { group: 'participant', default: '1h', description: 'A Sync tally of an identity\'s conversations not rebuilt from the REST API for this long is rebuilt before it is trusted; the entries of its join ledger live twice as long.' }),

  RATE_LIMIT_ACTIONS_PER_CONVERSATION: variable(rateWindow, { group: 'rate', default: 'off', description: 'Message and participant actions per conversation, <count>/<period> or off. Twilio itself allows 30/1s (429); set a lower rate to refuse floods with a reason.', source: SOURCES.conversationsLimits }),
  RATE_LIMIT_CONVERSATIONS_PER_SERVICE: variable(rateWindow, { group: 'rate', default: 'off', description: 'Conversations created per Conversations service, <count>/<period> or off. Twilio itself allows 30/1s (429).', source: SOURCES.conversationsLimits }),
  RATE_LIMIT_MESSAGES_PER_AUTHOR: variable(rateWindow, { group: 'rate', default: 'off', description: 'Messages per author (identity or address) across conversations, <count>/<period> or off.' }),
  RATE_LIMITS: variable(rateRuleList, { group: 'rate', default: '', description: 'More rate rules, separated by ";": <name>=<count>/<period> per <conversation|service|author|participant> [on <message,participant,conversation>] [from <channel>].', source: SOURCES.flexEmail }),

  WHATSAPP_EXTENSIONS: variable(extensionList, { group: 'fan-out', default: 'jpg,jpeg,png,mp3,amr,mp4,pdf', description: 'File types delivered to WhatsApp.', source: SOURCES.conversationsLimits }),

  STATUS_PASSWORD: variable(password, { group: 'status', default: '', description: 'Password of /status and the status page (HTTP Basic, any user name), at least 16 characters. Unset: both are off.' }),
  STATUS_COUNTERS: variable(oneOf('on', 'off'), { group: 'status', default: 'on', description: 'Count rejections per rule in Sync for /status and the status page. off: nothing is written.' }),
  STATUS_FLUSH_INTERVAL: variable(duration, { group: 'status', default: '10s', description: 'An instance adds its rejection counts and log records to Sync about once per interval (a quiet instance its first three at once); in between they wait in its memory.', source: SOURCES.sync }),
  REJECTION_LOG: variable(oneOf('masked', 'full', 'off'), { group: 'status', default: 'masked', description: 'Keep every decision that is not a plain allow (reject, shadow-reject, annotate, contended, fail-open, fail-closed, malformed) in Sync for /status and npm run rejections: masked keeps phone numbers as +1•••••1234 and e-mail addresses as j•••@example.com; full keeps them; off keeps nothing. Never a message body, attribute values or media URLs.' }),
  REJECTION_LOG_TTL: variable(boundedDuration(60_000, 31_536_000_000, '7d or 12h'), { group: 'status', default: '7d', description: 'How long the rejection log keeps a record (its Sync item\'s TTL, which Sync bounds at 365 days).' }),
  STATUS_SHARDS: variable(boundedWholeNumber(1, 20), { group: 'status', default: '2', description: 'Sync documents the rejection counts, and Sync Maps the rejection log, are spread over, so that flushes from many instances stay under Sync\'s per-object write rate.', source: SOURCES.sync }),
};

export type VariableName = keyof typeof VARIABLES;

/** The parsed value of every variable. */
export type Settings = {
  [K in VariableName]: (typeof VARIABLES)[K] extends Variable<infer T> ? T : never;
};
