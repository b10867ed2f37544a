import twilio, { RequestClient, type Twilio } from 'twilio';
import type { Environment } from '../config/load';

/** Placeholder credentials for an emulator: well-formed, so twilio-node builds its client offline. */
const OFFLINE_ACCOUNT_SID = 'AC00000000000000000000000000000000';
const OFFLINE_AUTH_TOKEN = '00000000000000000000000000000000';

/**
 * Sends every request to `baseUrl` with the product as the first path segment:
 * `https://sync.twilio.com/v1/…` becomes `<baseUrl>/sync/v1/…`. Links Twilio returns (next pages)
 * pass through the same rewrite.
 */
export class RedirectingRequestClient extends RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ keepAlive: true, autoRetry: false });
  }

  override request: RequestClient['request'] = (opts) => super.request({ ...opts, uri: redirect(opts.uri, this.baseUrl) });
}

export function redirect(uri: string, baseUrl: string): string {
  return uri.replace(/^https:\/\/([a-z-]+)\.twilio\.com\//, `${baseUrl}/$1/`);
}

type ContextWithClient = Environment & { getTwilioClient?: () => unknown };

let cached: { key: string; client: Twilio } | undefined;

/**
 * The REST client the rules use. With TWILIO_API_BASE_URL every request goes to that origin (the
 * local emulator); otherwise the runtime's own `context.getTwilioClient()`. Reused across requests
 * of a warm instance so connections stay open.
 */
export function twilioClientFor(context: ContextWithClient, apiBaseUrl: string | undefined): Twilio {
  const accountSid = typeof context.ACCOUNT_SID === 'string' && context.ACCOUNT_SID !== '' ? context.ACCOUNT_SID : OFFLINE_ACCOUNT_SID;
  const authToken = typeof context.AUTH_TOKEN === 'string' && context.AUTH_TOKEN !== '' ? context.AUTH_TOKEN : OFFLINE_AUTH_TOKEN;
  const key = `${apiBaseUrl ?? ''}|${accountSid}|${authToken}`;
  if (cached?.key === key) return cached.client;
  const client = apiBaseUrl
    ? twilio(accountSid, authToken, { httpClient: new RedirectingRequestClient(apiBaseUrl) })
    : // The runtime types describe twilio v4's client; the object is the project's installed twilio.
      (requireClientFactory(context)() as Twilio);
  cached = { key, client };
  return client;
}

function requireClientFactory(context: ContextWithClient): () => unknown {
  if (typeof context.getTwilioClient !== 'function') {
    throw new Error('context.getTwilioClient is unavailable and TWILIO_API_BASE_URL is not set');
  }
  return context.getTwilioClient.bind(context);
}
