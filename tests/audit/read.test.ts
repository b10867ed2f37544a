/** The audit's reader: GET only, Retry-After honoured, other failures in one sentence. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_RETRY_AFTER_MS, NetworkError, Reader } from '../../src/audit/read';

let server: Server;
let url: string;
const answers: Array<{ status: number; headers?: Record<string, string>; reset?: boolean }> = [];
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const next = answers.shift() ?? { status: 200 };
    if (next.reset) return void req.socket.destroy();
    res.writeHead(next.status, { 'Content-Type': 'application/json', ...next.headers });
    res.end(JSON.stringify(next.status === 200 ? { ok: true } : { code: 20429, status: next.status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('waits what Retry-After says after a 429, and backs off doubling after a 5xx without one', async () => {
  const waits: number[] = [];
  const reader = new Reader({ accountSid: 'AC1', authToken: 't', baseUrl: url, concurrency: 2, sleep: async (ms) => void waits.push(ms) });
  answers.push({ status: 429, headers: { 'Retry-After': '3' } }, { status: 503 }, { status: 502 });
  expect(await reader.get('/v1/Conversations', { PageSize: '100' })).toEqual({ ok: true });
  expect(waits).toEqual([3000, 500, 1000]);
  expect(seen.every((line) => line.startsWith('GET /conversations/v1/Conversations?PageSize=100'))).toBe(true);
});

it('says which origin it could not reach', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const waits: number[] = [];
  const reader = new Reader({ accountSid: 'AC1', authToken: 't', baseUrl: origin, concurrency: 1, sleep: async (ms) => void waits.push(ms) });
  await expect(reader.get('/v1/Conversations')).rejects.toThrow(new NetworkError(`could not reach ${origin} (ECONNREFUSED)`));
  expect(waits).toEqual([250, 500, 1000, 2000, 4000]);
});

it('retries a connection reset as it does a 5xx, and waits at most a minute whatever Retry-After says', async () => {
  seen.length = 0;
  const waits: number[] = [];
  const reader = new Reader({ accountSid: 'AC1', authToken: 't', baseUrl: url, concurrency: 1, sleep: async (ms) => void waits.push(ms) });
  answers.push({ status: 200, reset: true }, { status: 429, headers: { 'Retry-After': '86400' } });
  expect(await reader.get('/v1/Conversations')).toEqual({ ok: true });
  expect(waits).toEqual([250, MAX_RETRY_AFTER_MS]);
  expect(MAX_RETRY_AFTER_MS).toBe(60_000);
  expect(seen).toHaveLength(3);
});

it('follows a next page only to twilio.com or the TWILIO_API_BASE_URL origin, sending nothing elsewhere', async () => {
  seen.length = 0;
  const reader = new Reader({ accountSid: 'AC1', authToken: 't', baseUrl: url, concurrency: 1, sleep: async () => undefined });
  for (const elsewhere of ['https://evil.example.com/v1/Conversations?Page=1', 'https://conversations.twilio.com.evil.example/v1/Conversations', 'http://conversations.twilio.com/v1/Conversations', 'https://conversations.twilio.com:8443/v1/Conversations']) {
    await expect(reader.get(elsewhere)).rejects.toThrow(NetworkError);
  }
  await expect(reader.get('https://evil.example.com/v1/Conversations')).rejects.toThrow('Twilio gave a next page at https://evil.example.com, neither twilio.com nor TWILIO_API_BASE_URL: not followed, so the credentials go nowhere else');
  expect(seen).toEqual([]);
  // Without TWILIO_API_BASE_URL it is refused the same, before any request.
  const toTwilio = new Reader({ accountSid: 'AC1', authToken: 't', concurrency: 1, sleep: async () => undefined });
  await expect(toTwilio.get('https://evil.example.com/v1/Conversations')).rejects.toThrow(NetworkError);
  expect(toTwilio.requests).toBe(0);

  expect(await reader.get('https://conversations.twilio.com/v1/Conversations?Page=1')).toEqual({ ok: true });
  expect(await reader.get(`${url}/conversations/v1/Conversations?Page=2`)).toEqual({ ok: true });
  expect(seen).toEqual(['GET /conversations/v1/Conversations?Page=1', 'GET /conversations/v1/Conversations?Page=2']);
});
