/**
 * Simultaneous webhook requests to a running local Functions runtime. `Runtime.post` sends one
 * request at a time (it pairs each response with the log lines printed for it); a rate limit has to
 * be tested with requests that overlap, so these go straight to the runtime's port, signed the way
 * Twilio signs them. They carry no log lines, and once they are sent the runtime's later
 * `post(...).logs` no longer line up with their requests: use them after any test that reads logs.
 */
import type { Runtime } from './runtime';
import { AUTH_TOKEN, formBody, postForm, twilioSignature, webhookHeaders } from './twilio-request';

export interface BurstResponse {
  status: number;
  json: unknown;
}

async function postOnce(runtime: Runtime, path: string, params: Readonly<Record<string, string>>, authToken: string): Promise<BurstResponse> {
  const body = formBody(params);
  const { status, json } = await postForm(runtime.port, path, webhookHeaders(runtime.port, body, twilioSignature(authToken, `${runtime.url}${path}`, params)), body, 30_000);
  return { status, json };
}

/** Posts every request at once and returns the answers in the same order. */
export function postAll(runtime: Runtime, path: string, requests: ReadonlyArray<Readonly<Record<string, string>>>, authToken = AUTH_TOKEN): Promise<BurstResponse[]> {
  return Promise.all(requests.map((params) => postOnce(runtime, path, params, authToken)));
}
