/** What Twilio puts on a webhook request: the form body and the X-Twilio-Signature over it. */
import { createHmac } from 'node:crypto';

/**
 * X-Twilio-Signature as Twilio documents it: base64(HMAC-SHA1(auth token, the full URL followed by
 * each POST parameter's name and value, sorted by name)). Written out here rather than borrowed from
 * twilio-node, so the guard's check is tested against the documented algorithm.
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** The form body Twilio posts: application/x-www-form-urlencoded. */
export function formBody(params: Readonly<Record<string, string>>): string {
  return new URLSearchParams(Object.entries(params)).toString();
}

/** A signature made with the wrong auth token, the shape of a real one. */
export function forgedSignature(url: string, params: Readonly<Record<string, string>>): string {
  return twilioSignature('f'.repeat(32), url, params);
}

export const AUTH_TOKEN = '0123456789abcdef'.repeat(2);
