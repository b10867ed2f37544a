/**
 * Rejections of several kinds sent to two runtime instances that share one emulator, as an operator
 * would meet them: a chat (SDK) author, an inbound SMS and an inbound WhatsApp message (let through,
 * annotated: INBOUND_POLICY=annotate, the default), a REST API author whose identity is an e-mail
 * address, an SMS participant added through the API and a chat identity (an e-mail address too) over
 * its conversations, in
 * two conversations. Used by the page test (tests/browser/status-page.ts) and the /status test
 * (tests/integration/rejection-log.test.ts).
 *
 * Each runtime is its own process (startRuntime without forkProcess: one warm process each), so each
 * keeps its own rejection log and counters, as two deployed instances do.
 */
import type { Emulator } from '../../emulator';
import { decodeBatch } from '../../src/guard/rejection-log/batch';
import { logMapName } from '../../src/guard/rejection-log/buffer';
import type { LogRecord } from '../../src/guard/rejection-log/record';
import { totals } from '../../src/guard/stats/counts';
import { readCounts } from '../../src/guard/stats/recorder';
import { SyncLogStore } from '../../src/guard/store/log-store';
import { CHAT_SERVICE_SID, messageAdd, participantAdd, smsParticipantAdd, type FormFields } from './events';
import { file, mediaField } from './media';
import { PRE_EVENT_PATH, type Runtime } from './runtime';
import { emulatorClient, emulatorStore } from './state-emulator';
import { STATUS_PASSWORD } from './status-client';
import { waitFor } from './wait';

const MiB = 1024 * 1024;

/** The settings both instances run with: small limits, and a flush at each decision. */
export const SCENARIO_SETTINGS: Readonly<Record<string, string>> = {
  STATUS_PASSWORD,
  MAX_CHAT_BODY_BYTES: '10',
  MAX_NON_CHAT_PARTICIPANTS: '1',
  MAX_CONVERSATIONS_PER_IDENTITY: '1',
  // Every decision finds its flush due, so nothing waits for a timer.
  STATUS_FLUSH_INTERVAL: '1ms',
};

/** The phone numbers and e-mail addresses the scenario sends: none may be kept unmasked under REJECTION_LOG=masked. */
export const CONTACTS = {
  smsAuthor: '+15551230001',
  whatsappAuthor: 'whatsapp:+15551230002',
  apiAuthor: 'agent.smith@example.com',
  chatIdentity: 'maria.lopez@example.com',
  smsParticipant: '+15557654321',
  proxy: '+15559870000',
  whatsappProxy: 'whatsapp:+15559870000',
} as const;

/** Every raw phone number and e-mail address of {@link CONTACTS}, without channel prefixes. */
export const RAW_CONTACTS: readonly string[] = [...new Set(Object.values(CONTACTS).map((value) => value.replace(/^whatsapp:/, '')))];

/** Every way a contact could be written out: as sent, a number's digits alone, an e-mail address's local part. */
const FORBIDDEN = RAW_CONTACTS.flatMap((contact) => (contact.includes('@') ? [contact, contact.split('@')[0]!] : [contact, contact.slice(1)]));

/** The contacts of the scenario that `text` holds unmasked, read as it is and form- or percent-decoded. */
export function contactsIn(text: string): string[] {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // Not percent-encoded: read as it is.
  }
  return FORBIDDEN.filter((contact) => text.includes(contact) || decoded.includes(contact));
}

/** One rejection (or annotation) the scenario sent, as the log should keep it. */
export interface SentRecord {
  /** Which instance decided it: 0 or 1. */
  instance: 0 | 1;
  conversationSid: string;
  event: string;
  outcome: 'reject' | 'annotate';
  rule: string;
  channel: string;
  /** The author or participant as sent. */
  author: string;
  /** As REJECTION_LOG=masked keeps it. */
  masked: string;
}

export interface Scenario {
  /** The two conversations, [A, B]. */
  conversations: [string, string];
  sent: SentRecord[];
  /** How many of `sent` were answered 403 (annotations are answered 200 and not counted as rejections). */
  rejected: number;
}

/** A message posted through the REST API (X-Twilio-Webhook-Enabled): Source API, no ClientIdentity. */
function apiMessage(fields: FormFields): FormFields {
  const { ClientIdentity: _client, ...request } = messageAdd({ Source: 'API', ...fields });
  return request;
}

/**
 * Seeds two conversations (and a third holding the API author's identity), then sends the
 * rejections, alternating between the instances, and checks each answer.
 */
export async function sendRejections(emulator: Emulator, runtimes: readonly [Runtime, Runtime]): Promise<Scenario> {
  const a = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID, friendlyName: 'order 1042' });
  const b = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID, friendlyName: 'order 2077' });
  const other = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID, friendlyName: 'earlier' });
  emulator.seed.participant(a, { identity: 'alice' });
  emulator.seed.participant(a, { identity: 'bob' });
  emulator.seed.participant(a, { address: CONTACTS.smsAuthor, proxyAddress: CONTACTS.proxy });
  emulator.seed.participant(b, { identity: 'alice' });
  emulator.seed.participant(b, { address: CONTACTS.whatsappAuthor, proxyAddress: CONTACTS.whatsappProxy });
  // The API author is a chat participant of B whose identity is an e-mail address: judged as chat.
  emulator.seed.participant(b, { identity: CONTACTS.apiAuthor });
  emulator.seed.participant(other, { identity: CONTACTS.chatIdentity });

  const steps: Array<{ record: SentRecord; request: FormFields; status: 200 | 403 }> = [
    {
      record: { instance: 0, conversationSid: a, event: 'onMessageAdd', outcome: 'reject', rule: 'message.body.bytes', channel: 'web', author: 'alice', masked: 'alice' },
      request: messageAdd({ ConversationSid: a, Body: 'x'.repeat(11) }),
      status: 403,
    },
    {
      record: { instance: 1, conversationSid: a, event: 'onMessageAdd', outcome: 'annotate', rule: 'message.media.file-size', channel: 'sms', author: CONTACTS.smsAuthor, masked: '+1•••••0001' },
      request: messageAdd({ ConversationSid: a, Author: CONTACTS.smsAuthor, Body: 'photo', Media: mediaField([file('jpg', 2 * MiB + 1)]) }, 'sms'),
      status: 200,
    },
    {
      record: { instance: 0, conversationSid: b, event: 'onMessageAdd', outcome: 'reject', rule: 'message.body.bytes', channel: 'web', author: CONTACTS.apiAuthor, masked: 'a•••@example.com' },
      // A backend posting through the REST API (tests/fixtures/twilio-requests/onMessageAdd-web-api-email-identity.json).
      request: apiMessage({ ConversationSid: b, Author: CONTACTS.apiAuthor, Body: 'Your replacement ships today.' }),
      status: 403,
    },
    {
      record: { instance: 1, conversationSid: b, event: 'onMessageAdd', outcome: 'annotate', rule: 'message.media.file-size', channel: 'whatsapp', author: CONTACTS.whatsappAuthor, masked: 'whatsapp:+1•••••0002' },
      request: messageAdd({ ConversationSid: b, Author: CONTACTS.whatsappAuthor, Body: '', Media: mediaField([file('jpg', 16 * MiB + 1)]) }, 'whatsapp'),
      status: 200,
    },
    {
      record: { instance: 1, conversationSid: a, event: 'onParticipantAdd', outcome: 'reject', rule: 'participant.non-chat.count', channel: 'sms', author: CONTACTS.smsParticipant, masked: '+1•••••4321' },
      request: smsParticipantAdd('sms', { ConversationSid: a, 'MessagingBinding.Address': CONTACTS.smsParticipant, 'MessagingBinding.ProxyAddress': CONTACTS.proxy }),
      status: 403,
    },
    {
      record: { instance: 0, conversationSid: b, event: 'onParticipantAdd', outcome: 'reject', rule: 'participant.identity.conversations', channel: 'web', author: CONTACTS.chatIdentity, masked: 'm•••@example.com' },
      request: participantAdd({ ConversationSid: b, Identity: CONTACTS.chatIdentity }),
      status: 403,
    },
    {
      record: { instance: 1, conversationSid: a, event: 'onMessageAdd', outcome: 'reject', rule: 'message.body.bytes', channel: 'web', author: 'bob', masked: 'bob' },
      request: messageAdd({ ConversationSid: a, Author: 'bob', ClientIdentity: 'bob', Body: 'y'.repeat(12) }),
      status: 403,
    },
  ];
  for (const { record, request, status } of steps) {
    const res = await runtimes[record.instance].post(PRE_EVENT_PATH, request);
    const decision = res.logs.find((line) => 'outcome' in line);
    if (res.status !== status) throw new Error(`${record.rule} from ${record.author}: answered ${res.status} ${res.text}, expected ${status}; logged ${JSON.stringify(decision)}`);
    const rules = status === 403 ? [(res.json as { code?: string }).code] : (decision?.rules as string[] | undefined);
    if (!rules?.includes(record.rule)) throw new Error(`${record.rule} from ${record.author}: decided ${JSON.stringify(decision)}`);
  }
  const sent = steps.map((step) => step.record);
  return { conversations: [a, b], sent, rejected: steps.filter((step) => step.status === 403).length };
}

/** Every record the log Maps hold in the emulator, read as the guard reads them, and each item's raw data. */
export async function storedLog(emulator: Emulator, shards = 2): Promise<{ records: LogRecord[]; items: unknown[] }> {
  const store = new SyncLogStore(emulatorClient(emulator), 'default');
  const records: LogRecord[] = [];
  const items: unknown[] = [];
  for (let shard = 0; shard < shards; shard += 1) {
    for (let page = await store.newest(logMapName(shard), 100); page; page = await page.next?.()) {
      for (const item of page.items) {
        items.push(item.data);
        records.push(...decodeBatch(item.data).records);
      }
      if (!page.next) break;
    }
  }
  return { records, items };
}

/** Rejections the counts documents in the emulator hold for the last day. */
export async function storedRejectionCount(emulator: Emulator, shards = 2): Promise<number> {
  const counts = await readCounts(emulatorStore(emulatorClient(emulator)), shards);
  return totals(counts, Date.now()).lastDay.reduce((sum, total) => sum + total.enforced + total.shadow, 0);
}

/**
 * Waits until Sync holds every record and every count the instances decided: each decision flushed
 * at once (STATUS_FLUSH_INTERVAL=1ms), but a flush Sync answered slowly, or a counts write that
 * lost a race to the other instance, waits for the instance's next request. So, until both are
 * there: a plain allowed message to each instance (which flushes whatever waits), then, once no
 * Sync request is open, one read of the Maps and counts documents.
 */
export async function waitUntilFlushed(emulator: Emulator, runtimes: readonly Runtime[], expected: { records: number; rejections: number }, conversationSid: string): Promise<void> {
  for (let round = 1; ; round += 1) {
    await waitFor(() => emulator.log.every((entry) => entry.status !== 0), { what: 'no Sync request open' });
    const [{ records }, rejections] = await Promise.all([storedLog(emulator), storedRejectionCount(emulator)]);
    if (records.length === expected.records && rejections === expected.rejections) return;
    if (records.length > expected.records || rejections > expected.rejections || round > 20) {
      throw new Error(`Sync holds ${records.length} log records and ${rejections} counted rejections after ${round} rounds; expected ${expected.records} and ${expected.rejections}`);
    }
    for (const runtime of runtimes) {
      const res = await runtime.post(PRE_EVENT_PATH, messageAdd({ ConversationSid: conversationSid, Body: 'ok' }));
      if (res.status !== 200) throw new Error(`an allowed message was answered ${res.status} ${res.text}`);
    }
  }
}
