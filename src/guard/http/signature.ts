import { validateRequest } from 'twilio';
import type { RawEvent } from '../event/parse';

/** Fields the Functions runtime adds to `event` that Twilio did not sign. */
const RUNTIME_FIELDS = new Set(['request']);

/** The POST parameters Twilio signed: every form field, without what the runtime added. */
export function signedParams(event: RawEvent): Record<string, unknown> {
  return Object.fromEntries(Object.entries(event).filter(([key]) => !RUNTIME_FIELDS.has(key)));
}

/** Twilio sends only strings (a repeated field arrives as an array of them); anything else is forged. */
const isFormValue = (value: unknown) => typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));

/**
 * The URL Twilio called, which is what it signed: `WEBHOOK_BASE_URL` + path when set (a tunnel or
 * proxy in front of the function), otherwise the domain the function is served on; `http` for
 * localhost, `https` everywhere else.
 */
export function calledUrl(path: string, domainName: string | undefined, webhookBaseUrl: string | undefined): string {
  if (webhookBaseUrl) return webhookBaseUrl + path;
  const domain = domainName ?? 'localhost';
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(domain);
  return `${local ? 'http' : 'https'}://${domain}${path}`;
}

export type SignatureVerdict = 'valid' | 'missing' | 'invalid' | 'no-auth-token';

export function verifySignature(authToken: string | undefined, signature: unknown, url: string, event: RawEvent): SignatureVerdict {
  if (!authToken) return 'no-auth-token';
  if (typeof signature !== 'string' || signature === '') return 'missing';
  const params = signedParams(event);
  if (!Object.values(params).every(isFormValue)) return 'invalid';
  return validateRequest(authToken, signature, url, params) ? 'valid' : 'invalid';
}
