import { invalidParameter, notFound } from './errors';
import { CONVERSATIONS_BASE_URL, isSid } from './ids';
import type { ApiRequest, ApiResponse, Router } from './router';

/**
 * Conversations webhook configuration: the account-level one (`/v1/Configuration/Webhooks`, which
 * also has a `Target`) and one per service (`/v1/Services/{IS…}/Configuration/Webhooks`). Each has a
 * single `Filters` list shared by the pre-event and the post-event URL.
 */
export interface WebhookConfig {
  preWebhookUrl: string | null;
  postWebhookUrl: string | null;
  method: 'GET' | 'POST';
  filters: string[];
  target: 'webhook' | 'flex';
}

/** Every event name Twilio lists for either resource's `Filters`. */
const EVENTS: ReadonlySet<string> = new Set(
  ['Message', 'Conversation', 'Participant'].flatMap((noun) => ['Add', 'Added', 'Update', 'Updated', 'Remove', 'Removed'].map((verb) => `on${noun}${verb}`))
    .concat(['onConversationStateUpdated', 'onDeliveryUpdated', 'onUserAdded', 'onUserUpdate', 'onUserUpdated']),
);

/** What an account or service that was never configured answers. */
const unconfigured = (): WebhookConfig => ({ preWebhookUrl: null, postWebhookUrl: null, method: 'POST', filters: [], target: 'webhook' });

export class WebhookConfigStore {
  private readonly accounts = new Map<string, WebhookConfig>();
  private readonly services = new Map<string, WebhookConfig>();

  reset(): void {
    this.accounts.clear();
    this.services.clear();
  }

  forAccount(accountSid: string): WebhookConfig {
    return getOrCreate(this.accounts, accountSid);
  }

  forService(serviceSid: string): WebhookConfig {
    return getOrCreate(this.services, serviceSid);
  }
}

function getOrCreate(map: Map<string, WebhookConfig>, key: string): WebhookConfig {
  let config = map.get(key);
  if (!config) {
    config = unconfigured();
    map.set(key, config);
  }
  return config;
}

/**
 * Applies the form fields that were sent; absent fields keep their value and an empty URL clears it.
 * Everything is checked before anything changes, so a refused update leaves the configuration whole.
 */
function applyUpdate(config: WebhookConfig, req: ApiRequest, withTarget: boolean): void {
  const next = { ...config };
  for (const [field, key] of [['PreWebhookUrl', 'preWebhookUrl'], ['PostWebhookUrl', 'postWebhookUrl']] as const) {
    const value = req.form[field];
    if (value === undefined) continue;
    if (value !== '' && !isAbsoluteUrl(value)) throw invalidParameter(`${field} must be an absolute URL: ${value}`);
    next[key] = value === '' ? null : value;
  }
  const method = req.form.Method;
  if (method !== undefined) {
    const upper = method.toUpperCase();
    if (upper !== 'GET' && upper !== 'POST') throw invalidParameter(`Invalid Method: ${method}. Must be one of GET, POST`);
    next.method = upper;
  }
  const filters = req.formAll('Filters');
  if (filters.length > 0) {
    const unknown = filters.find((f) => !EVENTS.has(f));
    if (unknown !== undefined) throw invalidParameter(`Invalid Filters value: ${unknown}`);
    next.filters = [...new Set(filters)];
  }
  const target = req.form.Target;
  if (withTarget && target !== undefined) {
    if (target !== 'webhook' && target !== 'flex') throw invalidParameter(`Invalid Target: ${target}. Must be one of webhook, flex`);
    next.target = target;
  }
  Object.assign(config, next);
}

function isAbsoluteUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

function accountJson(config: WebhookConfig, accountSid: string) {
  return {
    account_sid: accountSid,
    pre_webhook_url: config.preWebhookUrl,
    post_webhook_url: config.postWebhookUrl,
    method: config.method,
    filters: config.filters,
    target: config.target,
    url: `${CONVERSATIONS_BASE_URL}/Configuration/Webhooks`,
  };
}

function serviceJson(config: WebhookConfig, accountSid: string, serviceSid: string) {
  return {
    account_sid: accountSid,
    chat_service_sid: serviceSid,
    pre_webhook_url: config.preWebhookUrl,
    post_webhook_url: config.postWebhookUrl,
    filters: config.filters,
    method: config.method,
    url: `${CONVERSATIONS_BASE_URL}/Services/${serviceSid}/Configuration/Webhooks`,
  };
}

/**
 * Services are implicit in the emulator, as for Conversations: any well-formed `IS…` sid names one.
 * Anything else is an unknown service.
 */
function serviceSidOf(raw: string | undefined): string {
  if (raw === undefined || !isSid('IS', raw)) throw notFound(`Service ${raw ?? ''}`);
  return raw;
}

const ok = (body: unknown): ApiResponse => ({ status: 200, body });

/** Adds the webhook configuration routes to the Conversations router. */
export function addWebhookConfigRoutes(router: Router, store: WebhookConfigStore): Router {
  return router
    .add('GET', 'Configuration/Webhooks', (req) => ok(accountJson(store.forAccount(req.accountSid), req.accountSid)))
    .add('POST', 'Configuration/Webhooks', (req) => {
      const config = store.forAccount(req.accountSid);
      applyUpdate(config, req, true);
      return ok(accountJson(config, req.accountSid));
    })
    .add('GET', 'Services/:service/Configuration/Webhooks', (req, params) => {
      const sid = serviceSidOf(params.service);
      return ok(serviceJson(store.forService(sid), req.accountSid, sid));
    })
    .add('POST', 'Services/:service/Configuration/Webhooks', (req, params) => {
      const sid = serviceSidOf(params.service);
      const config = store.forService(sid);
      applyUpdate(config, req, false);
      return ok(serviceJson(config, req.accountSid, sid));
    });
}
