/**
 * Helpers for the tests of the guard's remote state (participants, identity tallies): a twilio-node
 * client wired to the emulator the way the guard wires its own, seeding shortcuts, and readers of the
 * emulator's request log.
 */
import type { Twilio } from 'twilio';
import { DEFAULT_CONVERSATIONS_SERVICE_SID, type Emulator, type RequestLogEntry, type SeedParticipant } from '../../emulator';
import { parseSettings } from '../../src/guard/config/load';
import type { Settings, VariableName } from '../../src/guard/config/variables';
import type { TallyData } from '../../src/guard/facts/identity-tally';
import { syncName } from '../../src/guard/store/names';
import { SyncDocumentStore } from '../../src/guard/store/sync-document-store';
import { twilioVia } from '../../src/guard/twilio/client';
import { ACCOUNT_SID } from './events';
import { AUTH_TOKEN } from './twilio-request';

/** A twilio-node client whose requests go to the emulator, through the guard's own redirect. */
export function emulatorClient(emulator: Pick<Emulator, 'url'>): Twilio {
  return twilioVia(ACCOUNT_SID, AUTH_TOKEN, emulator.url);
}

/** The Sync store the guard uses, on the emulator's default Sync service. */
export function emulatorStore(client: Twilio, syncServiceSid = 'default'): SyncDocumentStore {
  return new SyncDocumentStore(client, syncServiceSid);
}

/**
 * Settings for the remote rules with every rate rule off, so a test sees only the Conversations
 * requests and identity-tally documents it is about.
 */
export function remoteSettings(overrides: Partial<Record<VariableName, string>> = {}): Settings {
  return parseSettings({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: 'off', RATE_LIMIT_CONVERSATIONS_PER_SERVICE: 'off', RATE_LIMIT_MESSAGES_PER_AUTHOR: 'off', ...overrides });
}

/** The env of a runtime talking to the emulator, rate rules off unless `overrides` turn them on. */
export function runtimeEnv(emulator: Pick<Emulator, 'url'>, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ACCOUNT_SID,
    AUTH_TOKEN,
    TWILIO_API_BASE_URL: emulator.url,
    RATE_LIMIT_ACTIONS_PER_CONVERSATION: 'off',
    RATE_LIMIT_CONVERSATIONS_PER_SERVICE: 'off',
    RATE_LIMIT_MESSAGES_PER_AUTHOR: 'off',
    ...overrides,
  };
}

/** The Sync document name of an identity's tally, as the guard names it. */
export const tallyName = (identity: string, chatServiceSid?: string) => syncName('identity', chatServiceSid || 'default', identity);

/** The Sync Map name of an identity's join ledger, as the guard names it. */
export const ledgerName = (identity: string, chatServiceSid?: string) => syncName('joins', chatServiceSid || 'default', identity);

/** The conversation keys in an identity's join ledger (none when it has no ledger). */
export const readLedger = async (store: SyncDocumentStore, identity: string, chatServiceSid?: string): Promise<string[]> => (await store.keySets.entries(ledgerName(identity, chatServiceSid))).map((e) => e.key);

/** Creates an identity's (empty) join ledger, as an earlier join would have. */
export async function createLedger(client: Twilio, identity: string, chatServiceSid?: string, syncServiceSid = 'default'): Promise<void> {
  await client.sync.v1.services(syncServiceSid).syncMaps.create({ uniqueName: ledgerName(identity, chatServiceSid) });
}

/** The service the guard keys a tally by when the webhook names none: the conversation's, the default one. */
export const RESOLVED_DEFAULT_SERVICE = DEFAULT_CONVERSATIONS_SERVICE_SID;

/** The stored tally of an identity, or undefined when there is none. */
export async function readTally(store: SyncDocumentStore, identity: string, chatServiceSid?: string): Promise<TallyData | undefined> {
  return (await store.get<TallyData>(tallyName(identity, chatServiceSid)))?.data;
}

/** Writes (creates or overwrites) a tally document, e.g. a stale, malformed or drifted one. */
export async function writeTally(store: SyncDocumentStore, identity: string, data: unknown, chatServiceSid?: string): Promise<void> {
  const name = tallyName(identity, chatServiceSid);
  const current = await store.get(name);
  const result = current ? await store.replace(name, data, current.revision) : await store.create(name, data);
  if (typeof result !== 'object') throw new Error(`could not write tally ${name}: ${result}`);
}

/** `n` conversations (in `serviceSid`, default service when absent) with `identity` in each. */
export function seedIdentityConversations(emulator: Emulator, identity: string, n: number, opts: { serviceSid?: string; state?: 'active' | 'inactive' | 'closed' } = {}): string[] {
  return Array.from({ length: n }, () => {
    const sid = emulator.seed.conversation({ serviceSid: opts.serviceSid, state: opts.state });
    emulator.seed.participant(sid, { identity });
    return sid;
  });
}

let phone = 0;
/** A fresh E.164 number, so seeded messaging participants never collide. */
export const freshNumber = () => `+1555${String(++phone).padStart(7, '0')}`;

export interface Members {
  chat?: number;
  /** SMS participants with a proxy address (ordinary SMS). */
  sms?: number;
  whatsapp?: number;
  /** Native Group MMS members: an SMS address without a proxy address. */
  groupMms?: number;
  /** Chat participants speaking through a projected address (Group MMS). */
  projected?: number;
}

let member = 0;
/** Seeds a conversation's participants by kind; returns the participant sids. */
export function seedMembers(emulator: Emulator, conversationSid: string, members: Members): string[] {
  const all: SeedParticipant[] = [
    ...Array.from({ length: members.chat ?? 0 }, () => ({ identity: `member-${++member}` })),
    ...Array.from({ length: members.sms ?? 0 }, () => ({ address: freshNumber(), proxyAddress: '+15559870000' })),
    ...Array.from({ length: members.whatsapp ?? 0 }, () => ({ address: `whatsapp:${freshNumber()}`, proxyAddress: 'whatsapp:+15559870000' })),
    ...Array.from({ length: members.groupMms ?? 0 }, () => ({ address: freshNumber() })),
    ...Array.from({ length: members.projected ?? 0 }, () => ({ identity: `mms-member-${++member}`, projectedAddress: '+15559870001' })),
  ];
  return all.map((p) => emulator.seed.participant(conversationSid, p));
}

/** The Conversations API requests the emulator received (control requests excluded). */
export const conversationsRequests = (emulator: Pick<Emulator, 'log'>): RequestLogEntry[] => emulator.log.filter((e) => e.product === 'conversations');

/** The Sync API requests the emulator received. */
export const syncRequests = (emulator: Pick<Emulator, 'log'>): RequestLogEntry[] => emulator.log.filter((e) => e.product === 'sync');
