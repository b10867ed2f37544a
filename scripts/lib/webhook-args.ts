/**
 * Reads and checks the options of `npm run configure` (on the shared parser, scripts/lib/cli.ts).
 * Every problem becomes one sentence naming the flag (or variable), the value and the expected form;
 * nothing here touches the network.
 */
import { parseCommandLine, UsageError, type Cli, type CommandLine } from './cli';

const USAGE = `Usage: npm run configure -- --url <https://your-service-1234-dev.twil.io> [options]

Points Conversations pre-event and post-event webhooks at the deployed guard functions.

Options:
  --url <base URL>          Base URL of the deployed functions. Default: WEBHOOK_BASE_URL from .env.
  --service <IS…>           Configure this Conversations service. Default: the account-level
                            webhooks, which serve every service that has no webhooks of its own.
  --dry-run                 Print the plan and change nothing.
  --force                   Replace a PreWebhookUrl or PostWebhookUrl that points elsewhere
                            (or an account-level Target flex).
  -u, --username <AC…|SK…>  Account SID or API key SID. Default: ACCOUNT_SID.
  -p, --password <secret>   Auth token or API key secret. Default: AUTH_TOKEN.
  --env <path>              .env file to read. Default: .env at the project root.
  -h, --help                Show this text; changes nothing.

Examples:
  npm run configure -- --url https://your-service-1234-dev.twil.io --dry-run
  npm run configure -- --url https://your-service-1234-dev.twil.io --service ISxxxxxxxx

Exit status: 0 configured or nothing to change, 1 refused or Twilio failed, 2 invalid input.`;

const OPTIONS = {
  url: { type: 'string' },
  service: { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  username: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'p' },
  env: { type: 'string' },
} as const;

export const CONFIGURE_CLI: Cli<typeof OPTIONS> = { name: 'configure', usage: USAGE, options: OPTIONS, positionals: true };

export interface ConfigureOptions {
  /** Base URL of the deployed functions, without a trailing slash. */
  baseUrl: string;
  /** Where the base URL came from, for messages. */
  baseUrlSource: string;
  /** Absent for the account-level webhooks. */
  serviceSid?: string;
  dryRun: boolean;
  force: boolean;
  credentials: Credentials;
  /** TWILIO_API_BASE_URL: every REST request goes to this origin instead of Twilio. */
  apiBaseUrl?: string;
}

export interface Credentials {
  /** AC… or SK…. */
  username: string;
  password: string;
  accountSid: string;
}

export type ParsedArgs = { kind: 'help' } | { kind: 'options'; options: ConfigureOptions } | { kind: 'invalid'; message: string };

/** Stands in for credentials when an emulator answers instead of Twilio; it accepts any. */
const OFFLINE_ACCOUNT_SID = 'AC00000000000000000000000000000000';
const OFFLINE_AUTH_TOKEN = '00000000000000000000000000000000';

const SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);

/**
 * @param argv the arguments after the script name
 * @param env the variables the script sees: the environment over the .env file
 */
export function parseConfigureArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  try {
    const args = parseCommandLine(CONFIGURE_CLI, argv);
    return args.values.help ? { kind: 'help' } : { kind: 'options', options: configureOptions(args, env) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'invalid', message: error.message };
    throw error;
  }
}

/** The options of a parsed command line; throws a UsageError naming the flag or variable that is wrong. */
export function configureOptions({ values, positionals }: CommandLine<typeof OPTIONS>, env: Readonly<Record<string, string | undefined>>): ConfigureOptions {
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}": every option is a flag, such as --url ${positionals[0]}.`);
  const fromFlag = values.url !== undefined;
  const rawUrl = fromFlag ? values.url! : nonEmpty(env.WEBHOOK_BASE_URL);
  if (rawUrl === undefined) {
    throw new UsageError('--url is required: the base URL of the deployed functions, such as https://your-service-1234-dev.twil.io (or set WEBHOOK_BASE_URL in .env).');
  }
  const baseUrlSource = fromFlag ? '--url' : 'WEBHOOK_BASE_URL';
  const apiBaseUrl = nonEmpty(env.TWILIO_API_BASE_URL);
  if (apiBaseUrl !== undefined) checkApiBaseUrl(apiBaseUrl);
  return {
    baseUrl: checkBaseUrl(rawUrl, baseUrlSource),
    baseUrlSource,
    ...(values.service !== undefined && { serviceSid: checkServiceSid(values.service) }),
    dryRun: values['dry-run'] ?? false,
    force: values.force ?? false,
    credentials: credentialsOf(values.username, values.password, env, apiBaseUrl !== undefined),
    ...(apiBaseUrl !== undefined && { apiBaseUrl: apiBaseUrl.replace(/\/+$/, '') }),
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * A deployment's base URL: https (http only for a loopback host, which only a local test can use),
 * optionally with a path prefix such as a tunnel's, no query or fragment, no trailing slash.
 */
export function checkBaseUrl(raw: string, source: string): string {
  const expected = 'expected the https:// base URL of the deployed functions, such as https://your-service-1234-dev.twil.io';
  const value = raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} "${raw}": ${expected}.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new UsageError(`${source} "${raw}": ${expected} (http:// is accepted for localhost only).`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError(`${source} "${raw}": ${expected}, without query, fragment or credentials.`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  const fnPath = /\/conversations\/(pre|post)-event$/.exec(path);
  if (fnPath) {
    throw new UsageError(`${source} "${raw}": expected the base URL without the function path, here ${url.origin}${path.slice(0, fnPath.index)}.`);
  }
  return `${url.origin}${path}`;
}

function checkServiceSid(raw: string): string {
  const value = raw.trim();
  if (!SID('IS').test(value)) {
    throw new UsageError(`--service "${raw}": expected a Conversations service SID, IS followed by 32 hexadecimal digits.`);
  }
  return value;
}

function checkApiBaseUrl(raw: string): void {
  let ok = false;
  try {
    ok = /^https?:$/.test(new URL(raw).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new UsageError(`TWILIO_API_BASE_URL "${raw}": expected an http:// or https:// origin, such as http://127.0.0.1:4010.`);
}

/**
 * Like twilio-run: --username/--password first, then ACCOUNT_SID and AUTH_TOKEN. An API key
 * (SK…) needs the account's SID from ACCOUNT_SID.
 */
function credentialsOf(
  username: string | undefined,
  password: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  emulated: boolean,
): Credentials {
  if ((username === undefined) !== (password === undefined)) {
    throw new UsageError(username === undefined ? '--password needs --username (an Account SID or API key SID).' : '--username needs --password (the auth token or API key secret).');
  }
  const accountSid = nonEmpty(env.ACCOUNT_SID);
  if (accountSid !== undefined && !SID('AC').test(accountSid)) {
    throw new UsageError(`ACCOUNT_SID "${accountSid}": expected an Account SID, AC followed by 32 hexadecimal digits.`);
  }
  if (username !== undefined) {
    if (SID('AC').test(username)) return { username, password: password!, accountSid: username };
    if (!SID('SK').test(username)) {
      throw new UsageError(`--username "${username}": expected an Account SID (AC…) or an API key SID (SK…), 34 characters.`);
    }
    if (accountSid === undefined) throw new UsageError(`--username ${username} is an API key: set ACCOUNT_SID to the account it belongs to.`);
    return { username, password: password!, accountSid };
  }
  const authToken = nonEmpty(env.AUTH_TOKEN);
  if (accountSid !== undefined && authToken !== undefined) return { username: accountSid, password: authToken, accountSid };
  if (emulated) {
    const sid = accountSid ?? OFFLINE_ACCOUNT_SID;
    return { username: sid, password: authToken ?? OFFLINE_AUTH_TOKEN, accountSid: sid };
  }
  throw new UsageError('No Twilio credentials: set ACCOUNT_SID and AUTH_TOKEN in .env, or pass --username and --password.');
}

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());
