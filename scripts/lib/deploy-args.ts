/** The command line of `npm run deploy`: what this script reads, and what goes on to `twilio-run deploy`. */
export interface DeployArguments {
  /** The `--env` file to read instead of `.env`; consumed here, since twilio-run gets a filtered copy. */
  envPath?: string;
  /** `--username` / `-u` and `--password`, as given; they are also passed on. */
  username?: string;
  password?: string;
  /** `--output-format json` / `-o json`: stdout must stay one JSON document. */
  json: boolean;
  /** Everything but `--env`, in order. */
  passOn: string[];
}

/** The value of a flag given as `--flag value` or `--flag=value`, and how many arguments it took. */
function flagValue(args: string[], i: number, names: string[]): { value: string; taken: number } | undefined {
  const arg = args[i]!;
  for (const name of names) {
    if (arg === name && i + 1 < args.length) return { value: args[i + 1]!, taken: 2 };
    if (arg.startsWith(`${name}=`)) return { value: arg.slice(name.length + 1), taken: 1 };
  }
  return undefined;
}

export function parseDeployArguments(args: string[]): DeployArguments {
  const parsed: DeployArguments = { json: false, passOn: [] };
  for (let i = 0; i < args.length; ) {
    const env = flagValue(args, i, ['--env']);
    if (env) {
      parsed.envPath = env.value;
      i += env.taken;
      continue;
    }
    const username = flagValue(args, i, ['--username', '-u']);
    const password = flagValue(args, i, ['--password']);
    const format = flagValue(args, i, ['--output-format', '-o']);
    if (username) parsed.username = username.value;
    if (password) parsed.password = password.value;
    if (format) parsed.json = format.value === 'json';
    const taken = username?.taken ?? password?.taken ?? format?.taken ?? 1;
    parsed.passOn.push(...args.slice(i, i + taken));
    i += taken;
  }
  return parsed;
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
