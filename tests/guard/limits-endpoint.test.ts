/**
 * GET /limits as the function answers it: public JSON, CORS open, cached a minute, a version that
 * follows every value; only the message settings, never a secret; and every limit it lists is the
 * one the rules apply (a message built to break it is refused with that rule id and variable).
 */
import { checkDraft, type Draft } from '../../src/client/limits-client';
import { LOCAL_ONLY, SECRETS } from '../../src/guard/config/local-only';
import { handleLimits } from '../../src/guard/limits-endpoint';
import type { PublishedLimits } from '../../src/guard/published-limits';
import { MESSAGE_VARIABLES } from '../../src/guard/rules/message-settings';
import { DEFAULTS } from '../support/settings';
import { publishedRules } from '../support/published';

const log = () => undefined;
const get = (env: Record<string, string> = {}, headers: Record<string, string> = {}) => handleLimits({ event: { request: { headers, cookies: {} } }, env }, { log });
const limitsOf = (env: Record<string, string> = {}) => JSON.parse(JSON.stringify(get(env).body)) as PublishedLimits;

describe('GET /limits', () => {
  test('answers the limits as public JSON: any origin, cached for a minute, with an ETag', () => {
    const answer = get();
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=60', ETag: expect.stringMatching(/^"[0-9a-f]{12}"$/) });
    expect(answer.body.version).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
    expect(answer.headers!.ETag).toBe(`"${String(answer.body.version).split('+')[1]}"`);
  });

  test('answers a CORS preflight with 204, the methods and the headers a page may send', () => {
    const answer = get({}, { origin: 'https://shop.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'accept' });
    expect(answer.status).toBe(204);
    expect(answer.headers).toMatchObject({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Allow-Headers': expect.stringContaining('Accept') });
  });

  test('answers 304 to a page that has the current version', () => {
    const etag = get().headers!.ETag!;
    expect(get({}, { 'if-none-match': etag }).status).toBe(304);
    expect(get({ MAX_SMS_BODY_CHARS: '10' }, { 'if-none-match': etag }).status).toBe(200);
  });

  test('its version changes with any value a message is judged by, and only with those', () => {
    const base = limitsOf().version;
    expect(limitsOf({ MAX_SMS_BODY_CHARS: '10' }).version).not.toBe(base);
    expect(limitsOf({ INBOUND_POLICY: 'reject' }).version).not.toBe(base);
    expect(limitsOf({ ATTACHMENTS_GBM_EXTENSIONS: 'jpg' }).version).not.toBe(base);
    expect(limitsOf({ MAX_PARTICIPANTS: '5', RATE_LIMITS: 'x=1/1s per conversation' }).version).toBe(base);
  });

  test('settings holds exactly the variables the message rules read, with their parsed values', () => {
    const { settings } = limitsOf();
    const unset = MESSAGE_VARIABLES.filter((name) => DEFAULTS[name] === undefined); // MAX_SMS_SEGMENTS=off
    expect(Object.keys(settings).sort()).toEqual(MESSAGE_VARIABLES.filter((name) => !unset.includes(name)).sort());
    for (const name of Object.keys(settings) as (keyof typeof settings)[]) expect(settings[name]).toEqual(DEFAULTS[name]);
  });

  test('names no secret nor any local-only setting, whatever they are set to', () => {
    const names = [...SECRETS, ...Object.keys(LOCAL_ONLY)];
    const env = Object.fromEntries(names.map((name) => [name, name.endsWith('_BASE_URL') ? `https://${name.toLowerCase().replace(/_/g, '-')}-7f3a.example` : `value-of-${name.toLowerCase()}-7f3a`]));
    const answer = get(env);
    expect(answer.status).toBe(200);
    const text = JSON.stringify(answer);
    for (const name of names) {
      expect(text).not.toContain(name);
      expect(text).not.toContain(env[name]!);
    }
  });

  test('an invalid configuration: 503 naming the variable, never its value', () => {
    const answer = get({ MAX_SMS_BODY_CHARS: 'hunter2-secret-ish' });
    expect(answer.status).toBe(503);
    expect(answer.headers).toMatchObject({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' });
    expect(answer.body).toMatchObject({ code: 'limits.unavailable', message: expect.stringContaining('MAX_SMS_BODY_CHARS') });
    expect(JSON.stringify(answer)).not.toContain('hunter2');
  });
});

describe('every limit /limits lists is the one the rules apply', () => {
  const rows = publishedRules(limitsOf() as unknown as Record<string, unknown>);

  test('every message variable but the mode and the policy has a row', () => {
    const listed = new Set(rows.map((row) => row.variable));
    expect(MESSAGE_VARIABLES.filter((name) => !listed.has(name) && name !== 'GUARD_MODE' && name !== 'INBOUND_POLICY')).toEqual([]);
  });

  test('each row shows the value the rules use', () => {
    for (const row of rows) {
      const value = DEFAULTS[row.variable as keyof typeof DEFAULTS];
      // One file of at most N bytes per WhatsApp message: its per-file cap is its message cap, so no total row.
      expect([row.path, row.value]).toEqual([row.path, value ?? null]);
    }
  });

  /** A message that breaks the row's limit once its variable is set low (and the inbound policy judges). */
  function probe(row: (typeof rows)[number]): { env: Record<string, string>; draft: Draft } {
    const jpg = { filename: 'photo.jpg', contentType: 'image/jpeg', size: 10 };
    const low = row.variable === 'MAX_SMS_SEGMENTS' ? '1' : row.variable.endsWith('EXTENSIONS') ? 'pdf' : typeof row.value === 'boolean' ? 'true' : '0';
    return {
      env: { INBOUND_POLICY: 'reject', [row.variable]: low },
      draft: {
        body: row.variable === 'MAX_SMS_SEGMENTS' ? 'a'.repeat(161) : 'a',
        media: row.variable === 'FLEX_ONE_ATTACHMENT_PER_MESSAGE' ? [jpg, jpg] : [jpg],
        // Two files: an email author may send ten, so only the Flex switch refuses them.
        author: { channel: row.variable === 'FLEX_ONE_ATTACHMENT_PER_MESSAGE' ? 'email' : (row.scope.author ?? 'web') },
        recipients: row.scope.recipient ? [row.scope.recipient] : [],
      },
    };
  }

  test.each(rows.map((row) => [row.path, row] as const))('%s', (_path, row) => {
    const { env, draft } = probe(row);
    // Within the defaults the probe passes; with the variable set low, this row's rule refuses it.
    expect(checkDraft(limitsOf({ INBOUND_POLICY: 'reject' }), draft)).toBeUndefined();
    expect(checkDraft(limitsOf(env), draft)).toMatchObject({ code: row.rule, variable: row.variable });
  });
});
