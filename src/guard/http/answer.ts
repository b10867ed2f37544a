import type { Violation } from '../rules/violation';

/** What the function answers, independent of the runtime's Response class. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** Extra response headers, e.g. WWW-Authenticate on a 401 from /status. */
  headers?: Readonly<Record<string, string>>;
}

/** Twilio publishes the action unchanged. */
export const ALLOW: Answer = { status: 200, body: {} };

/** Twilio adds the message with these Attributes (a JSON string), as its pre-event contract allows. */
export function annotated(attributes: string): Answer {
  return { status: 200, body: { attributes } };
}

/** Twilio rejects the action; the body tells the developer why. */
export function reject(violation: Violation): Answer {
  return { status: 403, body: { ...violation } };
}

/** FAIL_MODE=closed: a signed request the guard cannot read is rejected, saying which field. */
export function malformed(field: string, message: string): Answer {
  return { status: 403, body: { code: 'request.malformed', field, message: `The limits guard cannot read this request (${message}) and FAIL_MODE is closed.`, limit: 0, actual: 0 } };
}

export function unauthorized(message: string): Answer {
  return { status: 401, body: { code: 'request.signature', message } };
}

/** FAIL_MODE=closed: reject because the guard could not decide. */
export function unavailable(reason: string): Answer {
  return {
    status: 403,
    body: { code: 'guard.unavailable', message: `The limits guard could not decide (${reason}) and FAIL_MODE is closed.`, limit: 0, actual: 0 },
  };
}
