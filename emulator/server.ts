import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { handleControl } from './control';
import { TwilioError, defaultCodeForStatus, errorBody } from './errors';
import { TRUNCATED_JSON_BODY, type MatchTarget } from './faults';
import { DEFAULT_ACCOUNT_SID } from './ids';
import type { ApiRequest, ApiResponse } from './router';
import type { EmulatorState } from './state';
import type { Product, RequestLogEntry } from './types';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const PRODUCTS: readonly string[] = ['sync', 'conversations'];

/** Any Account or API key sid with any secret is accepted; the account sid, when given, is echoed in resources. */
function authenticate(header: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  if (!/^(AC|SK)[0-9a-zA-Z]+$/.test(user) || password === '') return undefined;
  return /^AC[0-9a-fA-F]{32}$/.test(user) ? user : DEFAULT_ACCOUNT_SID;
}

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A body sent as it is, not serialized: what an `invalid-json` fault answers. */
interface RawJsonResponse {
  status: number;
  rawJson: string;
}

function send(res: http.ServerResponse, result: ApiResponse | RawJsonResponse): void {
  if (res.destroyed || res.headersSent) return;
  const headers: http.OutgoingHttpHeaders = { ...('headers' in result ? result.headers : {}) };
  if (result.status === 401) headers['WWW-Authenticate'] = 'Basic realm="Twilio API"';
  if (!('rawJson' in result) && result.body === undefined) {
    res.writeHead(result.status, headers).end();
    return;
  }
  const text = 'rawJson' in result ? result.rawJson : JSON.stringify(result.body);
  headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = Buffer.byteLength(text);
  res.writeHead(result.status, headers).end(text);
}

const failure = (status: number, code: number, message: string): ApiResponse => ({
  status,
  body: errorBody(status, code, message),
});

export async function startServer(state: EmulatorState, port: number, host: string): Promise<RunningServer> {
  const timers = new Set<NodeJS.Timeout>();
  const hanging = new Set<http.ServerResponse>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function answer(req: http.IncomingMessage, res: http.ServerResponse, entry: RequestLogEntry, url: URL): Promise<ApiResponse | RawJsonResponse | 'hang'> {
    const method = entry.method;
    const segments = decodeSegments(url.pathname);
    const body = await readBody(req);
    if (!segments) return failure(400, 20001, 'Malformed URL path');
    if (entry.product === 'control') return handleControl(state, method, segments.slice(1), body);
    if (entry.product === 'unknown') return failure(404, 20404, `The requested resource ${url.pathname} was not found`);

    // Latency and faults come before authentication: they stand for trouble on Twilio's side or the network.
    const target: MatchTarget = { product: entry.product, method, paths: [url.pathname, segments.join('/')] };
    entry.delayMs = state.faults.delayFor(target);
    if (entry.delayMs > 0) await sleep(entry.delayMs);
    const held = state.faults.holdFor(target);
    if (held) {
      entry.held = true;
      // A client that gives up while held is answered (499) at once: the request never reached Twilio.
      await Promise.race([held, new Promise<void>((resolve) => res.once('close', resolve))]);
    }
    // Latency and holds stand for the way to Twilio: a request its client abandoned on the way is not applied.
    if ((entry.delayMs > 0 || entry.held) && (res.destroyed || req.socket.destroyed)) return { status: 499, body: { code: 0, message: 'Client closed the request' } };
    const fault = state.faults.take(target);
    if (fault?.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return 'hang';
    }
    if (fault?.kind === 'status') {
      const code = fault.code ?? defaultCodeForStatus(fault.status);
      return failure(fault.status, code, `Injected fault: HTTP ${fault.status}`);
    }
    if (fault?.kind === 'invalid-json') return { status: 200, rawJson: TRUNCATED_JSON_BODY };

    const accountSid = authenticate(req.headers.authorization);
    if (!accountSid) return failure(401, 20003, 'Authenticate');
    if (segments[1] !== 'v1') return failure(404, 20404, `The requested resource ${url.pathname} was not found`);
    const form = new URLSearchParams(body);
    const apiRequest: ApiRequest = {
      method,
      query: entry.query,
      form: Object.fromEntries(form),
      formAll: (name) => form.getAll(name),
      headers: req.headers,
      accountSid,
    };
    try {
      return state.routers[entry.product].dispatch(segments.slice(2), apiRequest);
    } finally {
      entry.object = apiRequest.object;
    }
  }

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const first = url.pathname.split('/')[1] ?? '';
    const product: RequestLogEntry['product'] =
      first === '__emulator' ? 'control' : PRODUCTS.includes(first) ? (first as Product) : 'unknown';
    const entry: RequestLogEntry = {
      at: state.now(),
      method: (req.method ?? 'GET').toUpperCase(),
      product,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      ms: 0,
      delayMs: 0,
      held: false,
    };
    state.log.push(entry);
    const counted = product !== 'control';
    if (counted) state.inFlight.peak = Math.max(state.inFlight.peak, ++state.inFlight.now);
    answer(req, res, entry, url)
      .catch((err: unknown): ApiResponse => {
        if (err instanceof TwilioError) return failure(err.status, err.code, err.message);
        return failure(500, 20500, err instanceof Error ? err.message : 'Internal server error');
      })
      .then((result) => {
        if (result === 'hang') {
          if (counted) res.on('close', () => state.inFlight.now--);
          return;
        }
        if (counted) state.inFlight.now--;
        entry.status = result.status;
        entry.ms = performance.now() - started;
        send(res, result);
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const res of hanging) res.destroy();
        hanging.clear();
        state.faults.reset();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
