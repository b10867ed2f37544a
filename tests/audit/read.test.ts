/** The audit's reader: GET only, Retry-After honoured, other failures in one sentence. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetworkError, Reader } from '../../src/audit/read';

let server: Server;
let url: string;
const answers: Array<{ status: number; headers?: Record<string, string> }> = [];
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const next = answers.shift() ?? { status: 200 };
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
  const reader = new Reader({ accountSid: 'AC1', authToken: 't', baseUrl: origin, concurrency: 1 });
  await expect(reader.get('/v1/Conversations')).rejects.toThrow(new NetworkError(`could not reach ${origin} (ECONNREFUSED)`));
});
