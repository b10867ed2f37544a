/**
 * Raw webhook requests for the fuzzing suite: any body, any Content-Type, repeated fields, signed the
 * way Twilio signs what the Functions runtime will hand the function (or forged, garbage, absent),
 * and a check of each answer against the documented answers.
 */
import { parse as parseQueryString } from 'node:querystring';
import { request } from 'node:http';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';

export const POST_EVENT_PATH = '/conversations/post-event';

export type SignatureKind = 'valid' | 'forged' | 'missing' | 'empty' | 'garbage';

export interface RawWebhookRequest {
  /** Function path, optionally with a query string (the runtime merges it into the event). */
  path: string;
  /** undefined: no Content-Type header at all. */
  contentType?: string;
  body: Buffer;
  signature: SignatureKind;
  /**
   * Why the runtime itself may refuse the request before the function runs (a body its parser
   * rejects), or undefined when the function must be the one answering.
   */
  runtimeMayRefuse?: string;
  /**
   * The signature covers exactly what the function receives (a valid signature over a form or a
   * JSON object of strings, no query string, no field the runtime overrides): never refused as unsigned.
   */
  signedExactly?: boolean;
}

export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
  elapsedMs: number;
}

/**
 * The event the Functions runtime builds from a request, as far as the signature is concerned: the
 * query string merged with the parsed body. Used only to sign; a body it cannot mirror simply ends
 * up with a signature that does not match, which is a case worth sending too.
 */
export function signedParamsOf(req: Pick<RawWebhookRequest, 'path' | 'contentType' | 'body'>): Record<string, string | string[]> {
  const query = req.path.includes('?') ? parseQueryString(req.path.slice(req.path.indexOf('?') + 1)) : {};
  const type = (req.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let body: Record<string, unknown> = {};
  if (type === 'application/x-www-form-urlencoded') body = parseQueryString(req.body.toString('utf8'));
  else if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(req.body.toString('utf8'));
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      // The runtime refuses it; nothing to sign.
    }
  }
  // fromEntries, not assignment: a field named __proto__ is an own field of the event too.
  return Object.fromEntries(
    Object.entries({ ...query, ...body }).map(([key, value]) => [
      key,
      typeof value === 'string'
        ? value
        : Array.isArray(value) && value.every((v) => typeof v === 'string')
          ? // A copy made here: twilio-node tells repeated fields by `instanceof Array`, which fails on
            // an array node:querystring made in another realm (as under jest).
            [...(value as string[])]
        : // Not something Twilio sends: the function refuses it whatever the signature, so any will do.
          typeof value,
    ]),
  );
}

function signatureHeader(req: RawWebhookRequest, port: number, authToken: string): string | undefined {
  const url = `http://localhost:${port}${req.path.split('?')[0]}`;
  switch (req.signature) {
    case 'valid':
      return getExpectedTwilioSignature(authToken, url, signedParamsOf(req));
    case 'forged':
      return getExpectedTwilioSignature('f'.repeat(32), url, signedParamsOf(req));
    case 'garbage':
      return '%%not base64 at all';
    case 'empty':
      return '';
    case 'missing':
      return undefined;
  }
}

/** Posts `req` to 127.0.0.1:`port`; rejects when no answer arrives within `timeoutMs`. */
export function sendRaw(port: number, req: RawWebhookRequest, authToken: string, timeoutMs: number): Promise<RawAnswer> {
  const signature = signatureHeader(req, port, authToken);
  const headers: Record<string, string | number> = {
    Host: `localhost:${port}`,
    'Content-Length': req.body.length,
    'User-Agent': 'TwilioProxy/1.1',
    ...(req.contentType !== undefined && { 'Content-Type': req.contentType }),
    ...(signature !== undefined && { 'X-Twilio-Signature': signature }),
  };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: req.path, method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
          elapsedMs: performance.now() - started,
        }),
      );
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** What kind of answer the guard gave, or why the answer breaks the documented contract. */
export type AnswerVerdict = { ok: true; kind: string } | { ok: false; problem: string };

const isString = (v: unknown) => typeof v === 'string' && v !== '';
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** `{ attributes }`: a JSON object string carrying `limitsGuard.violations`, and nothing else. */
function isAnnotation(body: Record<string, unknown>): boolean {
  if (Object.keys(body).length !== 1 || typeof body.attributes !== 'string') return false;
  try {
    const attributes = JSON.parse(body.attributes);
    return Array.isArray(attributes?.limitsGuard?.violations) && attributes.limitsGuard.violations.length > 0;
  } catch {
    return false;
  }
}

/**
 * Checks one answer against the table of answers in docs/limits.md: 200 `{}` or 200 with annotated `attributes`, 403
 * with a rule code and its figures (`request.malformed` naming the field under FAIL_MODE=closed), 401
 * `request.signature`; never a 400, which would reject an action Twilio itself sent. Anything that is not the
 * function's JSON must be a 4xx the runtime gave for a body it could not parse, and only for a
 * request marked as one it may refuse.
 */
export function judgeAnswer(req: RawWebhookRequest, answer: RawAnswer): AnswerVerdict {
  if (answer.status >= 500) return { ok: false, problem: `HTTP ${answer.status}: ${answer.text.slice(0, 300)}` };
  if (!answer.contentType.startsWith('application/json')) {
    if (req.runtimeMayRefuse && answer.status >= 400 && answer.status < 500) return { ok: true, kind: `runtime ${answer.status}` };
    return { ok: false, problem: `HTTP ${answer.status} ${answer.contentType || 'without Content-Type'}, not the function's JSON: ${answer.text.slice(0, 300)}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return { ok: false, problem: `HTTP ${answer.status} declared JSON but is not: ${answer.text.slice(0, 300)}` };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, problem: `body is not a JSON object: ${answer.text.slice(0, 300)}` };
  const b = body as Record<string, unknown>;
  // Twilio ignores a post-event answer: the function only allows, or refuses an unsigned request.
  if (req.path.startsWith(POST_EVENT_PATH) && answer.status !== 200 && answer.status !== 401) {
    return { ok: false, problem: `post-event answered ${answer.status}: ${answer.text.slice(0, 300)}` };
  }
  switch (answer.status) {
    case 200:
      if (Object.keys(b).length === 0) return { ok: true, kind: '200 allow' };
      return isAnnotation(b) ? { ok: true, kind: '200 annotated' } : { ok: false, problem: `200 with a body other than {} or annotated attributes: ${answer.text.slice(0, 300)}` };
    case 403:
      if (b.code === 'request.malformed' && !isString(b.field)) return { ok: false, problem: `403 request.malformed without its field: ${answer.text.slice(0, 300)}` };
      return isString(b.code) && isString(b.message) && isNumber(b.limit) && isNumber(b.actual)
        ? { ok: true, kind: `403 ${String(b.code).replace(/^(rate|message\.fanout)\.[^.]+(\..*)?$/, '$1.*')}` }
        : { ok: false, problem: `403 without code, message, limit and actual: ${answer.text.slice(0, 300)}` };
    case 401:
      // A signed request can still be refused: a value that is not a string (a JSON body) is not
      // something Twilio sends.
      if (req.signedExactly) return { ok: false, problem: `a correctly signed request refused: ${answer.text.slice(0, 300)}` };
      return b.code === 'request.signature' && isString(b.message)
        ? { ok: true, kind: `401 request.signature${req.signature === 'valid' ? ' (signed)' : ''}` }
        : { ok: false, problem: `401 not shaped as request.signature: ${answer.text.slice(0, 300)}` };
    default:
      return { ok: false, problem: `undocumented status ${answer.status}: ${answer.text.slice(0, 300)}` };
  }
}
