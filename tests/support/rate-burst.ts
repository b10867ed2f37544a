/**
 * Simultaneous webhook requests to a running local Functions runtime. `Runtime.post` sends one
 * request at a time (it pairs each response with the log lines printed for it); a rate limit has to
 * be tested with requests that overlap, so these go straight to the runtime's port, signed the way
 * Twilio signs them. They carry no log lines, and once they are sent the runtime's later
 * `post(...).logs` no longer line up with their requests: use them after any test that reads logs.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { Runtime } from './runtime';
import { AUTH_TOKEN, formBody, twilioSignature } from './twilio-request';

export interface BurstResponse {
  status: number;
  json: unknown;
}

function postOnce(runtime: Runtime, path: string, params: Readonly<Record<string, string>>, authToken: string): Promise<BurstResponse> {
  const body = formBody(params);
  const headers = {
    Host: `localhost:${runtime.port}`,
    'Content-Type': 'application/x-www-form-urlencoded',
    'Content-Length': String(Buffer.byteLength(body)),
    'User-Agent': 'TwilioProxy/1.1',
    'I-Twilio-Idempotency-Token': randomUUID(),
    'X-Twilio-Signature': twilioSignature(authToken, `${runtime.url}${path}`, params),
  };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: runtime.port, path, method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${path} within 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Posts every request at once and returns the answers in the same order. */
export function postAll(runtime: Runtime, path: string, requests: ReadonlyArray<Readonly<Record<string, string>>>, authToken = AUTH_TOKEN): Promise<BurstResponse[]> {
  return Promise.all(requests.map((params) => postOnce(runtime, path, params, authToken)));
}
