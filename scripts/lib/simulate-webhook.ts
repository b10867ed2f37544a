import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';

export interface Decision {
  status: number;
  /** `accepted` (200), `rejected` (403), or `HTTP <status>` for anything else. */
  decision: string;
  /** The rejection code (rule id); empty when accepted. */
  rule: string;
  /** The guard's reason text; empty when accepted. */
  reason: string;
  ms: number;
}

export interface WebhookTarget {
  /** Where requests go, e.g. http://127.0.0.1:3000. */
  origin: string;
  /** The origin Twilio would have called, which the signature covers (http://localhost:<port> locally). */
  signedOrigin: string;
  authToken: string;
}

export const PRE_EVENT_PATH = '/conversations/pre-event';

/** Posts one pre-event webhook as Twilio does: form-encoded, with X-Twilio-Signature over the URL and parameters. */
export async function postPreEvent(target: WebhookTarget, params: Record<string, string>): Promise<Decision> {
  const signature = getExpectedTwilioSignature(target.authToken, `${target.signedOrigin}${PRE_EVENT_PATH}`, params);
  const started = performance.now();
  const response = await fetch(`${target.origin}${PRE_EVENT_PATH}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature, 'User-Agent': 'TwilioProxy/1.1' },
    body: new URLSearchParams(params),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { message: text };
  }
  const decision = response.status === 200 ? 'accepted' : response.status === 403 ? 'rejected' : `HTTP ${response.status}`;
  return { status: response.status, decision, rule: typeof body.code === 'string' ? body.code : '', reason: typeof body.message === 'string' ? body.message : '', ms };
}
