/**
 * What `npm run configure` changes in a Conversations webhook configuration: a pure comparison of
 * what Twilio holds now with what the guard needs, so every outcome can be tested without Twilio.
 */
import { ADD_EVENTS, UPDATE_EVENTS } from '../../src/guard/event/types';

export const PRE_EVENT_PATH = '/conversations/pre-event';
export const POST_EVENT_PATH = '/conversations/post-event';

/**
 * The pre-events the guard judges: adds always; updates (by the field limits of their adds) only
 * with JUDGE_UPDATES=on, because each subscribed event puts a Function execution in that action's path.
 */
export const preEventFilters = (judgeUpdates: boolean): readonly string[] => [...ADD_EVENTS, ...(judgeUpdates ? Object.keys(UPDATE_EVENTS) : [])];

/**
 * The post-events src/guard/post-event.ts acts on. onConversationRemoved is left out: it carries no
 * participants, so the function would be invoked for nothing.
 */
export const POST_EVENT_FILTERS: readonly string[] = ['onParticipantAdded', 'onParticipantRemoved', 'onConversationStateUpdated'];

/** Every event the guard's two URLs are subscribed to. */
export const guardFilters = (judgeUpdates = false): readonly string[] => [...preEventFilters(judgeUpdates), ...POST_EVENT_FILTERS];

/** Account-level webhooks also have a Target; a service's have none. */
export type WebhookLevel = 'account' | 'service';

/** A webhook configuration as Twilio returns it, at either level. */
export interface WebhookSettings {
  preWebhookUrl: string | null;
  postWebhookUrl: string | null;
  method: string | null;
  filters: readonly string[];
  /** Account level only. */
  target?: string | null;
}

/** The fields sent to Twilio: always all of them, so the result does not depend on what was there. */
export interface WebhookUpdate {
  preWebhookUrl: string;
  postWebhookUrl: string;
  method: 'POST';
  filters: string[];
  /** Sent at the account level only. */
  target?: 'webhook';
}

export type WebhookField = 'PreWebhookUrl' | 'PostWebhookUrl' | 'Method' | 'Filters' | 'Target';

export interface PlanRow {
  field: WebhookField;
  /** One line per value; empty when nothing is set. */
  current: string[];
  next: string[];
  changed: boolean;
}

/** A setting someone else made that the plan would overwrite. */
export interface Conflict {
  field: WebhookField;
  current: string;
  next: string;
}

export type WebhookPlan =
  | { kind: 'unchanged'; rows: PlanRow[] }
  | { kind: 'update'; rows: PlanRow[]; update: WebhookUpdate; replaced: Conflict[] }
  | { kind: 'refused'; rows: PlanRow[]; conflicts: Conflict[] };

export interface PlanOptions {
  level: WebhookLevel;
  /**
   * Replace a different PreWebhookUrl, PostWebhookUrl or a `flex` Target.
   * @default false
   */
  force?: boolean;
  /**
   * Subscribe onMessageUpdate, onParticipantUpdate and onConversationUpdate (JUDGE_UPDATES=on).
   * Off, they are taken out of the filters: as pre-events they reach only the guard's URL.
   * @default false
   */
  judgeUpdates?: boolean;
}

/** The guard's URLs under a deployment's base URL, which has no trailing slash. */
export function guardUrls(baseUrl: string): { pre: string; post: string } {
  return { pre: `${baseUrl}${PRE_EVENT_PATH}`, post: `${baseUrl}${POST_EVENT_PATH}` };
}

/**
 * Compares the current configuration with the guard's. The Filters list is shared by whatever the
 * URLs point at, so filters already there are kept and the guard's are appended: a configuration
 * that also subscribes to other events keeps doing so, and the guard answers 200 to events it does
 * not judge.
 */
export function planWebhooks(current: WebhookSettings, baseUrl: string, opts: PlanOptions): WebhookPlan {
  const urls = guardUrls(baseUrl);
  const currentFilters = unique(current.filters);
  const wanted = guardFilters(opts.judgeUpdates ?? false);
  const dropped = opts.judgeUpdates ? [] : Object.keys(UPDATE_EVENTS);
  const kept = currentFilters.filter((f) => !dropped.includes(f));
  const filters = [...kept, ...wanted.filter((f) => !kept.includes(f))];
  const update: WebhookUpdate = {
    preWebhookUrl: urls.pre,
    postWebhookUrl: urls.post,
    method: 'POST',
    filters,
    ...(opts.level === 'account' && { target: 'webhook' as const }),
  };

  const rows: PlanRow[] = [
    urlRow('PreWebhookUrl', current.preWebhookUrl, urls.pre),
    urlRow('PostWebhookUrl', current.postWebhookUrl, urls.post),
    valueRow('Method', current.method, 'POST'),
    { field: 'Filters', current: currentFilters, next: filters, changed: filters.length !== currentFilters.length || filters.some((f) => !currentFilters.includes(f)) },
  ];
  if (opts.level === 'account') rows.push(valueRow('Target', current.target ?? null, 'webhook'));

  const conflicts: Conflict[] = [];
  for (const [field, now, next] of [
    ['PreWebhookUrl', current.preWebhookUrl, urls.pre],
    ['PostWebhookUrl', current.postWebhookUrl, urls.post],
  ] as const) {
    if (isSet(now) && !sameUrl(now, next)) conflicts.push({ field, current: now, next });
  }
  // A flex Target hands the account's Conversations events to Flex; switching it is not a detail.
  if (opts.level === 'account' && current.target === 'flex') conflicts.push({ field: 'Target', current: 'flex', next: 'webhook' });

  if (!rows.some((row) => row.changed)) return { kind: 'unchanged', rows };
  if (conflicts.length > 0 && !opts.force) return { kind: 'refused', rows, conflicts };
  return { kind: 'update', rows, update, replaced: conflicts };
}

function urlRow(field: WebhookField, now: string | null, next: string): PlanRow {
  return { field, current: isSet(now) ? [now] : [], next: [next], changed: !isSet(now) || !sameUrl(now, next) };
}

function valueRow(field: WebhookField, now: string | null, next: string): PlanRow {
  return { field, current: isSet(now) ? [now] : [], next: [next], changed: now?.toUpperCase() !== next.toUpperCase() };
}

const isSet = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/** Equal as URLs: a differently cased host or a default port is the same address. */
export function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a.trim()).href === new URL(b.trim()).href;
  } catch {
    return a.trim() === b.trim();
  }
}
