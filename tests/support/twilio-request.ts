/** What Twilio puts on a webhook request: the form body and the X-Twilio-Signature over it. */
import { createHmac, randomUUID } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';

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

/** The headers Twilio's webhook requests carry, signed with `signature` when one is given. */
export function webhookHeaders(port: number, body: string, signature?: string): Record<string, string> {
  return {
    Host: `localhost:${port}`,
    'Content-Type': 'application/x-www-form-urlencoded',
    'Content-Length': String(Buffer.byteLength(body)),
    'User-Agent': 'TwilioProxy/1.1',
    Accept: '*/*',
    'I-Twilio-Idempotency-Token': randomUUID(),
    ...(signature !== undefined && { 'X-Twilio-Signature': signature }),
  };
}

export interface FormResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** POSTs a form body to 127.0.0.1:`port` and reads the whole answer. */
export function postForm(port: number, path: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<FormResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
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
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${path} within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}
