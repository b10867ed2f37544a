import { ConversationsStore } from './conversations-store';
import { conversationsRouter } from './conversations';
import { invalidParameter, notFound } from './errors';
import { FaultPlan } from './faults';
import { DEFAULT_CONVERSATIONS_SERVICE_SID, isSid } from './ids';
import { SyncRateLimiter } from './rate-limit';
import type { Router } from './router';
import { syncRouter } from './sync';
import { SyncStore } from './sync-store';
import type { Product, RequestLogEntry, SeedConversation, SeedMessage, SeedParticipant } from './types';
import { WebhookConfigStore, addWebhookConfigRoutes } from './webhook-config';

/** Everything one emulator instance holds; shared by the HTTP front end and the in-process API. */
export class EmulatorState {
  private clock: () => number = Date.now;
  /** Every time-dependent behaviour (dates, TTL, rate limits) reads this, so tests can move time. */
  readonly now = (): number => this.clock();
  readonly conversations = new ConversationsStore(this.now);
  readonly sync = new SyncStore(this.now);
  readonly limiter = new SyncRateLimiter(this.now);
  readonly faults = new FaultPlan();
  readonly webhookConfig = new WebhookConfigStore();
  readonly log: RequestLogEntry[] = [];
  /** Product requests being served now, and the most at once since the last reset. */
  readonly inFlight = { now: 0, peak: 0 };
  readonly routers: Record<Product, Router> = {
    conversations: addWebhookConfigRoutes(conversationsRouter(this.conversations), this.webhookConfig),
    sync: syncRouter(this.sync, this.limiter),
  };

  setClock(now: () => number): void {
    this.clock = now;
  }

  reset(): void {
    this.conversations.reset();
    this.sync.reset();
    this.webhookConfig.reset();
    this.limiter.reset();
    this.faults.reset();
    this.log.length = 0;
    this.inFlight.peak = this.inFlight.now;
  }

  seedConversation(opts: SeedConversation): string {
    const serviceSid = opts.serviceSid ?? DEFAULT_CONVERSATIONS_SERVICE_SID;
    if (!isSid('IS', serviceSid)) throw invalidParameter(`Invalid service sid: ${serviceSid}`);
    return this.conversations.createConversation(serviceSid, {
      friendlyName: opts.friendlyName,
      uniqueName: opts.uniqueName,
      state: opts.state,
      attributes: opts.attributes,
      dateCreated: seedDate(opts.dateCreated),
    }).sid;
  }

  seedParticipant(conversationSid: string, p: SeedParticipant): string {
    const conversation = this.conversations.conversationBySid(conversationSid);
    if (!conversation) throw notFound(`Conversation ${conversationSid}`);
    return this.conversations.addParticipant(conversation, {
      identity: p.identity,
      address: p.address,
      proxyAddress: p.proxyAddress,
      projectedAddress: p.projectedAddress,
      attributes: p.attributes,
      dateCreated: seedDate(p.dateCreated),
    }).sid;
  }

  seedMessage(conversationSid: string, m: SeedMessage): string {
    const conversation = this.conversations.conversationBySid(conversationSid);
    if (!conversation) throw notFound(`Conversation ${conversationSid}`);
    const message = this.conversations.addMessage(conversation, { author: m.author, body: m.body, attributes: m.attributes, media: m.media, dateCreated: seedDate(m.dateCreated) });
    if (m.deleted) this.conversations.removeMessage(message);
    return message.sid;
  }
}

/** A seeded date: ISO 8601 or epoch ms. */
function seedDate(date: string | number | undefined): number | undefined {
  if (date === undefined) return undefined;
  const ms = typeof date === 'number' ? date : Date.parse(date);
  if (!Number.isFinite(ms)) throw invalidParameter(`Invalid dateCreated: ${date}`);
  return ms;
}
