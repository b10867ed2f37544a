/**
 * A proxy in front of the emulator that plays the failure a write's retry must never meet: Twilio
 * applies the request, then answers 5xx (a gateway timing out, a crash after the commit). The
 * emulator's own status faults answer before anything is applied; here the request reaches the
 * emulator and is applied, and only the answer is replaced. The emulator's request log shows every
 * request as the emulator served it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppliedThenFailed {
  /** The proxy's origin: give it to the client as TWILIO_API_BASE_URL. */
  url: string;
  /** The next `times` requests matching `method` (and `pathIncludes`, if given) are applied, then answered `status`. */
  failAfterApplying(match: { method: string; pathIncludes?: string; status?: number; times?: number }): void;
  /** How many answers were replaced so far. */
  readonly replaced: number;
  close(): Promise<void>;
}

const bodyOf = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export async function appliedThenFailed(target: string): Promise<AppliedThenFailed> {
  let rule: { method: string; pathIncludes?: string; status: number; times: number } | undefined;
  let replaced = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const headers = Object.fromEntries(Object.entries(req.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host' && entry[0] !== 'content-length'));
      const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: body.length > 0 ? body : undefined });
      const text = await answer.text();
      const path = decodeURIComponent(req.url ?? '');
      if (rule && rule.times > 0 && req.method === rule.method && (rule.pathIncludes === undefined || path.includes(rule.pathIncludes))) {
        rule.times--;
        replaced++;
        res.writeHead(rule.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ code: 20500, message: 'Internal Server Error', more_info: 'https://www.twilio.com/docs/errors/20500', status: rule.status }));
        return;
      }
      res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    })().catch((error: unknown) => {
      res.writeHead(502);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failAfterApplying: ({ method, pathIncludes, status = 500, times = 1 }) => {
      rule = { method, pathIncludes, status, times };
    },
    get replaced() {
      return replaced;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
