import type { Environment } from '../config/load';
import { readOne } from '../config/read-one';
import type { RawEvent } from '../event/parse';
import { unauthorized, type Answer } from './answer';
import { calledUrl, verifySignature } from './signature';

/** `checked: false` when SIGNATURE_CHECK=off; an answer when the request must be refused. */
export type Authentication = { checked: boolean; answer?: undefined; reason?: undefined } | { checked: true; answer: Answer; reason: string };

export function authenticate({ event, env, path }: { event: RawEvent; env: Environment; path: string }): Authentication {
  if (readOne(env, 'SIGNATURE_CHECK') === 'off') return { checked: false };
  const headers = (event.request as { headers?: Record<string, unknown> } | undefined)?.headers ?? {};
  const base = readOne(env, 'WEBHOOK_BASE_URL');
  const url = calledUrl(path, env.DOMAIN_NAME as string | undefined, typeof base === 'string' ? base : undefined);
  const verdict = verifySignature(env.AUTH_TOKEN as string | undefined, headers['x-twilio-signature'], url, event);
  switch (verdict) {
    case 'valid':
      return { checked: true };
    case 'no-auth-token':
      return { checked: true, reason: verdict, answer: unauthorized('AUTH_TOKEN is not set, so the X-Twilio-Signature cannot be checked; set AUTH_TOKEN, or SIGNATURE_CHECK=off to run without the check.') };
    case 'missing':
      return { checked: true, reason: verdict, answer: unauthorized('The request has no X-Twilio-Signature header.') };
    case 'invalid':
      return { checked: true, reason: verdict, answer: unauthorized(`The X-Twilio-Signature does not match this request to ${url}.`) };
  }
}

