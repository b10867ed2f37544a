import { handleStatus, type StatusDeps } from '../../src/guard/status';
import { count, emptyCounts, type RejectionCounts } from '../../src/guard/stats/counts';
import { randomBytes } from 'node:crypto';
import { StoreUnavailableError } from '../../src/guard/store/document-store';
import { ACCOUNT_SID } from '../support/events';
import { AUTH_TOKEN, twilioSignature } from '../support/twilio-request';

const STATUS_PASSWORD = 'status-password-of-this-test';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const env = (extra: Record<string, string> = {}) => ({ ACCOUNT_SID, AUTH_TOKEN, STATUS_PASSWORD, DOMAIN_NAME: 'guard-1234-dev.twil.io', ...extra });
const signedIn = basic('anyone', STATUS_PASSWORD);

/** Status deps whose shard 0 holds `counts` (or fails with it) and whose other shards are empty. */
function deps(counts: RejectionCounts | Error = emptyCounts()): StatusDeps & { logs: unknown[] } {
  const logs: unknown[] = [];
  return {
    logs,
    log: (line) => logs.push(line),
    now: () => NOW,
    readShard: async (_settings, shard) => {
      if (shard !== 0) return emptyCounts();
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
    const d = { ...deps(stored), readShard: async (_settings: unknown, shard: number) => (order.push(`sync ${shard}`), shard === 0 ? stored : emptyCounts()), unflushed: () => (order.push('memory'), here) };
    const body = (await status({ authorization: signedIn }, env(), d)).body as Record<string, any>;
    expect(body.rejections.lastHour).toEqual([
      { rule: 'message.body.bytes', enforced: 4, shadow: 0 },
      { rule: 'request.signature', enforced: 0, shadow: 1 },
    ]);
    expect(body.rejections.lastDay).toEqual(body.rejections.lastHour);
    expect(body.counters).toMatchObject({ enabled: true, unflushedHere: 4, note: expect.stringContaining('has not flushed yet') });
    expect(order).toEqual(['sync 0', 'sync 1', 'memory']);
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

  it('shows counts it could not read as incomplete, naming the Sync document and why, with the rest counted', async () => {
    const d = deps(new StoreUnavailableError('Sync answered 429', 429, 54009));
    const here = emptyCounts();
    count(here, 'message.body.bytes', 'enforced', NOW - 500);
    const answer = await status({ authorization: signedIn }, env(), { ...d, unflushed: () => here });
    expect(answer.status).toBe(200);
    expect(answer.body.rejections).toEqual({
      lastHour: [{ rule: 'message.body.bytes', enforced: 1, shadow: 0 }],
      lastDay: [{ rule: 'message.body.bytes', enforced: 1, shadow: 0 }],
      perHour: expect.any(Array),
      complete: false,
      incomplete: expect.stringMatching(/^The counts are incomplete: Sync document guard_rejections_0 could not be read \(StoreUnavailableError: Sync answered 429\)\./),
    });
    expect(d.logs).toEqual([expect.objectContaining({ warning: 'status: rejection counts incomplete' })]);
  });

  it('a shard reader that throws at once (its Sync client could not be built) makes the counts incomplete, not the answer a 500', async () => {
    const d = {
      ...deps(),
      readShard: (_settings: unknown, shard: number): Promise<RejectionCounts> => {
        if (shard === 0) throw new Error('no Sync client: bad credentials');
        return Promise.resolve(emptyCounts());
      },
    };
    const answer = await status({ authorization: signedIn }, env(), d);
    expect(answer.status).toBe(200);
    expect(answer.body.rejections).toEqual({
      lastHour: [],
      lastDay: [],
      perHour: expect.any(Array),
      complete: false,
      incomplete: expect.stringMatching(/^The counts are incomplete: Sync document guard_rejections_0 could not be read \(Error: no Sync client: bad credentials\)\./),
    });
  });

  it('answers by DECISION_TIMEOUT when a Sync read does not answer: the counts it has, marked incomplete', async () => {
    const stored = emptyCounts();
    count(stored, 'message.body.bytes', 'enforced', NOW - 1000);
    let abandoned = false;
    const d = {
      ...deps(),
      // Shard 0 answers at once; shard 1 never does, until the deadline aborts it.
      readShard: (_settings: unknown, shard: number, signal: AbortSignal) =>
        shard === 0 ? Promise.resolve(stored) : new Promise<RejectionCounts>((_, reject) => signal.addEventListener('abort', () => ((abandoned = true), reject(signal.reason)))),
    };
    const answer = await status({ authorization: signedIn }, env({ DECISION_TIMEOUT: '200ms' }), d);
    expect(answer.status).toBe(200);
    expect(abandoned).toBe(true);
    expect(answer.body.rejections).toEqual({
      lastHour: [{ rule: 'message.body.bytes', enforced: 1, shadow: 0 }],
      lastDay: [{ rule: 'message.body.bytes', enforced: 1, shadow: 0 }],
      perHour: expect.any(Array),
      complete: false,
      incomplete: expect.stringContaining('Sync document guard_rejections_1 did not answer within DECISION_TIMEOUT (200 ms)'),
    });
  });

  it('says its counts are complete when every Sync document answered', async () => {
    expect((await status({ authorization: signedIn })).body.rejections).toEqual({ lastHour: [], lastDay: [], perHour: expect.any(Array), complete: true });
  });
});

describe('STATUS_PASSWORD shorter than 16 characters', () => {
  it.each(['abc', 'fifteen-chars!!', '  abc  '])('%p: the status is off, saying why, to anyone, with no sign-in asked and nothing of the password told', async (password) => {
    for (const authorization of [undefined, basic('anyone', password), basic('anyone', password.trim())]) {
      const d = deps();
      const answer = await status(authorization ? { authorization } : {}, env({ STATUS_PASSWORD: password }), d);
      expect(answer.status).toBe(404);
      expect(answer.headers?.['WWW-Authenticate']).toBeUndefined();
      expect(answer.body).toEqual({
        code: 'status.password-too-short',
        message: expect.stringMatching(/^The status page is off: its STATUS_PASSWORD is shorter than 16 characters, and \/status is public, with nothing limiting guesses\. Set a random one of at least 16 characters/),
      });
      expect(JSON.stringify([answer, d.logs])).not.toContain(password.trim());
    }
  });

  it('16 characters are enough', async () => {
    for (const password of ['sixteen-chars-ok', '  sixteen-chars-ok  ', randomBytes(12).toString('base64url')]) {
      expect(password.trim()).toHaveLength(16);
      expect((await status({ authorization: basic('anyone', password.trim()) }, env({ STATUS_PASSWORD: password }))).status).toBe(200);
    }
  });
});

describe('GET /status, the rejection log', () => {
  /** A record kept while REJECTION_LOG was full. */
  const kept = { at: NOW - 1000, instance: 'i1', event: 'onParticipantAdd', outcome: 'reject' as const, rule: 'participant.identity.conversations', reason: 'identity "ann@example.org" is in 1,001 conversations', conversationSid: 'CH1', author: 'ann@example.org', channel: 'web' };
  const withLog = (): StatusDeps => ({ ...deps(), searchLog: async () => ({ records: [kept], dropped: 0, complete: true, requests: 1 }) });

  it('shows records kept while the log was full masked, once it is masked again', async () => {
    const answer = await handleStatus({ event: { conversation: 'CH1', request: { headers: { authorization: signedIn }, cookies: {} } }, env: env(), path: '/status' }, withLog());
    expect(answer.body.records).toEqual([{ ...kept, at: new Date(NOW - 1000).toISOString(), author: 'a•••@example.org', reason: 'identity "a•••@example.org" is in 1,001 conversations' }]);
  });

  it('shows them as kept under full', async () => {
    const answer = await handleStatus({ event: { conversation: 'CH1', request: { headers: { authorization: signedIn }, cookies: {} } }, env: env({ REJECTION_LOG: 'full' }), path: '/status' }, withLog());
    expect(answer.body.records).toEqual([{ ...kept, at: new Date(NOW - 1000).toISOString() }]);
  });
});
