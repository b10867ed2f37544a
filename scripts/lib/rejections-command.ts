/**
 * `npm run rejections`: searches the rejection log the deployed guard keeps in Sync, with the same
 * search as GET /status?conversation=… (src/guard/rejection-log/search.ts), and prints the records as
 * a table or as /status's JSON. Read-only: it lists Sync Map items and writes nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../src/guard/config/variables';
import { LOGGED_OUTCOMES } from '../../src/guard/rejection-log/record';
import { MAX_RECORDS_PER_FLUSH } from '../../src/guard/rejection-log/buffer';
import { parseLogQuery, QUERY_PARAMETERS } from '../../src/guard/rejection-log/query';
import type { LogQuery } from '../../src/guard/rejection-log/search';
import type { SearchAnswer } from '../../src/guard/status';
import { UsageError, type Cli, type CommandLine, type Out } from './cli';
import { hasRealCredentials, readDotenvUnderShell } from './dotenv';

const OPTIONS = {
  conversation: { type: 'string' },
  identity: { type: 'string' },
  rule: { type: 'string' },
  outcome: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  env: { type: 'string' },
} as const satisfies Record<(typeof QUERY_PARAMETERS)[number], unknown> & Record<string, unknown>;

/** Records shown by default: as many as /status answers. */
export const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
/**
 * Pages of each log Map read one after another, at most (100 batches a page). /status reads 5 within
 * Twilio's webhook wait; a script has no such wait.
 */
const SCRIPT_PAGES = 100;
/** Reasons are cut to this many characters so the table stays readable in a terminal. */
const REASON_WIDTH = 140;

export const REJECTIONS_CLI: Cli<typeof OPTIONS> = {
  name: 'rejections',
  options: OPTIONS,
  usage: `Usage: npm run rejections -- [filters] [options]

Searches the rejection log the guard keeps in Sync (every decision that is not a plain allow, masked
as REJECTION_LOG says) exactly as GET /status?conversation=… does, and prints the newest matching
records: time, outcome, rule, conversation, author, channel and reason, then how many records were
dropped at the per-flush cap. Read-only. It reads the Sync service SYNC_SERVICE_SID with ACCOUNT_SID
and AUTH_TOKEN; with TWILIO_API_BASE_URL, that origin instead (the local emulator); with neither
credentials nor TWILIO_API_BASE_URL, the emulator npm start runs on EMULATOR_PORT (default 4010).
Records an instance holds for its next flush (about one per STATUS_FLUSH_INTERVAL) are not in Sync yet.

Filters (every one given must match):
  --conversation <CH…>  one conversation
  --identity <id>       a chat identity or an address (+15551230001, whatsapp:+15551230002,
                        someone@example.com); masked records match the same number masked
  --rule <id>           a rule id, such as message.body.bytes or rate.bot-loop
  --outcome <outcome>   ${LOGGED_OUTCOMES.join(', ')}
  --since <when>        a duration back from now (1h, 30m, 7d) or a date (2026-12-01,
                        2026-12-01T09:30:00Z)

Options:
  --limit <n>           the newest n records (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})
  --json                print /status's JSON: { records (newest first, ISO times), dropped, complete }
  --env <file>          credentials, TWILIO_API_BASE_URL and the guard's settings (default .env);
                        a variable set in the shell wins over the file
  -h, --help            this text

Examples:
  npm run rejections -- --conversation CH0123456789abcdef0123456789abcdef
  npm run rejections -- --identity +15551230001 --since 1h --json

Exit status: 0 the search read every log Map, 1 it could not (what was read is printed, with why),
2 invalid input.`,
};

export interface RejectionsDeps {
  /** The project root: .env is read from here unless --env names another file. */
  root: string;
  /** The shell's environment: a variable set (not empty) there wins over the .env file. */
  shellEnv?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

function limitOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIMIT) throw new UsageError(`--limit ${value}: expected a whole number from 1 to ${MAX_LIMIT}.`);
  return Number(value);
}

/** The filters as /status reads them from its query string, with its sentences, naming the flags. */
function queryOf(values: CommandLine<typeof OPTIONS>['values'], now: number): LogQuery {
  const given = Object.fromEntries(QUERY_PARAMETERS.flatMap((name) => (values[name] === undefined ? [] : [[name, values[name]!]])));
  const query = parseLogQuery(given, now);
  if (query && 'error' in query) throw new UsageError(query.error.replace(/^(\w+)[= ]/, '--$1 '));
  return query ?? {};
}

/** Where the script reads Sync: TWILIO_API_BASE_URL, Twilio itself, or the emulator npm start runs. */
function apiOf(env: Record<string, string>, settings: Settings): { baseUrl: string | undefined; where: string } {
  if (settings.TWILIO_API_BASE_URL) return { baseUrl: settings.TWILIO_API_BASE_URL, where: `${settings.TWILIO_API_BASE_URL} (TWILIO_API_BASE_URL)` };
  if (hasRealCredentials(env)) return { baseUrl: undefined, where: `Twilio, account ${env.ACCOUNT_SID}` };
  const baseUrl = `http://127.0.0.1:${env.EMULATOR_PORT || 4010}`;
  return { baseUrl, where: `${baseUrl}, the emulator npm start runs (no Twilio credentials and no TWILIO_API_BASE_URL)` };
}

export async function rejections(args: CommandLine<typeof OPTIONS>, out: Out, deps: RejectionsDeps): Promise<number> {
  const { values } = args;
  const now = (deps.now ?? Date.now)();
  const limit = limitOf(values.limit);
  const query = queryOf(values, now);
  const envFile = values.env ?? join(deps.root, '.env');
  if (values.env !== undefined && !existsSync(envFile)) throw new UsageError(`--env ${values.env}: no such file.`);
  const env = readDotenvUnderShell(envFile, deps.shellEnv ?? {});

  // Loaded only now: the twilio SDK takes a while to load, and --help or a wrong option need not wait.
  const { ConfigError } = require('../../src/guard/config/errors') as typeof import('../../src/guard/config/errors');
  const { parseSettings } = require('../../src/guard/config/load') as typeof import('../../src/guard/config/load');
  const { servicesFor } = require('../../src/guard/runtime/wiring') as typeof import('../../src/guard/runtime/wiring');
  const { searchLog } = require('../../src/guard/rejection-log/search') as typeof import('../../src/guard/rejection-log/search');
  const { searchAnswer } = require('../../src/guard/status') as typeof import('../../src/guard/status');

  let settings: Settings;
  try {
    settings = parseSettings(env, envFile);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.error(`rejections: ${error.message}`);
    return 1;
  }
  const { baseUrl, where } = apiOf(env, settings);
  out.error(`rejections: reading the rejection log in Sync service ${settings.SYNC_SERVICE_SID} at ${where}.`);
  if (settings.REJECTION_LOG === 'off') out.error(`rejections: REJECTION_LOG is off in ${envFile}: a guard deployed with it keeps no new records.`);

  const found = await searchLog(query, {
    store: servicesFor(env, { ...settings, TWILIO_API_BASE_URL: baseUrl }).logStore(),
    shards: settings.STATUS_SHARDS,
    now,
    ttlMs: settings.REJECTION_LOG_TTL,
    limit,
    maxPages: SCRIPT_PAGES,
  });
  const answer = searchAnswer(found, settings.REJECTION_LOG);
  out.log(values.json ? JSON.stringify(answer, null, 2) : formatRejections(answer, limit));
  return answer.complete ? 0 : 1;
}

// Control characters (an identity or file name may hold ESC sequences) never reach the terminal.
const cell = (text: string | undefined) => (text ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\|/g, '\\|').replace(/\s+/g, ' ');
const truncate = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

/** The records as a Markdown table (columns padded, so it reads as plain text too), then the dropped count and why the search is incomplete. */
export function formatRejections(answer: SearchAnswer, limit: number = DEFAULT_LIMIT): string {
  const lines: string[] = [];
  if (answer.records.length === 0) {
    lines.push('No records match.');
  } else {
    const header = ['time', 'outcome', 'rule', 'conversation', 'author', 'channel', 'reason'];
    const rows = answer.records.map((r) => [r.at, r.outcome, r.rule, r.conversationSid, r.author, r.channel, truncate(r.reason, REASON_WIDTH)].map(cell));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (row: readonly string[]) => `| ${row.map((value, i) => value.padEnd(widths[i]!)).join(' | ')} |`;
    lines.push(line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line), '');
    const count = answer.records.length;
    lines.push(`${count} record${count === 1 ? '' : 's'}, newest first${count === limit ? ` (the newest ${limit}; --limit shows more)` : ''}.`);
  }
  lines.push(
    answer.dropped === 0
      ? 'No record was dropped in the batches read.'
      : `${answer.dropped} record${answer.dropped === 1 ? ' was' : 's were'} dropped, not kept, in the batches read: an instance keeps at most ${MAX_RECORDS_PER_FLUSH} per flush (STATUS_FLUSH_INTERVAL), and counts the rest without knowing what they were.`,
  );
  if (answer.incomplete) lines.push(answer.incomplete);
  return lines.join('\n');
}
