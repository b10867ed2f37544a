/**
 * Golden defaults: every default the guard ships with, written out here as a literal and compared
 * with what `parseSettings({})` yields. The Twilio numbers were copied from Twilio's pages (the
 * copies in shared/seeds and shared/reference/twilio-facts.md), not from src/guard/config/variables.ts,
 * so a default changed there by mistake fails here. MB and KB are binary, as Twilio's Flex table
 * spells them out in bytes (5 MB = 5242880).
 *
 * A variable whose default comes from a Twilio page (a `source` in VARIABLES) must have a golden
 * value here citing that page; every other variable must have one among the guard's own defaults.
 */
import { parseSettings } from '../../../src/guard/config/load';
import { VARIABLES, type VariableName } from '../../../src/guard/config/variables';

/** The pages, as src/guard/config/sources.ts names them. */
const CONVERSATIONS_LIMITS = 'https://www.twilio.com/docs/conversations/conversations-limits';
const FLEX_LIMITS = 'https://www.twilio.com/docs/flex/developer/conversations/limits';
const FLEX_ATTACHMENTS = 'Twilio docs: Flex "Messaging Attachments" (one file per message)';
const FLEX_EMAIL = 'Twilio docs: "Email in Flex limitations"';
const WEBHOOKS = 'https://www.twilio.com/docs/conversations/conversations-webhooks';
const SYNC_LIMITS = 'https://www.twilio.com/docs/sync/limits';

interface Golden {
  /** The parsed default: a number, a string, a list (extensions, rules) as written in .env, or undefined for off. */
  value: number | string | boolean | undefined;
  /** The Twilio page the default comes from. */
  page?: string;
  /** What the page says, or why the guard chose this default. */
  says: string;
}

/** Defaults Twilio documents. Every entry cites its page. */
const TWILIO: Record<string, Golden & { page: string }> = {
  // Conversations limits: length limits.
  MAX_CHAT_BODY_BYTES: { value: 32768, page: CONVERSATIONS_LIMITS, says: 'Message Body: inbound 32KB; outbound to chat 32KB' },
  MAX_MESSAGE_ATTRIBUTES_BYTES: { value: 4096, page: CONVERSATIONS_LIMITS, says: 'Conversation Message Attributes: 4KB' },
  MAX_PARTICIPANT_ATTRIBUTES_BYTES: { value: 4096, page: CONVERSATIONS_LIMITS, says: 'Conversation Participant Attributes: 4KB' },
  MAX_CONVERSATION_ATTRIBUTES_BYTES: { value: 16384, page: CONVERSATIONS_LIMITS, says: 'Conversation Attributes: 16KB' },
  MAX_IDENTITY_CHARS: { value: 256, page: CONVERSATIONS_LIMITS, says: 'Conversation Participant Identity: 256 characters' },
  MAX_ADDRESS_CHARS: { value: 256, page: CONVERSATIONS_LIMITS, says: 'MessagingBinding.Address and MessagingBinding.ProxyAddress: 256 characters each' },
  MAX_FRIENDLY_NAME_CHARS: { value: 256, page: CONVERSATIONS_LIMITS, says: 'Conversation FriendlyName: 256 characters' },
  // The page lists FriendlyName, not UniqueName: the guard holds UniqueName to the same 256.
  MAX_UNIQUE_NAME_CHARS: { value: 256, page: CONVERSATIONS_LIMITS, says: 'FriendlyName: 256 characters (UniqueName is not listed; the same length is assumed)' },
  MAX_SMS_BODY_CHARS: { value: 1600, page: CONVERSATIONS_LIMITS, says: 'Message Body outbound, WhatsApp and SMS: 1600 Characters' },
  MAX_WHATSAPP_BODY_CHARS: { value: 1600, page: CONVERSATIONS_LIMITS, says: 'Message Body outbound, WhatsApp and SMS: 1600 Characters' },

  // Conversations limits: counter limits.
  MAX_PARTICIPANTS: { value: 1000, page: CONVERSATIONS_LIMITS, says: 'A Conversation can have up to 1000 Participants' },
  MAX_NON_CHAT_PARTICIPANTS: { value: 50, page: CONVERSATIONS_LIMITS, says: 'including up to 50 non-chat Participants (e.g., SMS and WhatsApp)' },
  MAX_GROUP_MMS_PARTICIPANTS: { value: 10, page: CONVERSATIONS_LIMITS, says: 'Group MMS can have up to 10 Participants' },
  MAX_CONVERSATIONS_PER_IDENTITY: { value: 1000, page: CONVERSATIONS_LIMITS, says: 'A Chat identity can be part of 1000 active or inactive Conversations' },

  // Conversations limits: media limits.
  MAX_CHAT_MEDIA_BYTES: { value: 157286400, page: CONVERSATIONS_LIMITS, says: 'Any media file type of up to 150MB is supported between chat-based participants' },
  MMS_MAX_FILES: { value: 10, page: CONVERSATIONS_LIMITS, says: 'A single MMS message can contain no more than ten media files' },
  MMS_MAX_FILE_BYTES: { value: 2097152, page: CONVERSATIONS_LIMITS, says: 'Any single file cannot exceed 2MB' },
  MMS_MAX_TOTAL_BYTES: { value: 5242880, page: CONVERSATIONS_LIMITS, says: 'the total size of all media within the message cannot exceed 5MB' },
  // jpeg is JPG's other spelling.
  MMS_EXTENSIONS: { value: 'jpg,jpeg,png,mp3,amr,mp4,pdf', page: CONVERSATIONS_LIMITS, says: 'JPG, PNG, MP3, AMR, MP4, and PDF files … will be delivered from Chat participants to SMS' },
  WHATSAPP_MAX_FILES: { value: 1, page: CONVERSATIONS_LIMITS, says: 'A single WhatsApp message may contain one piece of media' },
  WHATSAPP_MAX_FILE_BYTES: { value: 16777216, page: CONVERSATIONS_LIMITS, says: 'of maximum size 16MB' },
  WHATSAPP_EXTENSIONS: { value: 'jpg,jpeg,png,mp3,amr,mp4,pdf', page: CONVERSATIONS_LIMITS, says: 'Supported filetypes include JPG, PNG, MP3, AMR, MP4, and PDF' },

  // Conversations limits: actions per second. Twilio itself enforces its default of 30 APS (per
  // conversation for message and participant actions, per service for conversations) and answers
  // 429: the guard repeating it would only spend Sync writes, so both rules are off by default and
  // stay available for a lower limit of one's own.
  RATE_LIMIT_ACTIONS_PER_CONVERSATION: { value: undefined, page: CONVERSATIONS_LIMITS, says: 'default maximum set at 30 APS, per conversation (enforced by Twilio itself)' },
  RATE_LIMIT_CONVERSATIONS_PER_SERVICE: { value: undefined, page: CONVERSATIONS_LIMITS, says: 'default maximum set at 30 APS, per service (enforced by Twilio itself)' },

  // Flex Conversations "File Attachments and API Limits": the table by address type, in bytes.
  ATTACHMENTS_WEB_MAX_FILES: { value: 1, page: FLEX_LIMITS, says: 'web: 1 attachment' },
  ATTACHMENTS_WEB_MAX_FILE_BYTES: { value: 16777216, page: FLEX_LIMITS, says: 'web: max file size 16777216' },
  ATTACHMENTS_WEB_MAX_TOTAL_BYTES: { value: 67108864, page: FLEX_LIMITS, says: 'web: max total file size 67108864' },
  ATTACHMENTS_WEB_EXTENSIONS: { value: 'jpg,jpeg,png,amr,mp3,mp4,pdf,heic,txt,gif', page: FLEX_LIMITS, says: 'web: "jpg", "jpeg", "png", "amr", "mp3", "mp4", "pdf", "heic", "txt", "gif"' },
  ATTACHMENTS_SMS_MAX_FILES: { value: 1, page: FLEX_LIMITS, says: 'sms: 1 attachment' },
  ATTACHMENTS_SMS_MAX_FILE_BYTES: { value: 2097152, page: FLEX_LIMITS, says: 'sms: max file size 2097152' },
  ATTACHMENTS_SMS_MAX_TOTAL_BYTES: { value: 5242880, page: FLEX_LIMITS, says: 'sms: max total file size 5242880' },
  ATTACHMENTS_SMS_EXTENSIONS: { value: 'jpg,jpeg,png,amr,mp3,mp4,pdf,heic', page: FLEX_LIMITS, says: 'sms: "jpg", "jpeg", "png", "amr", "mp3", "mp4", "pdf", "heic"' },
  ATTACHMENTS_WHATSAPP_MAX_FILES: { value: 1, page: FLEX_LIMITS, says: 'whatsapp: 1 attachment' },
  ATTACHMENTS_WHATSAPP_MAX_FILE_BYTES: { value: 16777216, page: FLEX_LIMITS, says: 'whatsapp: max file size 16777216' },
  ATTACHMENTS_WHATSAPP_MAX_TOTAL_BYTES: { value: 67108864, page: FLEX_LIMITS, says: 'whatsapp: max total file size 67108864' },
  ATTACHMENTS_WHATSAPP_EXTENSIONS: { value: 'jpg,jpeg,png,amr,mp3,mp4,pdf,heic,oga', page: FLEX_LIMITS, says: 'whatsapp: "jpg", "jpeg", "png", "amr", "mp3", "mp4", "pdf", "heic", "oga"' },
  ATTACHMENTS_EMAIL_MAX_FILES: { value: 10, page: FLEX_LIMITS, says: 'email: 10 attachments' },
  ATTACHMENTS_EMAIL_MAX_FILE_BYTES: { value: 157286400, page: FLEX_LIMITS, says: 'email: max file size 157286400' },
  ATTACHMENTS_EMAIL_MAX_TOTAL_BYTES: { value: 157286400, page: FLEX_LIMITS, says: 'email: max total file size 157286400' },
  ATTACHMENTS_EMAIL_EXTENSIONS: { value: 'jpg,jpeg,png,amr,mp3,mp4,pdf,heic,txt,gif', page: FLEX_LIMITS, says: 'email: "jpg", "jpeg", "png", "amr", "mp3", "mp4", "pdf", "heic", "txt", "gif"' },
  ATTACHMENTS_MESSENGER_MAX_FILES: { value: 1, page: FLEX_LIMITS, says: 'messenger (public beta): 1 attachment' },
  ATTACHMENTS_MESSENGER_MAX_FILE_BYTES: { value: 26214400, page: FLEX_LIMITS, says: 'messenger: max file size 26214400' },
  ATTACHMENTS_MESSENGER_MAX_TOTAL_BYTES: { value: 26214400, page: FLEX_LIMITS, says: 'messenger: max total file size 26214400' },
  ATTACHMENTS_MESSENGER_EXTENSIONS: { value: 'jpg,jpeg,png,mp3,mp4,pdf', page: FLEX_LIMITS, says: 'messenger: "jpg", "jpeg", "png", "mp3", "mp4", "pdf"' },
  ATTACHMENTS_GBM_MAX_FILES: { value: 1, page: FLEX_LIMITS, says: 'gbm (public beta): 1 attachment' },
  ATTACHMENTS_GBM_MAX_FILE_BYTES: { value: 5242880, page: FLEX_LIMITS, says: 'gbm: max file size 5242880' },
  ATTACHMENTS_GBM_MAX_TOTAL_BYTES: { value: 5242880, page: FLEX_LIMITS, says: 'gbm: max total file size 5242880' },
  ATTACHMENTS_GBM_EXTENSIONS: { value: 'jpg,jpeg,png', page: FLEX_LIMITS, says: 'gbm: "jpg", "jpeg", "png"' },

  // Flex switches: Twilio states the rule; the guard ships it off, since not every conversation is Flex.
  FLEX_NO_TEXT_WITH_IMAGE: { value: false, page: FLEX_LIMITS, says: 'You cannot send both text and an image in the same message (off unless switched on)' },
  FLEX_ONE_ATTACHMENT_PER_MESSAGE: { value: false, page: FLEX_ATTACHMENTS, says: 'Only a single file attachment can be sent per message (off unless switched on)' },

  // Email in Flex.
  MAX_EMAIL_BYTES: { value: 20971520, page: FLEX_EMAIL, says: 'Email size (inbound and outbound, including attachments): 20MB' },
  // The page's own rates (30 actions/s, 25 inbound emails/s) are examples of rules one may add; none is on by default.
  RATE_LIMITS: { value: '', page: FLEX_EMAIL, says: 'no rule of one\'s own by default' },
};

/** The guard's own choices. Those bounded by a Twilio page cite it. */
const GUARD: Record<string, Golden> = {
  GUARD_MODE: { value: 'enforce', says: 'rejects over-limit actions' },
  FAIL_MODE: { value: 'open', page: WEBHOOKS, says: 'allow when undecided, as Twilio publishes the action unmodified when the webhook does not answer in 5 seconds' },
  DECISION_TIMEOUT: { value: 3000, page: WEBHOOKS, says: '3 s, well under the 5 s Twilio waits for a pre-event webhook' },
  INBOUND_POLICY: { value: 'annotate', says: 'a message Twilio already accepted from a carrier is annotated, not dropped' },
  JUDGE_UPDATES: { value: 'off', page: WEBHOOKS, says: 'update events are not subscribed: each one costs a Function execution' },
  SIGNATURE_CHECK: { value: 'on', says: 'X-Twilio-Signature is checked where no gateway did' },
  WEBHOOK_BASE_URL: { value: undefined, says: 'unset: the domain the function is served on' },
  TWILIO_API_BASE_URL: { value: undefined, says: 'unset: Twilio itself' },
  SYNC_SERVICE_SID: { value: 'default', says: 'the account\'s default Sync service' },
  MAX_SMS_SEGMENTS: { value: undefined, says: 'cost control, off' },
  IDENTITY_TALLY_EXACT_MARGIN: { value: 50, says: 'count exactly within 50 of the cap' },
  IDENTITY_TALLY_MAX_AGE: { value: 3600000, says: 'a tally is rebuilt after an hour' },
  RATE_LIMIT_MESSAGES_PER_AUTHOR: { value: undefined, says: 'off' },
  STATUS_PASSWORD: { value: undefined, says: 'unset: /status and the status page are off' },
  STATUS_COUNTERS: { value: 'on', says: 'rejections are counted' },
  STATUS_FLUSH_INTERVAL: { value: 10000, page: SYNC_LIMITS, says: '10 s, the length of Sync\'s burst window' },
  REJECTION_LOG: { value: 'masked', says: 'decisions are logged with phone numbers and e-mail addresses masked' },
  REJECTION_LOG_TTL: { value: 604800000, says: 'a week: long enough to answer the tickets of a week' },
  STATUS_SHARDS: { value: 2, page: SYNC_LIMITS, says: 'two documents, to stay under Sync\'s 20 writes/s per document' },
};

const defaults = parseSettings({}) as unknown as Record<string, unknown>;

/** A parsed default in the form the golden value is written in: extension lists as the comma-separated text of .env, sorted. */
function comparable(golden: Golden, actual: unknown): unknown {
  if (typeof golden.value === 'string' && golden.value.includes(',')) return Array.isArray(actual) ? [...actual].sort().join(',') : actual;
  if (golden.value === '' && Array.isArray(actual) && actual.length === 0) return '';
  return actual;
}
const expected = (golden: Golden) => (typeof golden.value === 'string' && golden.value.includes(',') ? golden.value.split(',').sort().join(',') : golden.value);

const sourced = (Object.keys(VARIABLES) as VariableName[]).filter((name) => VARIABLES[name].source !== undefined);

describe('defaults documented by Twilio', () => {
  test.each(Object.entries(TWILIO))('%s', (name, golden) => {
    expect(name in VARIABLES).toBe(true);
    expect(comparable(golden, defaults[name])).toEqual(expected(golden));
  });

  test.each(Object.entries(TWILIO))('%s cites the page variables.ts gives as its source', (name, golden) => {
    expect(VARIABLES[name as VariableName]?.source).toBe(golden.page);
  });
});

describe('the guard\'s own defaults', () => {
  test.each(Object.entries(GUARD))('%s', (name, golden) => {
    expect(name in VARIABLES).toBe(true);
    expect(comparable(golden, defaults[name])).toEqual(expected(golden));
  });

  test.each(Object.entries(GUARD).filter(([, golden]) => golden.page !== undefined))('%s cites the page variables.ts gives as its source', (name, golden) => {
    expect(VARIABLES[name as VariableName]?.source).toBe(golden.page);
  });
});

describe('coverage', () => {
  test('the variables with a golden value citing a page are exactly the variables with a source', () => {
    const citing = [...Object.keys(TWILIO), ...Object.entries(GUARD).filter(([, golden]) => golden.page !== undefined).map(([name]) => name)];
    expect(new Set(citing)).toEqual(new Set(sourced));
  });

  test('every variable has a golden value, in one table only', () => {
    const twice = Object.keys(TWILIO).filter((name) => name in GUARD);
    expect(twice).toEqual([]);
    expect(new Set([...Object.keys(TWILIO), ...Object.keys(GUARD)])).toEqual(new Set(Object.keys(VARIABLES)));
  });
});
