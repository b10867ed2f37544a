/**
 * The command line of every project script (`npm run <script> -- …`), on `node:util` parseArgs with
 * strict checking: `-h`/`--help` prints the script's usage to stdout and exits 0 before it does
 * anything; an unknown option, an option without its value or a stray argument exits 2 with one
 * sentence naming it on stderr, then the usage, also before anything is done.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_USAGE = 2;

/** A mistake on the command line: one sentence (without the script's name), exit status 2. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Cli<O extends Options = Options> {
  /** The script's name as `npm run` knows it: the first word of every error sentence. */
  name: string;
  /** What --help prints: what the script does, its options, an example or two. */
  usage: string;
  options: O;
  /** Arguments that are not options (send-event's Key=Value, check-config's file); refused otherwise. */
  positionals?: boolean;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export function parseCommandLine<O extends Options>(cli: Cli<O>, argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: { ...cli.options, ...HELP }, allowPositionals: cli.positionals ?? false, strict: true, tokens: true });
  } catch (error) {
    throw new UsageError(sentenceOf(error instanceof Error ? error.message : String(error)));
  }
}

export type CommandLine<O extends Options> = ReturnType<typeof parseCommandLine<O>>;

/** parseArgs' messages (in jest's sandbox prefixed with the error's name and code), as one sentence naming the option or argument. */
function sentenceOf(message: string): string {
  const flag = /'(?:-\w, )?(--?[^\s'=]+)/.exec(message)?.[1];
  if (/Unknown option/.test(message)) return `unknown option ${flag}; see --help.`;
  if (/argument missing/.test(message)) return `option ${flag} needs a value; see --help.`;
  if (/argument is ambiguous/.test(message)) return `option ${flag} needs a value (write ${flag}=-… for one that starts with -); see --help.`;
  if (/does not take an argument/.test(message)) return `option ${flag} takes no value; see --help.`;
  const positional = /Unexpected argument '([^']*)'/.exec(message);
  if (positional) return `unexpected argument ${positional[1]}; see --help.`;
  return `${message.replace(/^\w*Error \[\w+\]: /, '').split('\n')[0]}; see --help.`;
}

export interface Out {
  log(text: string): void;
  error(text: string): void;
}

/**
 * Parses `argv` and runs `main` with it, unless it asks for help or is wrong; a UsageError thrown by
 * `main` (a value of the wrong form) is reported the same way: its sentence first, then a blank line
 * and the usage, on stderr. Resolves to the exit status.
 */
export async function runCommand<O extends Options>(
  cli: Cli<O>,
  argv: readonly string[],
  main: (args: CommandLine<O>, out: Out) => Promise<number | void> | number | void,
  out: Out = console,
): Promise<number> {
  try {
    const args = parseCommandLine(cli, argv);
    if ((args.values as { help?: boolean }).help) {
      out.log(cli.usage);
      return 0;
    }
    return (await main(args, out)) ?? 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out.error(`${cli.name}: ${error.message}\n\n${cli.usage}`);
    return EXIT_USAGE;
  }
}

/**
 * {@link runCommand} on this process's arguments, setting its exit status. Any other error exits 1:
 * a plain Error is a message for the user, printed alone; anything else (a TypeError…) with its stack.
 */
export function runScript<O extends Options>(cli: Cli<O>, main: (args: CommandLine<O>, out: Out) => Promise<number | void> | number | void): void {
  runCommand(cli, process.argv.slice(2), main).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error && error.constructor === Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
