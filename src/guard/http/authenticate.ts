import type { Environment } from '../config/load';
import { readOne } from '../config/read-one';
import type { RawEvent } from '../event/parse';
import { unauthorized, type Answer } from './answer';
import { calledUrl, verifySignature } from './signature';

/**
 * Whether Twilio's Functions gateway ran before this code: deployed, the runtime gives every function
 * its service's SID (ZS…), and the gateway has already refused any `.protected` request whose
 * X-Twilio-Signature did not match. The local runtime leaves SERVICE_SID unset (behind a getter
 * that warns, which is why the property is read without calling it).
 */
export function behindTwilioGateway(env: Environment): boolean {
  const own = Object.getOwnPropertyDescriptor(env, 'SERVICE_SID');
  return own !== undefined && 'value' in own && typeof own.value === 'string' && /^ZS[0-9a-f]{32}$/i.test(own.value);
}

/**
 * `gateway` when Twilio's gateway already checked the signature (deployed); `valid`; `off` when SIGNATURE_CHECK=off; `refused` with the 401 to answer; `unconfigured` when no
 * AUTH_TOKEN is available to check with: the guard's own fault, not the caller's, so the caller
 * answers per FAIL_MODE rather than refusing every action Twilio sends.
 */
export type Authentication =
  | { kind: 'valid' | 'off' | 'gateway' }
  | { kind: 'refused'; answer: Answer; reason: string }
  | { kind: 'unconfigured'; reason: string };

export function authenticate({ event, env, path }: { event: RawEvent; env: Environment; path: string }): Authentication {
  if (behindTwilioGateway(env)) return { kind: 'gateway' };
  if (readOne(env, 'SIGNATURE_CHECK') === 'off') return { kind: 'off' };
  const headers = (event.request as { headers?: Record<string, unknown> } | undefined)?.headers ?? {};
  const base = readOne(env, 'WEBHOOK_BASE_URL');
  const url = calledUrl(path, env.DOMAIN_NAME as string | undefined, typeof base === 'string' ? base : undefined);
  const verdict = verifySignature(env.AUTH_TOKEN as string | undefined, headers['x-twilio-signature'], url, event);
  switch (verdict) {
    case 'valid':
      return { kind: 'valid' };
    case 'no-auth-token':
      return { kind: 'unconfigured', reason: 'AUTH_TOKEN is not set, so X-Twilio-Signature cannot be checked: set AUTH_TOKEN (deployed: include the account credentials in the environment), or SIGNATURE_CHECK=off' };
    case 'missing':
      return { kind: 'refused', reason: verdict, answer: unauthorized('The request has no X-Twilio-Signature header.') };
    case 'invalid':
      return { kind: 'refused', reason: verdict, answer: unauthorized(`The X-Twilio-Signature does not match this request to ${url}.`) };
  }
}

