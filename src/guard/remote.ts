import type { Twilio } from 'twilio';
import type { Settings } from './config/variables';
import type { MessageAdd, ParticipantAdd, PreEvent } from './event/types';
import { IdentityTally, tallyPolicy } from './facts/identity-tally';
import { listParticipants } from './facts/participants';
import type { RateGate } from './rate/gate';
import { channelsAtRisk, checkFanout } from './rules/fanout';
import { checkMembership } from './rules/membership';
import type { Violation } from './rules/violation';
import type { DocumentStore } from './store/document-store';

export interface RemoteDeps {
  client: () => Twilio;
  store: () => DocumentStore;
  rate: RateGate;
}

/**
 * The rules that need remote state, in two rounds so a decision waits for at most two remote
 * requests in sequence: first every read at once (participants, identity tally, rate counters), then
 * the pure rules, then every write at once (rate counters, identity tally).
 */
export async function judgeRemotely(event: PreEvent, settings: Settings, deps: RemoteDeps): Promise<Violation | undefined> {
  switch (event.type) {
    case 'onMessageAdd':
      return judgeMessage(event, settings, deps);
    case 'onParticipantAdd':
      return judgeParticipant(event, settings, deps);
    case 'onConversationAdd':
      return deps.rate.commit(await deps.rate.reserve(event, settings));
  }
}

async function judgeMessage(event: MessageAdd, settings: Settings, deps: RemoteDeps): Promise<Violation | undefined> {
  // Recipients matter only if the message would break some channel's delivery limits.
  const needsRecipients = channelsAtRisk(event, settings).length > 0;
  const [participants, pending] = await Promise.all([
    needsRecipients ? listParticipants(deps.client(), event.conversationSid, event.chatServiceSid) : undefined,
    deps.rate.reserve(event, settings),
  ]);
  return (participants && checkFanout(event, participants, settings)) ?? (await deps.rate.commit(pending));
}

async function judgeParticipant(event: ParticipantAdd, settings: Settings, deps: RemoteDeps): Promise<Violation | undefined> {
  const client = deps.client();
  const tally = event.identity && event.channel === 'web' ? new IdentityTally(deps.store(), client, event.identity, event.chatServiceSid) : undefined;
  const policy = tallyPolicy(settings);
  const [participants, identity, pending] = await Promise.all([
    listParticipants(client, event.conversationSid, event.chatServiceSid),
    tally?.count(event.conversationSid, policy),
    deps.rate.reserve(event, settings),
  ]);
  const violation = checkMembership(event, participants, settings, identity);
  // A refusal writes nothing, not even a rebuilt tally: the next decision rebuilds it if it must.
  if (violation) return violation;
  const [rateViolation] = await Promise.all([deps.rate.commit(pending), tally?.settle(event.conversationSid)]);
  return rateViolation;
}
