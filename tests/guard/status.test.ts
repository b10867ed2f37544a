import { handleStatus, type StatusDeps } from '../../src/guard/status';
import { count, emptyCounts, type RejectionCounts } from '../../src/guard/stats/counts';
import { StoreUnavailableError } from '../../src/guard/store/document-store';
import { ACCOUNT_SID } from '../support/events';
import { AUTH_TOKEN, twilioSignature } from '../support/twilio-request';

const STATUS_PASSWORD = 'status-password-of-this-test';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const env = (extra: Record<string, string> = {}) => ({ ACCOUNT_SID, AUTH_TOKEN, STATUS_PASSWORD, DOMAIN_NAME: 'guard-1234-dev.twil.io', ...extra });
const signedIn = basic('anyone', STATUS_PASSWORD);

function deps(counts: RejectionCounts | Error = emptyCounts()): StatusDeps & { logs: unknown[] } {
  const logs: unknown[] = [];
  return {
    logs,
    log: (line) => logs.push(line),
    now: () => NOW,
    readCounts: async () => {
      if (counts instanceof Error) throw counts;
      return counts;
    },
  };
}

const status = (headers: Record<string, string>, environment: Record<string, string> = env(), d = deps()) =>
  handleStatus({ event: { request: { headers, cookies: {} } }, env: environment, path: '/status' }, d);

describe('GET /status', () => {
  it('answers 401 with a Basic challenge to a request without credentials, and says what to sign in with', async () => {
    const answer = await status({});
    expect(answer.status).toBe(401);
    expect(answer.headers?.['WWW-Authenticate']).toMatch(/^Basic realm=/);
    expect(answer.body.message).toBe("Sign in with any user name and the STATUS_PASSWORD of the guard's environment.");
  });

  it.each([
    ['the account SID and auth token', basic(ACCOUNT_SID, AUTH_TOKEN)],
    ['a wrong password', basic('anyone', STATUS_PASSWORD + 'x')],
    ['a prefix of the password', basic('anyone', STATUS_PASSWORD.slice(0, -1))],
    ['no password', `Basic ${Buffer.from('anyone').toString('base64')}`],
    ['a bearer token', `Bearer ${STATUS_PASSWORD}`],
  ])('refuses %s', async (_, authorization) => {
    expect((await status({ authorization })).status).toBe(401);
  });

  it('accepts STATUS_PASSWORD under any user name', async () => {
    expect((await status({ authorization: basic('', STATUS_PASSWORD) })).status).toBe(200);
    expect((await status({ authorization: basic('ops team', STATUS_PASSWORD) })).status).toBe(200);
  });

  it('is off without STATUS_PASSWORD, saying how to turn it on, whatever the credentials', async () => {
    const { STATUS_PASSWORD: _unset, ...withoutPassword } = env();
    const answer = await status({ authorization: basic(ACCOUNT_SID, AUTH_TOKEN) }, withoutPassword);
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ code: 'status.off', message: expect.stringContaining('setting STATUS_PASSWORD in the environment') });
  });

  it('answers the account’s credentials with the configuration and the rejections, and never a secret', async () => {
    const counts = emptyCounts();
    count(counts, 'message.body.bytes', 'enforced', NOW - 1000);
    count(counts, 'message.body.bytes', 'shadow', NOW - 1000);
    const answer = await status({ authorization: signedIn }, env({ MAX_SMS_BODY_CHARS: '1000', TWILIO_API_BASE_URL: 'https://user:hunter2@proxy.example.com' }), deps(counts));
    expect(answer.status).toBe(200);
    const body = answer.body as Record<string, any>;
    expect(body.mode).toBe('enforce');
    expect(body.rejections.lastHour).toEqual([{ rule: 'message.body.bytes', enforced: 1, shadow: 1 }]);
    const sms = body.configuration.find((row: { variable: string }) => row.variable === 'MAX_SMS_BODY_CHARS');
    expect(sms).toMatchObject({ value: '1000', default: '1600', changed: true, group: 'fan-out', source: expect.stringContaining('twilio.com') });
    const text = JSON.stringify(body);
    expect(text).not.toContain(AUTH_TOKEN);
    expect(text).not.toContain(STATUS_PASSWORD);
    expect(text).not.toContain('hunter2');
    expect(body.configuration.map((row: { variable: string }) => row.variable)).not.toContain('AUTH_TOKEN');
  });

  it('adds the rejections this instance has not flushed to Sync yet, read after Sync', async () => {
    const stored = emptyCounts();
    count(stored, 'message.body.bytes', 'enforced', NOW - 1000);
    const here = emptyCounts();
    for (let i = 0; i < 3; i += 1) count(here, 'message.body.bytes', 'enforced', NOW - 500);
    count(here, 'request.signature', 'shadow', NOW - 500);
    const order: string[] = [];
    const d = { ...deps(stored), readCounts: async () => (order.push('sync'), stored), unflushed: () => (order.push('memory'), here) };
    const body = (await status({ authorization: signedIn }, env(), d)).body as Record<string, any>;
    expect(body.rejections.lastHour).toEqual([
      { rule: 'message.body.bytes', enforced: 4, shadow: 0 },
      { rule: 'request.signature', enforced: 0, shadow: 1 },
    ]);
    expect(body.rejections.lastDay).toEqual(body.rejections.lastHour);
    expect(body.counters).toMatchObject({ enabled: true, unflushedHere: 4, note: expect.stringContaining('has not flushed yet') });
    expect(order).toEqual(['sync', 'memory']);
  });

  it('does not take a Twilio signature for a password', async () => {
    const signature = twilioSignature(AUTH_TOKEN, 'https://guard-1234-dev.twil.io/status', {});
    expect((await status({ 'x-twilio-signature': signature })).status).toBe(401);
  });

  it('shows an invalid configuration instead of failing, naming the variable', async () => {
    const answer = await status({ authorization: signedIn }, env({ MAX_SMS_BODY_CHARS: 'lots' }));
    expect(answer.status).toBe(200);
    expect(answer.body.configurationError).toMatch(/MAX_SMS_BODY_CHARS="lots" is not valid; expected a whole number/);
    expect(answer.body.rejections).toEqual({ error: expect.stringMatching(/configuration is invalid/) });
  });

  it('shows unreadable counters as an error next to the configuration', async () => {
    const d = deps(new StoreUnavailableError('Sync answered 429', 429, 54009));
    const answer = await status({ authorization: signedIn }, env(), d);
    expect(answer.status).toBe(200);
    expect(answer.body.rejections).toEqual({ error: expect.stringMatching(/could not be read from Sync.*429/) });
    expect(d.logs).toEqual([expect.objectContaining({ warning: 'status: rejection counts unreadable' })]);
  });
});
