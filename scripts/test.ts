/**
 * `npm test [-- jest options]`: builds, then runs the type check (`tsc --noEmit`, what
 * `npm run typecheck` runs) beside jest's two projects rather than before them, at the lowest CPU
 * priority, so that it takes only the time jest's workers leave while they wait on the processes
 * they drive. Exits non-zero if either fails; the type check's output comes after jest's.
 * Every option jest documents passes on to it (read from jest-cli's own option table);
 * `--no-typecheck` leaves the type check out (`npm run test:integration`). `--help` prints usage and
 * runs nothing; any other option exits 2.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { buildProject } from './lib/build-project';
import { runScript, type CommandLine, type Options } from './lib/cli';
import { passThrough, yargsOptions, type YargsOption } from './lib/cli-passthrough';

const root = join(__dirname, '..');
/** TypeScript's own `tsc` launcher (its exports map does not list bin/tsc). */
const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');

function run(script: string, args: string[], options: { quiet: boolean; lowPriority?: boolean }): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (options.lowPriority && child.pid !== undefined) setPriority(child.pid, 19);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/** jest's documented options, from the jest-cli that the installed jest runs. */
const JEST_OPTIONS = (createRequire(require.resolve('jest/package.json'))('jest-cli') as { yargsOptions: Record<string, YargsOption> }).yargsOptions;

const USAGE = `Usage: npm test [-- options] [test path patterns]

Builds dist/, then runs jest's two projects (unit and integration, docs/testing.md) with the type
check (tsc --noEmit) beside them at the lowest CPU priority. Exits non-zero if either fails; the type
check's output comes after jest's.

Options:
  --no-typecheck   Leave the type check out (npm run test:integration).
  -h, --help       Show this text; builds and runs nothing.

Every jest option passes through (npx jest --help lists them), e.g. --selectProjects, -t, --ci;
without --maxWorkers (-w) it runs ${Math.max(2, availableParallelism() - 1)} workers here.

Examples:
  npm test
  npm test -- tests/scripts -t send-event
  npm run test:integration -- tests/scripts`;

const OPTIONS: Options = { ...yargsOptions(JEST_OPTIONS), 'no-typecheck': { type: 'boolean' } };

async function main(argv: readonly string[], { values, tokens }: CommandLine<Options>): Promise<number> {
  console.log(await buildProject());
  // jest's default of one worker per core less one, but at least two: the integration suites spend
  // much of their time waiting on the runtime processes, the emulator and Chromium. Three workers on
  // 2 cores gained nothing once runtime processes were shared (55.0 and 56.6 s, against 53.7 and
  // 60.6 s with two), and load the machine more under the tests' deadlines.
  const workers = (values.maxWorkers ?? values['max-workers']) !== undefined ? [] : [`--maxWorkers=${Math.max(2, availableParallelism() - 1)}`];
  const jestArgs = [...workers, ...passThrough(argv, tokens, ['no-typecheck'])];
  const typecheck = values['no-typecheck'] ? undefined : run(TSC, ['--noEmit', '-p', root], { quiet: true, lowPriority: true });
  const [types, tests] = await Promise.all([typecheck, run(require.resolve('jest/bin/jest'), jestArgs, { quiet: false })]);
  if (!types) return tests.code;
  if (types.code === 0) console.log('Type check (tsc --noEmit): no error.');
  else console.error(`Type check (tsc --noEmit) failed:\n${types.output}`);
  return types.code !== 0 ? types.code : tests.code;
}

runScript({ name: 'test', usage: USAGE, options: OPTIONS, positionals: true }, (args) => main(process.argv.slice(2), args));
