import { ConfigError } from './config/errors';
import { parseSettings, type Environment } from './config/load';
import { SECRETS } from './config/local-only';
import { VARIABLES, type Settings, type VariableName } from './config/variables';
import type { RawEvent } from './event/parse';
import type { Answer } from './http/answer';
import { isBasicAuthPassword } from './http/basic-auth';
import type { Logger } from './log';
import { emptyCounts, merge, totals, type RejectionCounts, type Totals } from './stats/counts';

export interface StatusRequest {
  event: RawEvent;
  env: Environment;
  /** The function's URL path, /status. */
  path: string;
}

export interface StatusDeps {
  log: Logger;
  /** Every shard of the rejection counts, summed. */
  readCounts: (settings: Settings) => Promise<RejectionCounts>;
  /**
   * The rejections the instance answering has counted but not written to Sync yet (they wait for
   * the next flush, up to STATUS_FLUSH_INTERVAL): added to what Sync holds. Read after Sync.
   */
  unflushed?: () => RejectionCounts;
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
  const password = request.env.STATUS_PASSWORD;
  if (typeof password !== 'string' || password.trim() === '') {
    return { status: 404, body: { code: 'status.off', message: STATUS_OFF } };
  }
  const headers = (request.event.request as { headers?: Record<string, unknown> } | undefined)?.headers ?? {};
  if (!isBasicAuthPassword(headers.authorization, password.trim())) {
    return {
      status: 401,
      headers: { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` },
      body: { code: 'status.unauthorized', message: 'Sign in with any user name and the STATUS_PASSWORD of the guard\'s environment.' },
    };
  }

  const now = deps.now ?? Date.now;
  const configuration = configurationRows(request.env);
  let settings: Settings | undefined;
  let configurationError: string | undefined;
  try {
    settings = parseSettings(request.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configurationError = error.message;
  }
  const body: Record<string, unknown> = {
    generatedAt: new Date(now()).toISOString(),
    mode: settings?.GUARD_MODE ?? valueOf(configuration, 'GUARD_MODE'),
    failMode: settings?.FAIL_MODE ?? valueOf(configuration, 'FAIL_MODE'),
    ...(configurationError && { configurationError }),
    configuration,
  };
  const counted = await rejections(settings, deps, now);
  body.counters = {
    enabled: valueOf(configuration, 'STATUS_COUNTERS') === 'on',
    flushInterval: valueOf(configuration, 'STATUS_FLUSH_INTERVAL'),
    shards: Number(valueOf(configuration, 'STATUS_SHARDS')),
    unflushedHere: counted.unflushedHere,
    note: 'Each instance adds its counts to Sync at most once per flush interval. The counts include those the instance answering has not flushed yet; the most recent rejections of other instances may not be counted yet.',
  };
  body.rejections = counted.rejections;
  return { status: 200, body };
}

async function rejections(settings: Settings | undefined, deps: StatusDeps, now: () => number): Promise<{ rejections: Totals | { error: string }; unflushedHere: number }> {
  if (!settings) return { rejections: { error: 'the configuration is invalid, so the counters cannot be read' }, unflushedHere: 0 };
  try {
    const stored = await deps.readCounts(settings);
    // After Sync: a flush landing in between is then counted once (see RejectionRecorder.unflushed).
    const here = deps.unflushed?.() ?? emptyCounts();
    const at = now();
    const unflushedHere = totals(here, at).lastDay.reduce((sum, t) => sum + t.enforced + t.shadow, 0);
    return { rejections: totals(merge(stored, here), at), unflushedHere };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    deps.log({ warning: 'status: rejection counts unreadable', error: reason });
    return { rejections: { error: `the counters could not be read from Sync (${reason})` }, unflushedHere: 0 };
  }
}

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
