import { TwilioError, invalidParameter, notFound } from './errors';
import { CONVERSATIONS_BASE_URL, DEFAULT_CONVERSATIONS_SERVICE_SID, isSid, isoDate } from './ids';
import { type Conversation, type Participant, userSid } from './conversations-model';
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
  return address.includes(':') && BINDING_PREFIXES.includes(prefix) ? prefix : 'sms';
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
        const page = paginate(store.listConversations(scope.serviceSid, state), paging, bySeq);
        const filters: Array<[string, string]> = state ? [['State', state]] : [];
        return ok({
          conversations: page.items.map((c) => conversationJson(c, scope)),
          meta: pageMeta(`${scope.base}/Conversations`, filters, 'conversations', paging, page, (c) => c.seq),
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
