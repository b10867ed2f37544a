import { ConfigError } from './config/errors';
import { parseSettings, type Environment } from './config/load';
import { SECRETS } from './config/local-only';
import { INVALID, MIN_PASSWORD_CHARS } from './config/parsers';
import { VARIABLES, type Settings, type VariableName } from './config/variables';
import { abortAfter, DeadlineExceededError, runUnder, withDeadline } from './deadline';
import type { RawEvent } from './event/parse';
import type { Answer } from './http/answer';
import { isBasicAuthPassword } from './http/basic-auth';
import type { Logger } from './log';
import { countsDocumentName } from './stats/recorder';
import { emptyCounts, merge, perHour, totals, type RejectionCounts, type Totals } from './stats/counts';
import type { LogQuery, LogSearch } from './rejection-log/search';
import type { LogRecord } from './rejection-log/record';
import { maskText } from './rejection-log/mask';
import { parseLogQuery } from './rejection-log/query';

export interface StatusRequest {
  event: RawEvent;
  env: Environment;
  /** The function's URL path, /status. */
  path: string;
}

export interface StatusDeps {
  log: Logger;
  /**
   * One shard document of the rejection counts (empty when it does not exist). Every shard is read
   * at once, within DECISION_TIMEOUT; `signal` aborts at the deadline.
   */
  readShard: (settings: Settings, shard: number, signal: AbortSignal) => Promise<RejectionCounts>;
  /**
   * The rejections the instance answering has counted but not written to Sync yet (they wait for
   * the next flush, up to STATUS_FLUSH_INTERVAL): added to what Sync holds. Read after Sync.
   */
  unflushed?: () => RejectionCounts;
  /**
   * The rejection log's newest records matching `query` (every shard, and what the instance answering
   * has not flushed), read within DECISION_TIMEOUT; `signal` aborts at the deadline.
   */
  searchLog?: (settings: Settings, query: LogQuery, signal: AbortSignal) => Promise<LogSearch>;
  now?: () => number;
}

/** One row of the effective configuration: never a credential, only the variables of the table. */
export interface ConfigurationRow {
  variable: VariableName;
  group: string;
  value: string;
  default: string;
  changed: boolean;
  description: string;
  source?: string;
}

const REALM = 'Conversations limits guard';

export const STATUS_OFF =
  'The status page is off. Turn it on by setting STATUS_PASSWORD in the environment (npm start: in .env; deployed: in .env before npm run deploy), then sign in with any user name and that password.';

/** Said to anyone, signed in or not: so it never tells more of the password than that it is too short. */
export const PASSWORD_TOO_SHORT = `The status page is off: its STATUS_PASSWORD is shorter than ${MIN_PASSWORD_CHARS} characters, and /status is public, with nothing limiting guesses. Set a random one of at least ${MIN_PASSWORD_CHARS} characters in the environment (npm start writes one; npm run check-config checks it).`;

/** A rejection count this answer is missing, and why: what the JSON and the page show. */
export interface IncompleteCounts {
  complete: false;
  /** One sentence per shard document that did not answer, naming it. */
  incomplete: string;
}

/**
 * GET /status: the effective configuration and the rejections per rule over the last hour and day,
 * behind its own password (STATUS_PASSWORD, HTTP Basic with any user name): the account's Auth Token
 * is never typed into a browser. Without STATUS_PASSWORD the status is off.
 */
export async function handleStatus(request: StatusRequest, deps: StatusDeps): Promise<Answer> {
  try {
    return await report(request, deps);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    deps.log({ warning: 'status: unexpected error', error: reason });
    return { status: 500, body: { code: 'status.error', message: `The status could not be built (${reason}).` } };
  }
}

async function report(request: StatusRequest, deps: StatusDeps): Promise<Answer> {
  const given = request.env.STATUS_PASSWORD;
  if (typeof given !== 'string' || given.trim() === '') {
    return { status: 404, body: { code: 'status.off', message: STATUS_OFF } };
  }
  const password = VARIABLES.STATUS_PASSWORD.parser.parse(given.trim());
  if (password === INVALID || password === undefined) {
    deps.log({ warning: 'status: off, STATUS_PASSWORD is too short', variable: 'STATUS_PASSWORD', expected: VARIABLES.STATUS_PASSWORD.parser.form });
    return { status: 404, body: { code: 'status.password-too-short', message: PASSWORD_TOO_SHORT } };
  }
  const headers = (request.event.request as { headers?: Record<string, unknown> } | undefined)?.headers ?? {};
  if (!isBasicAuthPassword(headers.authorization, password)) {
    return {
      status: 401,
      headers: { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` },
      body: { code: 'status.unauthorized', message: 'Sign in with any user name and the STATUS_PASSWORD of the guard\'s environment.' },
    };
  }

  const now = deps.now ?? Date.now;
  const query = parseLogQuery(request.event, now());
  if (query && 'error' in query) return { status: 400, body: { code: 'status.bad-query', message: query.error } };
  const configuration = configurationRows(request.env);
  let settings: Settings | undefined;
  let configurationError: string | undefined;
  try {
    settings = parseSettings(request.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configurationError = error.message;
  }
  if (query) return { status: 200, body: { ...(await searched(settings, query, deps)) } };
  const body: Record<string, unknown> = {
    generatedAt: new Date(now()).toISOString(),
    mode: settings?.GUARD_MODE ?? valueOf(configuration, 'GUARD_MODE'),
    failMode: settings?.FAIL_MODE ?? valueOf(configuration, 'FAIL_MODE'),
    ...(configurationError && { configurationError }),
    configuration,
  };
  const [counted, recent] = await Promise.all([rejections(settings, deps, now), searched(settings, {}, deps)]);
  body.counters = {
    enabled: valueOf(configuration, 'STATUS_COUNTERS') === 'on',
    flushInterval: valueOf(configuration, 'STATUS_FLUSH_INTERVAL'),
    shards: Number(valueOf(configuration, 'STATUS_SHARDS')),
    unflushedHere: counted.unflushedHere,
    note: 'Each instance adds its counts to Sync about once per flush interval (after a quiet spell, its first three at once). The counts include those the instance answering has not flushed yet; the most recent rejections of other instances may not be counted yet.',
  };
  body.rejections = counted.rejections;
  body.log = { privacy: valueOf(configuration, 'REJECTION_LOG'), keptFor: valueOf(configuration, 'REJECTION_LOG_TTL'), ...recent };
  return { status: 200, body };
}

/** A log search as /status answers it: records newest first, with ISO times. */
export interface SearchAnswer {
  records: Array<Omit<LogRecord, 'at'> & { at: string }>;
  dropped: number;
  complete: boolean;
  incomplete?: string;
  /** REJECTION_LOG=off: nothing is kept. */
  off?: true;
}

async function searched(settings: Settings | undefined, query: LogQuery, deps: StatusDeps): Promise<SearchAnswer | { error: string }> {
  if (!settings) return { error: 'the configuration is invalid, so the rejection log cannot be read' };
  if (settings.REJECTION_LOG === 'off' || !deps.searchLog) return { records: [], dropped: 0, complete: true, off: true };
  // Under the deadline's signal, which every Sync request carries: at DECISION_TIMEOUT the reads
  // still under way are abandoned, and the search answers with what it has, saying what it lacks.
  const deadline = abortAfter(settings.DECISION_TIMEOUT);
  let found: LogSearch;
  try {
    found = await runUnder({ signal: deadline.signal, at: Date.now() + settings.DECISION_TIMEOUT }, () => deps.searchLog!(settings, query, deadline.signal));
  } catch (error) {
    const why = `could not be read (${describe(error)})`;
    deps.log({ warning: 'status: rejection log not read', error: why });
    return { records: [], dropped: 0, complete: false, incomplete: `The rejection log ${why}; reload to try again.` };
  } finally {
    deadline.clear();
  }
  if (found.incomplete) deps.log({ warning: 'status: rejection log search incomplete', error: found.incomplete });
  return searchAnswer(found, settings.REJECTION_LOG);
}

/**
 * A log search as /status answers it, and as `npm run rejections -- --json` prints it. Under
 * REJECTION_LOG=masked what is shown is masked again: records kept while the log was `full` (for up
 * to REJECTION_LOG_TTL) are then shown masked too. Masking a masked record changes nothing.
 */
export function searchAnswer(found: LogSearch, privacy: Settings['REJECTION_LOG']): SearchAnswer {
  const shown = (record: LogRecord): LogRecord =>
    privacy === 'full' ? record : { ...record, reason: maskText(record.reason), ...(record.author !== undefined && { author: maskText(record.author) }) };
  const records = found.records.map((record) => ({ ...shown(record), at: new Date(record.at).toISOString() }));
  return { records, dropped: found.dropped, complete: found.complete, ...(found.incomplete && { incomplete: found.incomplete }) };
}

type Rejections = (Totals & { perHour: ReturnType<typeof perHour> } & ({ complete: true } | IncompleteCounts)) | { error: string };

async function rejections(settings: Settings | undefined, deps: StatusDeps, now: () => number): Promise<{ rejections: Rejections; unflushedHere: number }> {
  if (!settings) return { rejections: { error: 'the configuration is invalid, so the counters cannot be read' }, unflushedHere: 0 };
  const read = await readShards(settings, deps);
  // After Sync: a flush landing in between is then counted once (see RejectionRecorder.unflushed).
  const here = deps.unflushed?.() ?? emptyCounts();
  const at = now();
  const unflushedHere = totals(here, at).lastDay.reduce((sum, t) => sum + t.enforced + t.shadow, 0);
  const merged = merge(read.counts, here);
  const counted = { ...totals(merged, at), perHour: perHour(merged, at) };
  if (read.missing.length === 0) return { rejections: { ...counted, complete: true }, unflushedHere };
  const incomplete = `The counts are incomplete: ${read.missing.join('; ')}. The rejections it holds are not counted here; reload to try again.`;
  deps.log({ warning: 'status: rejection counts incomplete', error: read.missing.join('; ') });
  return { rejections: { ...counted, complete: false, incomplete }, unflushedHere };
}

/**
 * Every shard of the rejection counts, read at once within DECISION_TIMEOUT, so /status answers in
 * time (a Function is stopped after 10 s) however slow Sync is: the shards that answered, summed,
 * and one sentence for each that did not.
 */
async function readShards(settings: Settings, deps: StatusDeps): Promise<{ counts: RejectionCounts; missing: string[] }> {
  const shards = Array.from({ length: settings.STATUS_SHARDS }, (_, shard) => shard);
  const read: (RejectionCounts | string | undefined)[] = shards.map(() => undefined);
  try {
    await withDeadline(settings.DECISION_TIMEOUT, (signal) =>
      Promise.all(
        shards.map((shard) =>
          // A readShard that throws at once (its store could not even be built) fails as one that rejects.
          new Promise<RejectionCounts>((resolve) => resolve(deps.readShard(settings, shard, signal))).then(
            (counts) => void (read[shard] = counts),
            // A read cut off by the deadline did not answer in time; anything else is its own failure.
            (error: unknown) => void (read[shard] = signal.aborted ? undefined : describe(error)),
          ),
        ),
      ),
    );
  } catch (error) {
    if (!(error instanceof DeadlineExceededError)) throw error;
  }
  const missing = shards.flatMap((shard) => {
    const result = read[shard];
    if (typeof result === 'object') return [];
    const name = countsDocumentName(shard);
    return [result === undefined ? `Sync document ${name} did not answer within DECISION_TIMEOUT (${settings.DECISION_TIMEOUT} ms)` : `Sync document ${name} could not be read (${result})`];
  });
  const counts = read.reduce<RejectionCounts>((sum, result) => (typeof result === 'object' ? merge(sum, result) : sum), emptyCounts());
  return { counts, missing };
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Each variable as set (trimmed), or its default. */
export function configurationRows(env: Environment): ConfigurationRow[] {
  return (Object.keys(VARIABLES) as VariableName[]).map((variable) => {
    const spec = VARIABLES[variable];
    const given = env[variable];
    const value = typeof given === 'string' && given.trim() !== '' ? given.trim() : spec.default;
    return {
      variable,
      group: spec.group,
      value: SECRETS.includes(variable) ? (value ? 'set' : '') : variable.endsWith('_BASE_URL') ? withoutUserInfo(value) : value,
      default: spec.default,
      changed: value !== spec.default,
      description: spec.description,
      ...(spec.source && { source: spec.source }),
    };
  });
}

const valueOf = (rows: ConfigurationRow[], name: VariableName) => rows.find((row) => row.variable === name)!.value;

/** A base URL could carry credentials (https://user:secret@host): never show them. */
function withoutUserInfo(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
