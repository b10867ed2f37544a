/**
 * `npm run rejections` as an operator runs it against the emulator: the log is seeded through the real
 * flush (signed webhooks to the pre-event function in the local runtime, one warm instance, every
 * decision flushing), then the command (in process, and once as the real script) must print exactly
 * the records GET /status?conversation=… answers for each conversation, as a table and as JSON.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { runCommand } from '../../scripts/lib/cli';
import { formatRejections, REJECTIONS_CLI, rejections } from '../../scripts/lib/rejections-command';
import { QUERY_PARAMETERS } from '../../src/guard/rejection-log/query';
import { ACCOUNT_SID, CHAT_SERVICE_SID, messageAdd } from '../support/events';
import { file, mediaField } from '../support/media';
import { PRE_EVENT_PATH, startRuntime, type Runtime } from '../support/runtime';
import { runtimeEnv } from '../support/state-emulator';
import { STATUS_PASSWORD, statusBasicAuth } from '../support/status-client';
import { AUTH_TOKEN } from '../support/twilio-request';

const MiB = 1024 * 1024;
const TSX_CLI = require.resolve('tsx/cli');
const ROOT = join(__dirname, '..', '..');

let emulator: Emulator;
let runtime: Runtime;
let dir: string;
let envFile: string;
let conversations: { a: string; b: string };

interface Printed {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command in process, reading `envFile` and nothing of this shell. */
async function run(argv: string[], file = envFile): Promise<Printed> {
  const printed = { stdout: '', stderr: '' };
  const out = { log: (text: string) => void (printed.stdout += `${text}\n`), error: (text: string) => void (printed.stderr += `${text}\n`) };
  const code = await runCommand(REJECTIONS_CLI, [...argv, '--env', file], (args, o) => rejections(args, o, { root: dir, shellEnv: {} }), out);
  return { code, ...printed };
}

async function status(query: Record<string, string>) {
  const res = await fetch(`${runtime.url}/status?${new URLSearchParams(query)}`, { headers: { Accept: 'application/json', Authorization: statusBasicAuth() } });
  expect(res.status).toBe(200);
  return (await res.json()) as { records: Array<Record<string, string>>; dropped: number; complete: boolean };
}

/** The rows of the printed table, each as its cells. */
const tableRows = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => /^\| \d{4}-/.test(line))
    .map((line) => line.slice(2, -2).split(' | ').map((value) => value.trim()));

beforeAll(async () => {
  emulator = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), 'rejections-'));
  envFile = join(dir, 'guard.env');
  // What an operator's .env holds after `npm start` against this emulator.
  writeFileSync(envFile, `ACCOUNT_SID=${ACCOUNT_SID}\nAUTH_TOKEN=${AUTH_TOKEN}\nTWILIO_API_BASE_URL=${emulator.url}\n`);
  conversations = {
    a: emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID, friendlyName: 'a' }),
    b: emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID, friendlyName: 'b' }),
  };
  // Every decision flushes its own records (STATUS_FLUSH_INTERVAL=1ms), to one of two log Maps.
  runtime = await startRuntime(runtimeEnv(emulator, { STATUS_PASSWORD, MAX_CHAT_BODY_BYTES: '10', STATUS_FLUSH_INTERVAL: '1ms' }), { forkProcess: false });
  const { a, b } = conversations;
  const over = 'x'.repeat(11);
  const sent: Array<[Record<string, string>, number]> = [
    [messageAdd({ ConversationSid: a, Body: over }), 403], // chat: reject
    [messageAdd({ ConversationSid: a, Media: mediaField([file('jpg', 2 * MiB + 1)]) }, 'sms'), 200], // inbound SMS: annotate
    [messageAdd({ ConversationSid: a, Source: 'API', Author: 'system', Body: over }), 403], // REST API: reject
    [messageAdd({ ConversationSid: a, Media: '{' }), 200], // malformed
    [messageAdd({ ConversationSid: b, Media: mediaField([file('jpg', 16 * MiB + 1)]) }, 'whatsapp'), 200], // inbound WhatsApp: annotate
    [messageAdd({ ConversationSid: b, Author: 'bob', ClientIdentity: 'bob', Body: over }), 403], // chat: reject
    [messageAdd({ ConversationSid: a, Body: over }, 'sms'), 200], // inbound SMS: annotate
    [messageAdd({ ConversationSid: b, Body: 'short' }), 200], // a plain allow: no record
  ];
  for (const [params, expected] of sent) expect((await runtime.post(PRE_EVENT_PATH, params)).status).toBe(expected);
  // A flush still out when its decision answered (past its 1 s budget) goes with a later decision.
  const inSync = async () => (JSON.parse((await run(['--json'])).stdout) as { records: unknown[] }).records.length;
  for (let attempt = 0; (await inSync()) < 7; attempt++) {
    if (attempt === 100) throw new Error('the records never all reached Sync');
    await runtime.post(PRE_EVENT_PATH, messageAdd({ ConversationSid: a, Body: 'short' }));
  }
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(['a', 'b'] as const)('conversation %s', (which) => {
  it('--json prints exactly what /status?conversation= answers', async () => {
    const sid = conversations[which];
    const expected = await status({ conversation: sid });
    expect(expected.records.length).toBe(which === 'a' ? 5 : 2);
    expect(expected.records.every((r) => r.conversationSid === sid)).toBe(true);
    const printed = await run(['--conversation', sid, '--json']);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(expected);
  });

  it('the table holds the same records, newest first, then the dropped count', async () => {
    const sid = conversations[which];
    const expected = await status({ conversation: sid });
    const printed = await run(['--conversation', sid]);
    expect(printed.code).toBe(0);
    expect(tableRows(printed.stdout)).toEqual(expected.records.map((r) => [r.at, r.outcome, r.rule, r.conversationSid, r.author ?? '', r.channel ?? '', r.reason!.length > 140 ? `${r.reason!.slice(0, 139)}…` : r.reason]));
    expect(printed.stdout).toContain(`\n${expected.records.length} records, newest first.\nNo record was dropped in the batches read.\n`);
  });
});

it('holds records of several kinds, the SMS author masked, and narrows by identity, rule and outcome as /status does', async () => {
  const all = JSON.parse((await run(['--json'])).stdout) as { records: Array<Record<string, string>> };
  expect(new Set(all.records.map((r) => `${r.outcome} ${r.rule}`))).toEqual(
    new Set(['reject message.body.bytes', 'annotate message.body.bytes', 'annotate message.media.file-size', 'malformed request.malformed']),
  );
  expect(new Set(all.records.map((r) => r.channel ?? 'none'))).toEqual(new Set(['web', 'sms', 'whatsapp', 'none']));
  expect(all.records.map((r) => r.author)).toContain('whatsapp:+1•••••0002');
  expect(all.records.map((r) => r.author)).toContain('+1•••••0001');
  expect(JSON.stringify(all)).not.toContain('+15551230001');
  const queries: Array<Record<string, string>> = [{ identity: '+15551230001' }, { identity: 'bob' }, { rule: 'message.body.bytes' }, { outcome: 'annotate' }, { conversation: conversations.a, outcome: 'reject' }, { since: '1h' }];
  for (const query of queries) {
    const argv = Object.entries(query).flatMap(([name, value]) => [`--${name}`, value]);
    expect(JSON.parse((await run([...argv, '--json'])).stdout)).toEqual(await status(query));
  }
  const limited = await run(['--limit', '2']);
  expect(tableRows(limited.stdout)).toHaveLength(2);
  expect(limited.stdout).toContain('2 records, newest first (the newest 2; --limit shows more).');
});

it('runs as the real script, offline against the emulator, with the same answer', async () => {
  const { stdout, stderr, code } = await new Promise<Printed>((resolve) => {
    execFile(process.execPath, [TSX_CLI, join(ROOT, 'scripts', 'rejections.ts'), '--conversation', conversations.b, '--json', '--env', envFile], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 }, (error, out, err) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
    );
  });
  expect({ code, stderr }).toEqual({ code: 0, stderr: `rejections: reading the rejection log in Sync service default at ${emulator.url} (TWILIO_API_BASE_URL).\n` });
  expect(JSON.parse(stdout)).toEqual(await status({ conversation: conversations.b }));
}, 40_000);

it('says how many records were dropped at the per-flush cap, and why a search is incomplete', () => {
  const record = { at: '2026-12-04T10:00:00.000Z', instance: 'i', event: 'onMessageAdd', outcome: 'reject' as const, rule: 'r', reason: 'a | b' };
  expect(formatRejections({ records: [record], dropped: 1530, complete: false, incomplete: 'The search is incomplete: guard_rejection_log_1: …' }).split('\n').slice(2)).toEqual([
    '| 2026-12-04T10:00:00.000Z | reject  | r    |              |        |         | a \\| b |',
    '',
    '1 record, newest first.',
    '1530 records were dropped, not kept, in the batches read: an instance keeps at most 100 per flush (STATUS_FLUSH_INTERVAL), and counts the rest without knowing what they were.',
    'The search is incomplete: guard_rejection_log_1: …',
  ]);
});

describe('the command line', () => {
  it('takes every parameter /status takes, as a flag', () => {
    for (const name of QUERY_PARAMETERS) expect(REJECTIONS_CLI.options).toHaveProperty(name);
  });

  it('--help prints the usage and reads nothing', async () => {
    const from = emulator.log.length;
    expect(await run(['--help'])).toEqual({ code: 0, stdout: `${REJECTIONS_CLI.usage}\n`, stderr: '' });
    expect(emulator.log.length).toBe(from);
  });

  it.each([
    [['--colour'], 'rejections: unknown option --colour; see --help.'],
    [['--since', '1x'], 'rejections: --since 1x is neither a duration back from now (such as 1h, 30m or 7d) nor a date (such as 2026-12-01 or 2026-12-01T09:30:00Z).'],
    [['--since', '12'], 'rejections: --since 12 is neither a duration back from now (such as 1h, 30m or 7d) nor a date (such as 2026-12-01 or 2026-12-01T09:30:00Z).'],
    [['--outcome', 'allow'], 'rejections: --outcome allow is not one the log keeps: reject, shadow-reject, annotate, contended, fail-closed, fail-open, malformed.'],
    [['--conversation', ' '], 'rejections: --conversation must be given once, with a value.'],
    [['--limit', '0'], 'rejections: --limit 0: expected a whole number from 1 to 10000.'],
  ])('%j exits 2 with one sentence, then the usage, and reads nothing', async (argv, sentence) => {
    const from = emulator.log.length;
    expect(await run(argv)).toEqual({ code: 2, stdout: '', stderr: `${sentence}\n\n${REJECTIONS_CLI.usage}\n` });
    expect(emulator.log.length).toBe(from);
  });

  it('--env naming no file exits 2', async () => {
    expect((await run([], join(dir, 'missing.env'))).stderr).toMatch(/^rejections: --env .*missing\.env: no such file\.\n/);
  });

  it('a Sync it cannot reach: exit 1, the table empty and the sentence naming each log Map', async () => {
    const unreachable = join(dir, 'unreachable.env');
    writeFileSync(unreachable, `ACCOUNT_SID=${ACCOUNT_SID}\nAUTH_TOKEN=${AUTH_TOKEN}\nTWILIO_API_BASE_URL=http://127.0.0.1:1\n`);
    const printed = await run([], unreachable);
    expect(printed.code).toBe(1);
    expect(printed.stdout).toMatch(/^No records match\.\nNo record was dropped in the batches read\.\nThe search is incomplete: Sync Map guard_rejection_log_0 could not be read \(Sync list of guard_rejection_log_0 failed: .+\); Sync Map guard_rejection_log_1 could not be read \(Sync list of guard_rejection_log_1 failed: .+\)\.\n$/);
  });
});
