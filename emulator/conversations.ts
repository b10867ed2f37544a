import { TwilioError, invalidParameter, notFound } from './errors';
import { CONVERSATIONS_BASE_URL, DEFAULT_CONVERSATIONS_SERVICE_SID, isSid, isoDate } from './ids';
import { type Conversation, type Message, type Participant, userSid } from './conversations-model';
import type { ConversationsStore } from './conversations-store';
import { bySeq, pageMeta, paginate, parsePageParams } from './paging';
import { Router, type ApiRequest, type ApiResponse, type Params } from './router';

/**
 * A request reaches a conversation either through the default service
 * (`/v1/Conversations/...`) or a named one (`/v1/Services/IS.../Conversations/...`);
 * URLs in the answer follow the form that was used, as Twilio's do.
 */
interface Scope {
  serviceSid: string;
  base: string;
  scoped: boolean;
}

function scopeOf(params: Params): Scope {
  if (params.service === undefined) {
    return { serviceSid: DEFAULT_CONVERSATIONS_SERVICE_SID, base: CONVERSATIONS_BASE_URL, scoped: false };
  }
  if (!isSid('IS', params.service)) throw notFound(`Service ${params.service}`);
  return { serviceSid: params.service, base: `${CONVERSATIONS_BASE_URL}/Services/${params.service}`, scoped: true };
}

const BINDING_PREFIXES = ['whatsapp', 'messenger', 'gbm', 'rcs'];

export function bindingType(address: string): string {
  const prefix = address.split(':', 1)[0]!.toLowerCase();
  if (address.includes(':') && BINDING_PREFIXES.includes(prefix)) return prefix;
  // Flex email participants are bound by their e-mail address.
  return /^[^@\s:]+@[^@\s]+$/.test(address) ? 'email' : 'sms';
}

function messagingBinding(p: Participant): Record<string, string | null> | null {
  if (p.address) {
    return {
      type: bindingType(p.address),
      address: p.address,
      proxy_address: p.proxyAddress,
      projected_address: p.projectedAddress,
    };
  }
  return p.projectedAddress ? { type: 'sms', projected_address: p.projectedAddress } : null;
}

function conversationJson(c: Conversation, scope: Scope) {
  const url = `${scope.base}/Conversations/${c.sid}`;
  return {
    sid: c.sid,
    account_sid: c.accountSid,
    chat_service_sid: c.serviceSid,
    messaging_service_sid: c.messagingServiceSid,
    friendly_name: c.friendlyName,
    unique_name: c.uniqueName,
    attributes: c.attributes,
    date_created: isoDate(c.dateCreated),
    date_updated: isoDate(c.dateUpdated),
    state: c.state,
    timers: {},
    bindings: {},
    url,
    links: {
      participants: `${url}/Participants`,
      messages: `${url}/Messages`,
      webhooks: `${url}/Webhooks`,
      export: `${url}/Export`,
    },
  };
}

function participantJson(p: Participant, scope: Scope) {
  return {
    account_sid: p.accountSid,
    ...(scope.scoped ? { chat_service_sid: p.conversation.serviceSid } : {}),
    conversation_sid: p.conversation.sid,
    sid: p.sid,
    identity: p.identity,
    attributes: p.attributes,
    messaging_binding: messagingBinding(p),
    role_sid: p.roleSid,
    date_created: isoDate(p.dateCreated),
    date_updated: isoDate(p.dateUpdated),
    url: `${scope.base}/Conversations/${p.conversation.sid}/Participants/${p.sid}`,
    last_read_message_index: null,
    last_read_timestamp: null,
  };
}

function participantConversationJson(p: Participant, scope: Scope) {
  const c = p.conversation;
  const binding = messagingBinding(p);
  return {
    account_sid: p.accountSid,
    chat_service_sid: c.serviceSid,
    participant_sid: p.sid,
    participant_user_sid: p.identity ? userSid(c.serviceSid, p.identity) : null,
    participant_identity: p.identity,
    participant_messaging_binding: binding && p.address ? { ...binding, level: null, name: null } : binding,
    conversation_sid: c.sid,
    conversation_unique_name: c.uniqueName,
    conversation_friendly_name: c.friendlyName,
    conversation_attributes: c.attributes,
    conversation_date_created: isoDate(c.dateCreated),
    conversation_date_updated: isoDate(c.dateUpdated),
    conversation_created_by: 'system',
    conversation_state: c.state,
    conversation_timers: {},
    links: {
      participant: `${scope.base}/Conversations/${c.sid}/Participants/${p.sid}`,
      conversation: `${scope.base}/Conversations/${c.sid}`,
    },
  };
}

function messageJson(m: Message, scope: Scope) {
  const url = `${scope.base}/Conversations/${m.conversation.sid}/Messages/${m.sid}`;
  return {
    account_sid: m.accountSid,
    ...(scope.scoped ? { chat_service_sid: m.conversation.serviceSid } : {}),
    conversation_sid: m.conversation.sid,
    sid: m.sid,
    index: m.index,
    author: m.author,
    body: m.body,
    media: m.media.length === 0 ? null : m.media.map((f) => ({ sid: f.sid, size: f.size, content_type: f.contentType, filename: f.filename, category: 'media' })),
    attributes: m.attributes,
    participant_sid: m.participantSid,
    date_created: isoDate(m.dateCreated),
    date_updated: isoDate(m.dateUpdated),
    url,
    delivery: null,
    links: { delivery_receipts: `${url}/Receipts`, channel_metadata: `${url}/ChannelMetadata` },
    content_sid: null,
  };
}

/**
 * `StartDate` and `EndDate` of the Conversations list: any ISO 8601 date or date-time (Twilio asks
 * for `YYYY-MM-DDT00:00:00Z`); a date alone starts at midnight UTC for StartDate and ends at
 * 23:59:59 for EndDate, as Twilio's description says the filter should be written.
 */
function dateFilter(raw: string | undefined, name: string, end: boolean): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const at = Date.parse(dateOnly ? `${raw}T${end ? '23:59:59' : '00:00:00'}Z` : raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(at)) throw invalidParameter(`Invalid ${name}: ${raw}. Must be an ISO 8601 date`);
  return at;
}

/** A date-sorted page cursor: creation time and sequence, newest first. */
const byDateDesc = (c: Conversation, at: string | number): number => {
  const [date, seq] = String(at).split('.').map(Number) as [number, number];
  return date - c.dateCreated || seq - c.seq;
};

const ok = (body: unknown): ApiResponse => ({ status: 200, body });
const created = (body: unknown): ApiResponse => ({ status: 201, body });
const deleted: ApiResponse = { status: 204 };

export function conversationsRouter(store: ConversationsStore): Router {
  const conversation = (scope: Scope, id: string): Conversation => {
    const found = store.findConversation(scope.serviceSid, id);
    if (!found) throw notFound(`Conversation ${id}`);
    return found;
  };
  const participant = (c: Conversation, id: string): Participant => {
    const found = store.findParticipant(c, id);
    if (!found) throw notFound(`Participant ${id}`);
    return found;
  };
  const conversationInput = (req: ApiRequest) => ({
    friendlyName: req.form.FriendlyName,
    uniqueName: req.form.UniqueName,
    attributes: req.form.Attributes,
    state: req.form.State,
    accountSid: req.accountSid,
  });

  const router = new Router();
  for (const prefix of ['', 'Services/:service/']) {
    router
      .add('GET', `${prefix}Conversations`, (req, params) => {
        const scope = scopeOf(params);
        const paging = parsePageParams(req.query, 100);
        const state = req.query.State || undefined;
        const from = dateFilter(req.query.StartDate, 'StartDate', false);
        const to = dateFilter(req.query.EndDate, 'EndDate', true);
        const dated = from !== undefined || to !== undefined;
        const list = store.listConversations(scope.serviceSid, state, dated ? { from, to } : undefined);
        const page = paginate(list, paging, dated ? byDateDesc : bySeq);
        const filters: Array<[string, string]> = [
          ...(req.query.StartDate ? [['StartDate', req.query.StartDate] as [string, string]] : []),
          ...(req.query.EndDate ? [['EndDate', req.query.EndDate] as [string, string]] : []),
          ...(state ? [['State', state] as [string, string]] : []),
        ];
        return ok({
          conversations: page.items.map((c) => conversationJson(c, scope)),
          meta: pageMeta(`${scope.base}/Conversations`, filters, 'conversations', paging, page, (c) => (dated ? `${c.dateCreated}.${c.seq}` : c.seq)),
        });
      })
      .add('POST', `${prefix}Conversations`, (req, params) => {
        const scope = scopeOf(params);
        return created(conversationJson(store.createConversation(scope.serviceSid, conversationInput(req)), scope));
      })
      .add('GET', `${prefix}Conversations/:conversation`, (_req, params) => {
        const scope = scopeOf(params);
        return ok(conversationJson(conversation(scope, params.conversation!), scope));
      })
      .add('POST', `${prefix}Conversations/:conversation`, (req, params) => {
        const scope = scopeOf(params);
        const updated = store.updateConversation(conversation(scope, params.conversation!), conversationInput(req));
        return ok(conversationJson(updated, scope));
      })
      .add('DELETE', `${prefix}Conversations/:conversation`, (_req, params) => {
        store.deleteConversation(conversation(scopeOf(params), params.conversation!));
        return deleted;
      })
      .add('GET', `${prefix}Conversations/:conversation/Participants`, (req, params) => {
        const scope = scopeOf(params);
        const c = conversation(scope, params.conversation!);
        const paging = parsePageParams(req.query, 100);
        const page = paginate([...c.participants.values()], paging, bySeq);
        return ok({
          participants: page.items.map((p) => participantJson(p, scope)),
          meta: pageMeta(`${scope.base}/Conversations/${c.sid}/Participants`, [], 'participants', paging, page, (p) => p.seq),
        });
      })
      .add('POST', `${prefix}Conversations/:conversation/Participants`, (req, params) => {
        const scope = scopeOf(params);
        const added = store.addParticipant(conversation(scope, params.conversation!), {
          identity: req.form.Identity,
          address: req.form['MessagingBinding.Address'],
          proxyAddress: req.form['MessagingBinding.ProxyAddress'],
          projectedAddress: req.form['MessagingBinding.ProjectedAddress'],
          attributes: req.form.Attributes,
          roleSid: req.form.RoleSid,
          accountSid: req.accountSid,
        });
        return created(participantJson(added, scope));
      })
      .add('GET', `${prefix}Conversations/:conversation/Participants/:participant`, (_req, params) => {
        const scope = scopeOf(params);
        return ok(participantJson(participant(conversation(scope, params.conversation!), params.participant!), scope));
      })
      .add('POST', `${prefix}Conversations/:conversation/Participants/:participant`, (req, params) => {
        const scope = scopeOf(params);
        const p = participant(conversation(scope, params.conversation!), params.participant!);
        return ok(participantJson(store.updateParticipant(p, { attributes: req.form.Attributes, roleSid: req.form.RoleSid }), scope));
      })
      .add('DELETE', `${prefix}Conversations/:conversation/Participants/:participant`, (_req, params) => {
        const scope = scopeOf(params);
        store.removeParticipant(participant(conversation(scope, params.conversation!), params.participant!));
        return deleted;
      })
      .add('GET', `${prefix}Conversations/:conversation/Messages`, (req, params) => {
        const scope = scopeOf(params);
        const c = conversation(scope, params.conversation!);
        const order = req.query.Order || 'asc';
        if (order !== 'asc' && order !== 'desc') throw invalidParameter(`Invalid Order: ${order}. Must be one of asc, desc`);
        const paging = parsePageParams(req.query, 100);
        const list = order === 'asc' ? c.messages : [...c.messages].reverse();
        const page = paginate(list, paging, order === 'asc' ? bySeq : (m, at) => Number(at) - m.seq);
        return ok({
          messages: page.items.map((m) => messageJson(m, scope)),
          meta: pageMeta(`${scope.base}/Conversations/${c.sid}/Messages`, [['Order', order]], 'messages', paging, page, (m) => m.seq),
        });
      })
      .add('POST', `${prefix}Conversations/:conversation/Messages`, (req, params) => {
        const scope = scopeOf(params);
        const c = conversation(scope, params.conversation!);
        return created(messageJson(store.addMessage(c, { author: req.form.Author, body: req.form.Body, attributes: req.form.Attributes, accountSid: req.accountSid }), scope));
      })
      .add('GET', `${prefix}Conversations/:conversation/Messages/:message`, (_req, params) => {
        const scope = scopeOf(params);
        const c = conversation(scope, params.conversation!);
        const m = store.findMessage(c, params.message!);
        if (!m) throw notFound(`Message ${params.message}`);
        return ok(messageJson(m, scope));
      })
      .add('DELETE', `${prefix}Conversations/:conversation/Messages/:message`, (_req, params) => {
        const c = conversation(scopeOf(params), params.conversation!);
        const m = store.findMessage(c, params.message!);
        if (!m) throw notFound(`Message ${params.message}`);
        store.removeMessage(m);
        return deleted;
      })
      .add('GET', `${prefix}ParticipantConversations`, (req, params) => {
        const scope = scopeOf(params);
        const identity = req.query.Identity || undefined;
        const address = req.query.Address || undefined;
        if (!identity && !address) throw invalidParameter('Either Identity or Address must be specified');
        if (identity && address) throw new TwilioError(400, 20001, 'Identity and Address cannot both be specified');
        const paging = parsePageParams(req.query, 50);
        const page = paginate(store.participations(scope.serviceSid, { identity, address }), paging, bySeq);
        const filters: Array<[string, string]> = identity ? [['Identity', identity]] : [['Address', address!]];
        return ok({
          conversations: page.items.map((p) => participantConversationJson(p, scope)),
          meta: pageMeta(`${scope.base}/ParticipantConversations`, filters, 'conversations', paging, page, (p) => p.seq),
        });
      });
  }
  return router;
}
