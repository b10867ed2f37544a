/**
 * For the scripts that wrap another tool's command line (`deploy`: twilio-run deploy, `test`: jest):
 * that tool's documented options, read from its own yargs option table, as parseArgs options, and
 * the arguments given for it, passed on exactly as they were written.
 */
import type { CommandLine, Options } from './cli';

/** One entry of a yargs option table, as twilio-run and jest-cli export theirs. */
export interface YargsOption {
  type?: string;
  alias?: string | readonly string[];
  hidden?: boolean;
  describe?: string;
  description?: string;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The options of a yargs table as yargs accepts them: each name and its kebab-case form, its aliases
 * (a one-letter alias as a short option), and `--no-<name>` for a boolean. Values are not checked
 * here: the tool checks them.
 */
export function yargsOptions(table: Readonly<Record<string, YargsOption>>): Options {
  const options: Options = {};
  for (const [name, option] of Object.entries(table)) {
    const aliases = ([] as string[]).concat(option.alias ?? []);
    const short = aliases.find((alias) => alias.length === 1);
    for (const long of new Set([name, kebab(name), ...aliases.filter((alias) => alias.length > 1)])) {
      const boolean = option.type === 'boolean';
      options[long] = { type: boolean ? 'boolean' : 'string', multiple: !boolean, ...(short && long === name && { short }) };
      if (boolean) options[`no-${long}`] = { type: 'boolean' };
    }
  }
  return options;
}

/** The `--name, -a <value>  description` lines of a yargs table's documented options, for --help. */
export function describeYargsOptions(table: Readonly<Record<string, YargsOption>>, except: readonly string[] = []): string {
  const rows = Object.entries(table)
    .filter(([name, option]) => !option.hidden && !except.includes(name))
    .map(([name, option]) => {
      const aliases = ([] as string[]).concat(option.alias ?? []).map((alias) => (alias.length === 1 ? `-${alias}` : `--${alias}`));
      const flag = `--${kebab(name)}${aliases.length ? `, ${aliases.join(', ')}` : ''}${option.type === 'boolean' ? '' : ' <value>'}`;
      return [flag, (option.describe ?? option.description ?? '').replace(/\s+/g, ' ')] as const;
    });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`).join('\n');
}

/** `argv` as written, less the options named in `consumed` (and --help): what goes on to the tool. */
export function passThrough(argv: readonly string[], tokens: CommandLine<Options>['tokens'], consumed: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<number>();
  for (const token of tokens) {
    // A group of short flags (-ib) is one argument and several tokens.
    if (seen.has(token.index)) continue;
    seen.add(token.index);
    if (token.kind === 'option' && (consumed.includes(token.name) || token.name === 'help')) continue;
    out.push(argv[token.index]!);
    if (token.kind === 'option' && token.value !== undefined && !token.inlineValue) out.push(argv[token.index + 1]!);
  }
  return out;
}
