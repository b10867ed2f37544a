/**
 * `npm test [-- jest options]`: builds, then runs the type check (`tsc --noEmit`, what
 * `npm run typecheck` runs) beside jest's two projects rather than before them, at the lowest CPU
 * priority, so that it takes only the time jest's workers leave while they wait on the processes
 * they drive. Exits non-zero if either fails; the type check's output comes after jest's.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { buildProject } from './lib/build-project';

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

async function main(): Promise<number> {
  console.log(await buildProject());
  // jest's default of one worker per core less one, but at least two: the integration suites spend
  // much of their time waiting on the runtime processes, the emulator and Chromium. Three workers on
  // 2 cores gained nothing once runtime processes were shared (55.0 and 56.6 s, against 53.7 and
  // 60.6 s with two), and load the machine more under the tests' deadlines.
  const workers = Math.max(2, availableParallelism() - 1);
  const jestArgs = [`--maxWorkers=${workers}`, ...process.argv.slice(2)];
  const [types, tests] = await Promise.all([run(TSC, ['--noEmit', '-p', root], { quiet: true, lowPriority: true }), run(require.resolve('jest/bin/jest'), jestArgs, { quiet: false })]);
  if (types.code === 0) console.log('Type check (tsc --noEmit): no error.');
  else console.error(`Type check (tsc --noEmit) failed:\n${types.output}`);
  return types.code !== 0 ? types.code : tests.code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
