import { handlePostEvent } from '../src/guard/post-event';
import { SyncDocumentStore } from '../src/guard/store/sync-document-store';
import { twilioClientFor } from '../src/guard/twilio/client';
import type { EmulatorProcess } from './emulator-process';

export const SERVICE = 'IS00000000000000000000000000000001';

/** A conversation with `chat` chat participants and `sms` SMS participants. */
export async function seedConversation(emulator: EmulatorProcess, chat: number, sms: number): Promise<string> {
  const [sid] = await emulator.conversations([{ serviceSid: SERVICE }]);
  const people = [
    ...Array.from({ length: chat }, (_, i) => ({ identity: `member-${i}` })),
    ...Array.from({ length: sms }, (_, i) => ({ address: `+1555${String(i).padStart(7, '0')}`, proxyAddress: '+15550000000' })),
  ];
  for (let i = 0; i < people.length; i += 200) await emulator.participants(sid!, people.slice(i, i + 200));
  return sid!;
}

/**
 * What follows Twilio adding an SMS participant to the conversation: its onParticipantAdded, answered by
 * the post-event function, which keeps the page index of the conversation's participant list.
 */
export async function participantAdded(emulator: EmulatorProcess, conversationSid: string): Promise<void> {
  const env = { TWILIO_API_BASE_URL: emulator.url, SIGNATURE_CHECK: 'off' };
  const client = twilioClientFor(env, emulator.url);
  const event = { EventType: 'onParticipantAdded', ConversationSid: conversationSid, ChatServiceSid: SERVICE, ParticipantSid: `MB${'0'.repeat(32)}`, 'MessagingBinding.Address': '+15550009999' };
  await handlePostEvent({ event, env, path: '/conversations/post-event' }, { log: () => undefined, client: () => client, store: () => new SyncDocumentStore(client, 'default') });
}

/** An identity already in `count` active conversations of the service. */
export async function seedIdentity(emulator: EmulatorProcess, identity: string, count: number): Promise<void> {
  const sids = await emulator.conversations(Array.from({ length: count }, () => ({ serviceSid: SERVICE })));
  await Promise.all(sids.map((sid) => emulator.participants(sid, [{ identity }])));
}

export const message = (conversationSid: string, extra: Record<string, string> = {}) => ({
  EventType: 'onMessageAdd',
  ChatServiceSid: SERVICE,
  ConversationSid: conversationSid,
  Author: 'member-0',
  Source: 'SDK',
  Body: 'Hello there',
  Attributes: '{}',
  ...extra,
});

export const photo = JSON.stringify([{ Sid: 'ME00000000000000000000000000000001', Filename: 'photo.jpg', ContentType: 'image/jpeg', Size: 400000 }]);

export const participant = (conversationSid: string, identity: string) => ({
  EventType: 'onParticipantAdd',
  ChatServiceSid: SERVICE,
  ConversationSid: conversationSid,
  Identity: identity,
  Attributes: '{}',
  Source: 'SDK',
});

export const conversation = (n: number) => ({
  EventType: 'onConversationAdd',
  ChatServiceSid: SERVICE,
  FriendlyName: `Bench ${n}`,
  UniqueName: `bench-${n}`,
  Attributes: '{}',
  Source: 'API',
});
