import twilio, { type RequestClient, type Twilio } from 'twilio';
import { settingsFor, type Environment } from './config/load';
import type { RawEvent } from './event/parse';
import { IdentityTally, tallyPolicy } from './facts/identity-tally';
import { conversationService, listParticipants, refreshParticipantPages } from './facts/participants';
import { ALLOW, type Answer } from './http/answer';
import { authenticate } from './http/authenticate';
import type { Logger } from './log';
import { forEachLimited, InFlightLimit } from './concurrency';
import { DeadlineExceededError, withDeadline } from './deadline';
import type { DocumentStore } from './store/document-store';
import type { KeySetStore } from './store/key-set-store';
import type { TwilioRequest, TwilioResponse } from './twilio/request-client';

export interface PostEventDeps {
  log: Logger;
  client: () => Twilio;
  store: () => DocumentStore;
}

/**
 * Twilio waits up to 5 s for any webhook. A post-event answer changes nothing, but a function that
 * never answers holds its instance, so the tally work gets 4 s, REST pages and Sync writes included.
 */
export const POST_EVENT_BUDGET_MS = 4000;

/**
 * Twilio requests the post-event function holds at once, Conversations and Sync together: closing a
 * conversation of 1000 participants, or walking a participant list beside the tally work, must not
 * trip the account's REST concurrency limit (20429) and starve the decisions.
 */
export const MAX_REQUESTS_IN_FLIGHT = 10;

const text = (event: RawEvent, name: string) => (typeof event[name] === 'string' && event[name] !== '' ? (event[name] as string) : undefined);

/**
 * Keeps the identity tallies, and the page indexes of participant lists, current from post-event
 * webhooks. Twilio ignores a post-event answer, and every tally is checked against the REST API when it
 * matters (a page index is only ever a hint), so a failure here is logged and never retried: a lost
 * update costs an exact recount or a listing in sequence later, not a wrong decision.
 */
export async function handlePostEvent(request: { event: RawEvent; env: Environment; path: string }, deps: PostEventDeps): Promise<Answer> {
  const auth = authenticate(request);
  if (auth.kind === 'refused') return auth.answer;
  const { event } = request;
  const eventType = text(event, 'EventType') ?? 'unknown';
  const conversationSid = text(event, 'ConversationSid');
  const serviceSid = text(event, 'ChatServiceSid');
  try {
    if (auth.kind === 'unconfigured') throw new Error(auth.reason);
    const settings = settingsFor(request.env);
    if (!conversationSid) return ALLOW;
    await withDeadline(POST_EVENT_BUDGET_MS, async () => {
      // Every request below, the list's pages and the tallies' alike, shares one bound.
      const inFlight = new InFlightLimit(MAX_REQUESTS_IN_FLIGHT);
      let limited: { client: Twilio; store: DocumentStore } | undefined;
      const client = () => (limited ??= { client: limitedClient(deps.client(), inFlight), store: limitedStore(deps.store(), inFlight) }).client;
      const store = () => (client(), limited!.store);
      let service: Promise<string> | undefined;
      const tally = async (identity: string) => {
        service ??= conversationService(client(), conversationSid, serviceSid);
        return new IdentityTally(store(), client(), identity, await service);
      };
      // A participant added or removed may change the participant list's page URLs: the page index the
      // decisions read is walked and rewritten here, off their path (one request for a conversation of
      // one page, which keeps no index).
      const refreshPages = () => refreshParticipantPages(client(), store(), conversationSid, serviceSid);
      switch (eventType) {
        case 'onParticipantAdded': {
          // Also the moment to rebuild a missing, old or near-limit tally: a post-event has no
          // decision waiting on it, so the next join's pre-event finds a fresh tally.
          const identity = text(event, 'Identity');
          await both(refreshPages(), async () => {
            if (!identity) return;
            const joined = await tally(identity);
            await joined.count(conversationSid, { ...tallyPolicy(settings), rebuildBudgetMs: undefined });
            await joined.settle(conversationSid);
          });
          break;
        }
        case 'onParticipantRemoved': {
          const identity = text(event, 'Identity');
          await both(refreshPages(), async () => {
            if (identity) await (await tally(identity)).forget(conversationSid);
          });
          break;
        }
        case 'onConversationStateUpdated': {
          // Only closing, or reopening, changes what counts: active and inactive both do.
          const closed = text(event, 'StateTo') === 'closed';
          if (!closed && text(event, 'StateFrom') !== 'closed') break;
          const participants = await listParticipants(client(), conversationSid, serviceSid, store);
          const identities = participants.filter((p) => p.channel === 'web' && p.identity).map((p) => p.identity!);
          // Each tally update is a read and a write in sequence: this many are under way at once.
          await forEachLimited(identities, MAX_REQUESTS_IN_FLIGHT, async (id) => {
            const identityTally = await tally(id);
            return closed ? identityTally.forget(conversationSid) : identityTally.record(conversationSid);
          });
          break;
        }
        default:
          // onConversationRemoved carries no participants: their tallies shed it at their next exact count.
          break;
      }
    });
    deps.log({ event: eventType, conversation: conversationSid, outcome: 'recorded' });
  } catch (error) {
    const reason = error instanceof DeadlineExceededError ? `tally update abandoned after ${error.ms} ms` : error instanceof Error ? error.message : String(error);
    deps.log({ event: eventType, conversation: conversationSid, outcome: 'error', error: reason });
  }
  return ALLOW;
}

/** The page index refresh and the tally work side by side: one failing does not stop the other; the tally's error is reported first. */
async function both(pages: Promise<unknown>, tallies: () => Promise<void>): Promise<void> {
  const [first, second] = await Promise.allSettled([pages, tallies()]);
  for (const result of [second, first]) if (result.status === 'rejected') throw result.reason;
}

/**
 * The post-event's view of the REST client: the same credentials, region, edge and HTTP client (the
 * emulator's base URL included), each request waiting for room under `inFlight`.
 */
function limitedClient(client: Twilio, inFlight: InFlightLimit): Twilio {
  const http = client.httpClient as unknown as { request(opts: TwilioRequest): Promise<TwilioResponse> };
  const httpClient = { request: (opts: TwilioRequest) => inFlight.run(() => http.request(opts)) };
  return twilio(client.username, client.password, {
    accountSid: client.accountSid,
    ...(client.region && { region: client.region }),
    ...(client.edge && { edge: client.edge }),
    httpClient: httpClient as unknown as RequestClient,
  });
}

/** A document store whose every request waits for room under `inFlight`. */
function limitedStore(store: DocumentStore, inFlight: InFlightLimit): DocumentStore {
  return {
    get: (name) => inFlight.run(() => store.get(name)),
    create: (name, data, ttlSeconds) => inFlight.run(() => store.create(name, data, ttlSeconds)),
    replace: (name, data, revision, ttlSeconds) => inFlight.run(() => store.replace(name, data, revision, ttlSeconds)),
    ...(store.keySets && { keySets: limitedKeySets(store.keySets, inFlight) }),
  };
}

/** A key set store whose every call waits for room under `inFlight`. */
function limitedKeySets(keySets: KeySetStore, inFlight: InFlightLimit): KeySetStore {
  return {
    entries: (name) => inFlight.run(() => keySets.entries(name)),
    add: (name, key, ttlSeconds, stillWanted) => inFlight.run(() => keySets.add(name, key, ttlSeconds, stillWanted)),
    remove: (name, key) => inFlight.run(() => keySets.remove(name, key)),
  };
}
