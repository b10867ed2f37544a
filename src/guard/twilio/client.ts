import twilio, { type RequestClient, type Twilio } from 'twilio';
import { GuardRequestClient } from './request-client';
import type { Environment } from '../config/load';

/** Placeholder credentials for an emulator: well-formed, so twilio-node builds its client offline. */
const OFFLINE_ACCOUNT_SID = 'AC00000000000000000000000000000000';
const OFFLINE_AUTH_TOKEN = '00000000000000000000000000000000';

/** A twilio-node client on {@link GuardRequestClient}, sending to `baseUrl` when given. */
export function twilioVia(username: string, password: string, baseUrl?: string, accountSid?: string): Twilio {
  // twilio-node types its httpClient as its own RequestClient class; it only ever calls request().
  return twilio(username, password, { httpClient: new GuardRequestClient(baseUrl) as unknown as RequestClient, ...(accountSid && { accountSid }) });
}

type ContextWithClient = Environment & { getTwilioClient?: () => unknown };

let cached: { key: string; client: Twilio } | undefined;

/**
 * The REST client the rules use, on {@link GuardRequestClient} (deadline-aware, one retry where a
 * repeat is safe): with TWILIO_API_BASE_URL every request goes to that origin (the local emulator),
 * otherwise to Twilio with the context's credentials. Without credentials in the context (a service
 * deployed without them), the runtime's own `context.getTwilioClient()`. Reused across requests of a
 * warm instance.
 */
export function twilioClientFor(context: ContextWithClient, apiBaseUrl: string | undefined): Twilio {
  const given = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const credentials = given(context.ACCOUNT_SID) && given(context.AUTH_TOKEN) ? { sid: given(context.ACCOUNT_SID)!, token: given(context.AUTH_TOKEN)! } : undefined;
  const accountSid = credentials?.sid ?? OFFLINE_ACCOUNT_SID;
  const authToken = credentials?.token ?? OFFLINE_AUTH_TOKEN;
  // The runtime's own client belongs to its context; only clients built here are reused.
  // The runtime types describe twilio v4's client; the object is the project's installed twilio.
  if (!apiBaseUrl && !credentials) return requireClientFactory(context)() as Twilio;
  const key = `${apiBaseUrl ?? ''}|${accountSid}|${authToken}`;
  if (cached?.key !== key) cached = { key, client: twilioVia(accountSid, authToken, apiBaseUrl) };
  return cached.client;
}

function requireClientFactory(context: ContextWithClient): () => unknown {
  if (typeof context.getTwilioClient !== 'function') {
    throw new Error('context.getTwilioClient is unavailable and TWILIO_API_BASE_URL is not set');
  }
  return context.getTwilioClient.bind(context);
}
