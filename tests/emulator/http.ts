import type { Emulator } from '../../emulator';

export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
export const AUTHORIZATION = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;

export type Json = any;

export interface Reply {
  status: number;
  body: Json;
  ms: number;
  headers: Headers;
}

export interface CallOptions {
  form?: Record<string, string>;
  headers?: Record<string, string>;
  auth?: boolean;
}

/** Sends a request the way twilio-node does: Basic auth, form-encoded body. */
export async function call(emu: Emulator, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (opts.auth !== false) headers.Authorization = AUTHORIZATION;
  let body: string | undefined;
  if (opts.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  const started = performance.now();
  const res = await fetch(`${emu.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started, headers: res.headers };
}

/** Path on the emulator for an absolute Twilio URL, as the guard's client rewrites it. */
export function emulatorPath(twilioUrl: string): string {
  const match = /^https:\/\/(\w+)\.twilio\.com(\/.*)$/.exec(twilioUrl);
  if (!match) throw new Error(`not a Twilio URL: ${twilioUrl}`);
  return `/${match[1]}${match[2]}`;
}

/** JSON control requests to `/__emulator/...`. */
export async function control(emu: Emulator, method: string, path: string, body?: unknown): Promise<Reply> {
  const started = performance.now();
  const res = await fetch(`${emu.url}/__emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started, headers: res.headers };
}

export const SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-f]{32}$`);
export const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

export function errorOf(code: number, status: number) {
  return { code, status, message: expect.any(String), more_info: `https://www.twilio.com/docs/errors/${code}` };
}

/** A clock tests can move by hand. */
export function manualClock(start = Date.UTC(2030, 0, 1)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/**
 * Moves the emulator onto a clock the test moves by hand (every time-dependent behaviour reads it),
 * with a Sync removal lag when one is given; a test file restores `Date.now` after each test.
 */
export function emulatorClock(emu: Emulator, removalLagMs?: number) {
  const clock = manualClock();
  emu.setClock(clock.now);
  if (removalLagMs !== undefined) emu.setSyncRemovalLag(removalLagMs);
  return clock;
}
