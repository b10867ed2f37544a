import { createHash } from 'node:crypto';
import { version as packageVersion } from '../../package.json';
import { ConfigError } from './config/errors';
import { settingsFor, type Environment } from './config/load';
import type { RawEvent } from './event/parse';
import type { Answer } from './http/answer';
import type { Logger } from './log';
import { publishLimits } from './published-limits';
import { messageSettingsOf } from './rules/message-settings';

export interface LimitsRequest {
  event: RawEvent;
  env: Environment;
}

/** Any page may read the limits: they are what Twilio's own documentation publishes, as configured. */
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, OPTIONS',
  'Access-Control-Allow-Headers': 'Accept, Content-Type, If-None-Match',
  'Access-Control-Max-Age': '86400',
} as const;

/** A minute: a changed limit reaches browsers within a minute of a deploy, and a page does not ask on every draft. */
export const LIMITS_CACHE_CONTROL = 'public, max-age=60';

const headersOf = (event: RawEvent) => ((event.request as { headers?: Record<string, unknown> } | undefined)?.headers ?? {}) as Record<string, unknown>;

/**
 * GET /limits: the effective message limits as JSON ({@link publishLimits}), public and cacheable,
 * for a page to judge a draft with the limits-client module before sending it. A CORS preflight
 * (a request carrying Access-Control-Request-Method) is answered 204; the Functions runtime answers
 * most preflights itself before the function runs.
 */
export function handleLimits(request: LimitsRequest, deps: { log: Logger }): Answer {
  if (headersOf(request.event)['access-control-request-method'] !== undefined) {
    return { status: 204, body: {}, headers: { ...CORS, 'Cache-Control': LIMITS_CACHE_CONTROL } };
  }
  let settings;
  try {
    settings = settingsFor(request.env);
  } catch (error) {
    // The variables' names only: a value could be anything, a secret pasted in the wrong place included.
    const variables = error instanceof ConfigError ? error.problems.map((p) => p.variable) : [];
    deps.log({ warning: 'limits: invalid configuration', variables });
    return {
      status: 503,
      headers: { ...CORS, 'Cache-Control': 'no-store' },
      body: {
        code: 'limits.unavailable',
        message: `The guard's configuration is invalid${variables.length > 0 ? ` (${variables.join(', ')})` : ''}: the webhook answers per FAIL_MODE until it is fixed, so no draft can be judged.`,
      },
    };
  }
  const published = messageSettingsOf(settings);
  const digest = createHash('sha256').update(`${packageVersion}\n${JSON.stringify(published)}`).digest('hex').slice(0, 12);
  const etag = `"${digest}"`;
  if (headersOf(request.event)['if-none-match'] === etag) {
    return { status: 304, body: {}, headers: { ...CORS, 'Cache-Control': LIMITS_CACHE_CONTROL, ETag: etag } };
  }
  return {
    status: 200,
    headers: { ...CORS, 'Cache-Control': LIMITS_CACHE_CONTROL, ETag: etag },
    body: publishLimits(published, `${packageVersion}+${digest}`) as unknown as Record<string, unknown>,
  };
}
