/**
 * The built limits-client module (dist/assets/limits-client.js): small, free of anything Node-only,
 * importable by Node as an ES module, and strict about input the webhook could never receive.
 */
import { verbose } from '../support/verbose';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { checkDraft, type Draft } from '../../src/client/limits-client';
import { handleLimits } from '../../src/guard/limits-endpoint';
import { CLIENT_FILE, draftCase, loadBuiltClient } from '../support/drafts';

const MAX_BYTES = 15 * 1024;
jest.setTimeout(30_000);
const limitsFor = (env: Record<string, string | undefined>) => JSON.parse(JSON.stringify(handleLimits({ event: {}, env }, { log: () => undefined }).body));
const client = loadBuiltClient();
const code = readFileSync(CLIENT_FILE, 'utf8');

test(`is under ${MAX_BYTES} bytes minified`, () => {
  const bytes = statSync(CLIENT_FILE).size;
  verbose(`dist/assets/limits-client.js: ${bytes} bytes`);
  expect(bytes).toBeLessThan(MAX_BYTES);
});

test('is a self-contained ES module: no import, nothing of Node', () => {
  expect(code).toMatch(/export\s*\{[^}]*\bcheckDraft\b/);
  expect(code).not.toMatch(/\bimport\s*[\s{*"'(]/);
  expect(code).not.toMatch(/\brequire\s*\(|\bprocess\.|\bBuffer\b|node:|__dirname/);
});

test('Node imports the built file and gets the answers the source gives', () => {
  const cases = fc.sample(draftCase(), { numRuns: 200, seed: 1129 }).map((c) => ({ limits: limitsFor(c.env), draft: { ...c.draft, recipients: c.clientRecipients } }));
  const script = `
    const { checkDraft, CHANNELS } = await import(${JSON.stringify(pathToFileURL(CLIENT_FILE).href)});
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const answers = JSON.parse(input).map(({ limits, draft }) => checkDraft(limits, draft) ?? null);
    process.stdout.write(JSON.stringify({ channels: CHANNELS, answers }));`;
  const output = execFileSync(process.execPath, ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', '--input-type=module', '-e', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const { channels, answers } = JSON.parse(output) as { channels: string[]; answers: unknown[] };
  expect(channels).toEqual(['web', 'sms', 'whatsapp', 'email', 'messenger', 'gbm']);
  const fromSource = cases.map(({ limits, draft }) => JSON.parse(JSON.stringify(checkDraft(limits, draft as Draft) ?? null)));
  expect(answers).toEqual(fromSource);
  expect(answers.filter((a) => a !== null).length).toBeGreaterThan(20);
});

describe('checkDraft', () => {
  const limits = limitsFor({ MAX_SMS_BODY_CHARS: '10' });
  const draft: Draft = { body: 'eleven char', author: { channel: 'web' }, recipients: ['web', 'sms'] };

  test('answers the 403 body of the webhook, or undefined for an allow', () => {
    expect(client.checkDraft(limits, draft)).toEqual({
      code: 'message.fanout.sms.body-chars',
      message: 'The message body is 11 characters; SMS delivery allows at most 10.',
      limit: 10,
      actual: 11,
      variable: 'MAX_SMS_BODY_CHARS',
      channel: 'sms',
    });
    expect(client.checkDraft(limits, { ...draft, recipients: ['web', 'whatsapp'] })).toBeUndefined();
  });

  test('in shadow mode allows everything, as the webhook does', () => {
    expect(client.checkDraft(limitsFor({ MAX_SMS_BODY_CHARS: '10', GUARD_MODE: 'shadow' }), draft)).toBeUndefined();
  });

  test('an inbound author follows INBOUND_POLICY: let through unless it is reject', () => {
    const inbound: Draft = { body: 'x'.repeat(40), author: { channel: 'sms' }, recipients: ['web'] };
    const tight = { MAX_CHAT_BODY_BYTES: '20' };
    expect(client.checkDraft(limitsFor(tight), inbound)).toBeUndefined();
    expect(client.checkDraft(limitsFor({ ...tight, INBOUND_POLICY: 'ignore' }), inbound)).toBeUndefined();
    expect(client.checkDraft(limitsFor({ ...tight, INBOUND_POLICY: 'reject' }), inbound)).toMatchObject({ code: 'message.body.bytes', limit: 20, actual: 40 });
  });

  test('takes Attributes as a string or an object; none is Twilio\'s "{}"', () => {
    const small = limitsFor({ MAX_MESSAGE_ATTRIBUTES_BYTES: '2' });
    expect(client.checkDraft(small, { ...draft, recipients: [] })).toBeUndefined();
    expect(client.checkDraft(small, { ...draft, recipients: [], attributes: { a: 1 } })).toMatchObject({ code: 'message.attributes.bytes', actual: 7 });
    expect(client.checkDraft(small, { ...draft, recipients: [], attributes: '{"a":1}' })).toMatchObject({ code: 'message.attributes.bytes', actual: 7 });
  });

  test.each([
    ['no limits', undefined, draft, /limits must be the JSON answer of GET \/limits/],
    ['limits of another kind', { limit: 1 }, draft, /limits must be/],
    ['an unknown author channel', limits, { ...draft, author: { channel: 'chat' } }, /author\.channel must be one of web, sms, whatsapp, email, messenger, gbm; got "chat"/],
    ['no recipients', limits, { ...draft, recipients: undefined }, /recipients must be an array/],
    ['an unknown recipient channel', limits, { ...draft, recipients: ['web', 'SMS'] }, /recipients\[1\] must be one of/],
    ['a size that is not a whole number of bytes', limits, { ...draft, media: [{ filename: 'a.jpg', size: 1.5 }] }, /media\[0\]\.size must be a whole number of bytes/],
  ])('refuses %s with a TypeError', (_what, given, input, message) => {
    expect(() => client.checkDraft(given as never, input as never)).toThrow(TypeError);
    expect(() => client.checkDraft(given as never, input as never)).toThrow(message);
  });
});
