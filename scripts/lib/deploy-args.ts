/**
 * The command line of `npm run deploy`: what this script reads, and what goes on to
 * `twilio-run deploy`. Every option twilio-run's deploy command documents passes through as written
 * (their definitions from twilio-run's own flag table); anything else is refused.
 */
import { ALL_FLAGS } from 'twilio-run/dist/flags';
import { parseCommandLine, type Cli } from './cli';
import { describeYargsOptions, passThrough, yargsOptions, type YargsOption } from './cli-passthrough';

/**
 * The options of `twilio-run deploy`: the names its cliInfo lists (twilio-run/dist/commands/deploy.js,
 * a module that loads the whole deploy client, so not read here; tests/scripts/deploy.test.ts holds
 * the two lists equal).
 */
export const TWILIO_RUN_DEPLOY_OPTIONS = ['log-level', 'config', 'cwd', 'env', 'region', 'edge', 'username', 'password', 'load-system-env', 'service-sid', 'environment', 'service-name', 'override-existing-project', 'force', 'functions', 'assets', 'assets-folder', 'functions-folder', 'runtime', 'output-format', 'production'] as const;

const TWILIO_RUN_DEPLOY: Readonly<Record<string, YargsOption>> = Object.fromEntries(
  TWILIO_RUN_DEPLOY_OPTIONS.map((name) => [name, ALL_FLAGS[name as keyof typeof ALL_FLAGS] as YargsOption]),
);

export const DEPLOY_CLI: Cli = {
  name: 'deploy',
  usage: `Usage: npm run deploy [-- options]

Checks the configuration (.env, with guard variables and credentials from the shell over it) and the
credentials, builds dist/, and deploys it with \`twilio-run deploy\` (runtime node22). Uploads the
variables of .env except the local-only ones. Nothing is built or uploaded when the configuration or
the credentials are wrong. Prints the webhook URLs at the end.

Options:
  --env <file>           The .env file to read. Default: .env at the project root.
  -h, --help             Show this text; deploys nothing.

Every option of twilio-run deploy passes through, a switch also as --no-<name> (twilio-run checks
the values):
${describeYargsOptions(TWILIO_RUN_DEPLOY, ['env'])}

Examples:
  npm run deploy                                          # ACCOUNT_SID and AUTH_TOKEN from .env
  npm run deploy -- --username SK… --password … --environment stage
  npm run deploy -- -o json > deploy.json                 # stdout is twilio-run's JSON alone`,
  options: yargsOptions(TWILIO_RUN_DEPLOY),
};

export interface DeployArguments {
  /** The `--env` file to read instead of `.env`; consumed here, since twilio-run gets a filtered copy. */
  envPath?: string;
  /** `--username` / `-u` and `--password`, as given; they are also passed on. */
  username?: string;
  password?: string;
  /** `--output-format json` / `-o json`: stdout must stay one JSON document. */
  json: boolean;
  /** Everything but `--env`, as written. */
  passOn: string[];
}

/** The deploy's arguments; throws a UsageError for an option twilio-run deploy does not document. */
export function parseDeployArguments(argv: readonly string[]): DeployArguments {
  return deployArguments(argv, parseCommandLine(DEPLOY_CLI, argv));
}

export function deployArguments(argv: readonly string[], { values, tokens }: ReturnType<typeof parseCommandLine>): DeployArguments {
  const last = (name: string) => [values[name]].flat().at(-1) as string | undefined;
  return {
    envPath: last('env'),
    username: last('username'),
    password: last('password'),
    json: last('output-format') === 'json',
    passOn: passThrough(argv, tokens, ['env']),
  };
}

/**
 * The arguments of `twilio-run deploy`. `--override-existing-project` lets a fresh checkout (CI, no
 * `.twiliodeployinfo`) deploy to the service an earlier deploy created instead of stopping on the
 * name conflict; an explicit `--no-override-existing-project` or `--force` is respected.
 */
export function twilioRunArguments(envFile: string, passOn: string[]): string[] {
  const decided = passOn.some((arg) => /^--(no-)?override-existing-project(=|$)/.test(arg) || /^--force(=|$)/.test(arg));
  return ['deploy', '--env', envFile, ...(decided ? [] : ['--override-existing-project']), ...passOn];
}

const SID = /^(AC|SK)[0-9a-f]{32}$/i;

/** Where the deploy's credentials come from, or the one sentence saying what is missing. */
export type DeployCredentials =
  | { from: 'flags'; username: string }
  | { from: 'environment'; username: string; password: string }
  | { problem: string };

/**
 * An API key passed as `--username SK… --password <secret>` wins over ACCOUNT_SID/AUTH_TOKEN, as in
 * twilio-run; the two flags go together so an API key is never paired with an auth token.
 */
export function deployCredentials(args: Pick<DeployArguments, 'username' | 'password'>, account: { accountSid: string; authToken: string }): DeployCredentials {
  if (args.username !== undefined || args.password !== undefined) {
    if (!args.username || !args.password) return { problem: 'Pass --username and --password together: an API key SID (SK…) and its secret, or an Account SID (AC…) and its auth token.' };
    if (!SID.test(args.username)) return { problem: `--username ${args.username} is neither an API key SID (SK…) nor an Account SID (AC…).` };
    return { from: 'flags', username: args.username };
  }
  if (!account.accountSid || !account.authToken) {
    return { problem: 'No Twilio credentials to deploy with: set ACCOUNT_SID and AUTH_TOKEN in .env (or in the shell), or pass an API key with --username SK… --password <secret>.' };
  }
  if (!/^AC[0-9a-f]{32}$/i.test(account.accountSid)) return { problem: `ACCOUNT_SID=${account.accountSid} is not an Account SID (AC followed by 32 hexadecimal digits).` };
  return { from: 'environment', username: account.accountSid, password: account.authToken };
}
