import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigureArgs, type ConfigureOptions } from '../../scripts/lib/webhook-args';
import {
  guardFilters,
  POST_EVENT_FILTERS,
  preEventFilters,
  planWebhooks,
  sameUrl,
  type WebhookSettings,
} from '../../scripts/lib/webhook-plan';
import { failureMessage, formatPlanTable, refusalMessage } from '../../scripts/lib/webhook-report';

const BASE = 'https://guard-1234-dev.twil.io';
const PRE = `${BASE}/conversations/pre-event`;
const POST = `${BASE}/conversations/post-event`;
const GUARD_FILTERS = guardFilters();
const EMPTY: WebhookSettings = { preWebhookUrl: null, postWebhookUrl: null, method: 'POST', filters: [], target: 'webhook' };
const CONFIGURED: WebhookSettings = { preWebhookUrl: PRE, postWebhookUrl: POST, method: 'POST', filters: [...GUARD_FILTERS], target: 'webhook' };

const changedFields = (plan: ReturnType<typeof planWebhooks>) => plan.rows.filter((r) => r.changed).map((r) => r.field);

describe('guard filters', () => {
  it('subscribe the pre-event function to the adds, and to the updates only with JUDGE_UPDATES=on', () => {
    expect([...preEventFilters(false)].sort()).toEqual(['onConversationAdd', 'onMessageAdd', 'onParticipantAdd']);
    expect([...preEventFilters(true)].sort()).toEqual(
      ['onConversationAdd', 'onConversationUpdate', 'onMessageAdd', 'onMessageUpdate', 'onParticipantAdd', 'onParticipantUpdate'].sort(),
    );
  });

  it('add the update events when judging them is turned on, and take them out when it is turned off', () => {
    const on = planWebhooks(CONFIGURED, BASE, { level: 'account', judgeUpdates: true });
    expect(on.kind === 'update' && on.update.filters).toEqual([...GUARD_FILTERS, 'onMessageUpdate', 'onParticipantUpdate', 'onConversationUpdate']);
    const withUpdates = { ...CONFIGURED, filters: ['onMessageAdded', ...guardFilters(true)] };
    const off = planWebhooks(withUpdates, BASE, { level: 'account' });
    expect(off.kind === 'update' && off.update.filters).toEqual(['onMessageAdded', ...GUARD_FILTERS]);
  });

  it('subscribe the post-event function to exactly the events post-event.ts acts on', () => {
    const source = readFileSync(join(__dirname, '..', '..', 'src', 'guard', 'post-event.ts'), 'utf8');
    const handled = [...source.matchAll(/case '(on\w+)'/g)].map((m) => m[1]);
    expect([...POST_EVENT_FILTERS].sort()).toEqual(handled.sort());
  });
});

describe('planWebhooks', () => {
  it('fills an unconfigured account: URLs, filters, and nothing to refuse', () => {
    const plan = planWebhooks(EMPTY, BASE, { level: 'account' });
    expect(plan.kind).toBe('update');
    if (plan.kind !== 'update') return;
    expect(changedFields(plan)).toEqual(['PreWebhookUrl', 'PostWebhookUrl', 'Filters']);
    expect(plan.update).toEqual({ preWebhookUrl: PRE, postWebhookUrl: POST, method: 'POST', filters: [...GUARD_FILTERS], target: 'webhook' });
    expect(plan.replaced).toEqual([]);
  });

  it('sends no Target at the service level and shows no Target row', () => {
    const plan = planWebhooks({ ...EMPTY, target: undefined }, BASE, { level: 'service' });
    expect(plan.kind === 'update' && plan.update).not.toHaveProperty('target');
    expect(plan.rows.map((r) => r.field)).not.toContain('Target');
  });

  it('has nothing to change when everything is in place, in any filter order and with extra filters', () => {
    expect(planWebhooks(CONFIGURED, BASE, { level: 'account' }).kind).toBe('unchanged');
    const shuffled = { ...CONFIGURED, filters: ['onMessageAdded', ...[...GUARD_FILTERS].reverse()] };
    expect(planWebhooks(shuffled, BASE, { level: 'service' }).kind).toBe('unchanged');
  });

  it('treats URLs differing only in host case or default port as the same', () => {
    const current = { ...CONFIGURED, preWebhookUrl: 'https://GUARD-1234-dev.twil.io:443/conversations/pre-event' };
    expect(planWebhooks(current, BASE, { level: 'account' }).kind).toBe('unchanged');
    expect(sameUrl(PRE, `${PRE}/`)).toBe(false);
  });

  it('keeps filters already set and appends the missing ones once', () => {
    const current = { ...EMPTY, filters: ['onMessageAdded', 'onMessageAdd', 'onMessageAdded'] };
    const plan = planWebhooks(current, BASE, { level: 'service' });
    if (plan.kind !== 'update') throw new Error(plan.kind);
    expect(plan.update.filters).toEqual(['onMessageAdded', 'onMessageAdd', ...GUARD_FILTERS.filter((f) => f !== 'onMessageAdd')]);
  });

  it('adds the one filter missing from an otherwise complete configuration', () => {
    const current = { ...CONFIGURED, filters: GUARD_FILTERS.filter((f) => f !== 'onConversationStateUpdated') };
    const plan = planWebhooks(current, BASE, { level: 'account' });
    expect(changedFields(plan)).toEqual(['Filters']);
  });

  it('switches Method GET to POST without asking for --force', () => {
    const plan = planWebhooks({ ...CONFIGURED, method: 'GET' }, BASE, { level: 'account' });
    expect(plan.kind).toBe('update');
    expect(changedFields(plan)).toEqual(['Method']);
  });

  it.each([
    ['PreWebhookUrl', { preWebhookUrl: 'https://example.com/pre' }],
    ['PostWebhookUrl', { postWebhookUrl: 'https://example.com/post' }],
    ['Target', { target: 'flex' }],
  ] as const)('refuses to replace a different %s without --force', (field, change) => {
    const plan = planWebhooks({ ...CONFIGURED, ...change }, BASE, { level: 'account' });
    expect(plan.kind).toBe('refused');
    if (plan.kind !== 'refused') return;
    expect(plan.conflicts.map((c) => c.field)).toEqual([field]);
  });

  it('replaces them with --force and reports what it replaced', () => {
    const current = { ...EMPTY, preWebhookUrl: 'https://example.com/pre', postWebhookUrl: 'https://example.com/post', target: 'flex' };
    const plan = planWebhooks(current, BASE, { level: 'account', force: true });
    if (plan.kind !== 'update') throw new Error(plan.kind);
    expect(plan.replaced).toEqual([
      { field: 'PreWebhookUrl', current: 'https://example.com/pre', next: PRE },
      { field: 'PostWebhookUrl', current: 'https://example.com/post', next: POST },
      { field: 'Target', current: 'flex', next: 'webhook' },
    ]);
  });

  it('ignores a flex Target at the service level, where there is none', () => {
    expect(planWebhooks({ ...CONFIGURED, target: 'flex' }, BASE, { level: 'service' }).kind).toBe('unchanged');
  });

  it('treats a blank URL as unset', () => {
    expect(planWebhooks({ ...EMPTY, preWebhookUrl: ' ' }, BASE, { level: 'service' }).kind).toBe('update');
  });
});

describe('plan output', () => {
  it('shows each field with its current and new value, added filters marked', () => {
    const plan = planWebhooks({ ...EMPTY, method: 'GET', filters: ['onMessageAdded'] }, BASE, { level: 'account' });
    const lines = formatPlanTable(plan.rows).split('\n');
    expect(lines[0]).toMatch(/^ {2}field +current +new$/);
    expect(lines[1]).toMatch(new RegExp(`^  PreWebhookUrl +\\(none\\) +${PRE}$`));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Method +GET +POST$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Filters +onMessageAdded +onMessageAdded$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +\+ onConversationStateUpdated$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Target +webhook +\(unchanged\)$/));
  });

  it('says how to go on after a refusal', () => {
    const text = refusalMessage([{ field: 'PreWebhookUrl', current: 'https://example.com/pre', next: PRE }], undefined);
    expect(text).toContain('PreWebhookUrl already points at https://example.com/pre.');
    expect(text).toContain('--force');
  });

  it('turns Twilio failures into one sentence', () => {
    const ctx = { serviceSid: 'IS0123456789abcdef0123456789abcdef', apiUrl: 'https://conversations.twilio.com' };
    expect(failureMessage({ status: 404, code: 20404, message: 'not found' }, ctx)).toBe(
      'No Conversations service IS0123456789abcdef0123456789abcdef in this account (HTTP 404 20404): check --service.',
    );
    expect(failureMessage({ status: 401, code: 20003, message: 'Authenticate' }, ctx)).toMatch(/^Twilio refused the credentials/);
    expect(failureMessage(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), ctx)).toBe(
      'Could not reach https://conversations.twilio.com: connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});

describe('configure arguments', () => {
  const env = { ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', AUTH_TOKEN: '0123456789abcdef0123456789abcdef' };
  const options = (argv: string[], vars: Record<string, string> = env): ConfigureOptions => {
    const parsed = parseConfigureArgs(argv, vars);
    if (parsed.kind !== 'options') throw new Error(parsed.kind === 'invalid' ? parsed.message : parsed.kind);
    return parsed.options;
  };
  const invalid = (argv: string[], vars: Record<string, string> = env) => {
    const parsed = parseConfigureArgs(argv, vars);
    return parsed.kind === 'invalid' ? parsed.message : `not refused: ${parsed.kind}`;
  };

  it('takes the base URL without a trailing slash, keeping a path prefix', () => {
    expect(options(['--url', 'https://guard-1234-dev.twil.io/']).baseUrl).toBe('https://guard-1234-dev.twil.io');
    expect(options(['--url=https://abc.ngrok.app/guard//']).baseUrl).toBe('https://abc.ngrok.app/guard');
    expect(options(['--url', 'http://localhost:3000']).baseUrl).toBe('http://localhost:3000');
    expect(options(['--url', 'http://127.0.0.1:3000']).baseUrl).toBe('http://127.0.0.1:3000');
  });

  it('falls back to WEBHOOK_BASE_URL, and --url wins over it', () => {
    const vars = { ...env, WEBHOOK_BASE_URL: 'https://tunnel.example.com' };
    expect(options([], vars)).toMatchObject({ baseUrl: 'https://tunnel.example.com', baseUrlSource: 'WEBHOOK_BASE_URL' });
    expect(options(['--url', 'https://x.twil.io'], vars)).toMatchObject({ baseUrl: 'https://x.twil.io', baseUrlSource: '--url' });
    expect(invalid([], { ...env, WEBHOOK_BASE_URL: 'http://tunnel.example.com' })).toMatch(/^WEBHOOK_BASE_URL "http:\/\/tunnel.example.com"/);
  });

  it.each([
    [['--url', 'guard-1234-dev.twil.io'], '--url "guard-1234-dev.twil.io": expected the https:// base URL'],
    [['--url', 'http://guard-1234-dev.twil.io'], 'http:// is accepted for localhost only'],
    [['--url', 'ftp://localhost'], '--url "ftp://localhost"'],
    [['--url', 'https://x.twil.io?a=1'], 'without query, fragment or credentials'],
    [['--url', 'https://x.twil.io/conversations/pre-event'], 'without the function path, here https://x.twil.io.'],
    [['--url', 'https://x.twil.io', '--service', 'IS0123'], '--service "IS0123": expected a Conversations service SID'],
    [['--url', 'https://x.twil.io', '--service', `CH${'0'.repeat(32)}`], 'expected a Conversations service SID'],
    [['--url', 'https://x.twil.io', '--service', `IS${'0'.repeat(33)}`], 'expected a Conversations service SID'],
    [['--url', 'https://x.twil.io', '--username', 'bob', '--password', 's'], '--username "bob": expected an Account SID (AC…) or an API key SID (SK…)'],
    [['--url', 'https://x.twil.io', '--username', `AC${'0'.repeat(32)}`], '--username needs --password'],
    [['--url', 'https://x.twil.io', '--colour'], 'unknown option --colour; see --help.'],
    [['--url'], 'option --url needs a value; see --help.'],
    [['https://x.twil.io'], 'Unexpected argument "https://x.twil.io"'],
    [[], '--url is required'],
  ])('refuses %j with a sentence naming the input', (argv, expected) => {
    expect(invalid(argv)).toContain(expected);
  });

  it('accepts a service SID in either hex case', () => {
    expect(options(['--url', 'https://x.twil.io', '--service', `IS${'aB'.repeat(16)}`]).serviceSid).toBe(`IS${'aB'.repeat(16)}`);
  });

  it('uses --username/--password over .env, with ACCOUNT_SID for an API key', () => {
    const key = `SK${'1'.repeat(32)}`;
    expect(options(['--url', 'https://x.twil.io', '-u', key, '-p', 'secret']).credentials).toEqual({
      username: key,
      password: 'secret',
      accountSid: env.ACCOUNT_SID,
    });
    expect(invalid(['--url', 'https://x.twil.io', '-u', key, '-p', 'secret'], {})).toContain('is an API key: set ACCOUNT_SID');
  });

  it('needs credentials for Twilio, but not for an emulator', () => {
    expect(invalid(['--url', 'https://x.twil.io'], {})).toMatch(/^No Twilio credentials/);
    const emulated = options(['--url', 'https://x.twil.io'], { TWILIO_API_BASE_URL: 'http://127.0.0.1:4010/' });
    expect(emulated.apiBaseUrl).toBe('http://127.0.0.1:4010');
    expect(emulated.credentials.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(invalid(['--url', 'https://x.twil.io'], { TWILIO_API_BASE_URL: 'localhost:4010' })).toMatch(/^TWILIO_API_BASE_URL "localhost:4010"/);
    expect(invalid(['--url', 'https://x.twil.io'], { ACCOUNT_SID: 'ACnope', AUTH_TOKEN: 'x' })).toMatch(/^ACCOUNT_SID "ACnope"/);
  });

  it('reads --dry-run, --force and --help', () => {
    expect(options(['--url', 'https://x.twil.io', '--dry-run', '--force'])).toMatchObject({ dryRun: true, force: true });
    expect(options(['--url', 'https://x.twil.io'])).toMatchObject({ dryRun: false, force: false });
    expect(parseConfigureArgs(['--help'], {}).kind).toBe('help');
  });
});
