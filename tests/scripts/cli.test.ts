/**
 * Every script's command line follows one convention (scripts/lib/cli.ts): `--help`/`-h` prints usage
 * to stdout and exits 0, an unknown option exits 2 with one sentence on stderr naming it, then the
 * usage, and neither
 * sends, writes, builds or deploys anything. The shared parser is tested in process; then every
 * script package.json runs with tsx is run for real, twice, in a copy of the project: each bundled
 * by esbuild beside its source (its packages left to node_modules), so it runs with plain `node`
 * as tsx runs it, without tsx's start-up on every run. The copy must be left exactly as it was, and
 * a local server standing in for the guard must receive nothing.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { parseCommandLine, runCommand, UsageError, type Cli } from '../../scripts/lib/cli';
import { passThrough, yargsOptions } from '../../scripts/lib/cli-passthrough';
import { ROOT } from '../support/build';
import { copyProject, removeProject, snapshot } from './project-copy';

const capture = () => {
  const printed = { stdout: '', stderr: '' };
  return { printed, out: { log: (text: string) => void (printed.stdout += `${text}\n`), error: (text: string) => void (printed.stderr += `${text}\n`) } };
};

describe('the shared command line', () => {
  const cli: Cli = { name: 'demo', usage: 'Usage: npm run demo', options: { url: { type: 'string', short: 'u' }, force: { type: 'boolean' } } };
  const run = async (argv: string[], main: () => number | void = () => 0) => {
    const { printed, out } = capture();
    const ran = jest.fn(main);
    const code = await runCommand(cli, argv, ran, out);
    return { code, ...printed, ran: ran.mock.calls.length > 0 };
  };

  it.each([[['--help']], [['-h']], [['--url', 'x', '--help']]])('%j prints the usage to stdout, exits 0 and runs nothing', async (argv) => {
    expect(await run(argv)).toEqual({ code: 0, stdout: 'Usage: npm run demo\n', stderr: '', ran: false });
  });

  it.each([
    [['--colour'], 'demo: unknown option --colour; see --help.'],
    [['-x'], 'demo: unknown option -x; see --help.'],
    [['--url'], 'demo: option --url needs a value; see --help.'],
    [['-u'], 'demo: option --url needs a value; see --help.'],
    [['--url', '--force'], 'demo: option --url needs a value (write --url=-… for one that starts with -); see --help.'],
    [['--force=yes'], 'demo: option --force takes no value; see --help.'],
    [['stray'], 'demo: unexpected argument stray; see --help.'],
    [['--help', '--colour'], 'demo: unknown option --colour; see --help.'],
  ])('%j exits 2 with one sentence naming it, and runs nothing', async (argv, sentence) => {
    expect(await run(argv)).toEqual({ code: 2, stdout: '', stderr: `${sentence}\n\nUsage: npm run demo\n`, ran: false });
  });

  it('reports a UsageError of the command the same way, and lets any other error through', async () => {
    expect(await run(['--url', 'ftp:'], () => { throw new UsageError('--url ftp:: expected an https:// URL.'); })).toMatchObject({ code: 2, stderr: 'demo: --url ftp:: expected an https:// URL.\n\nUsage: npm run demo\n' });
    await expect(run([], () => { throw new TypeError('a bug'); })).rejects.toThrow('a bug');
    expect(await run(['-u', 'x', '--force'], () => 7)).toMatchObject({ code: 7, ran: true });
  });

  it('passes another tool’s documented options on exactly as written, in every spelling yargs takes', () => {
    const table = { maxWorkers: { alias: 'w', type: 'string' }, cache: { type: 'boolean' }, runInBand: { alias: 'i', type: 'boolean' }, bail: { alias: 'b', type: 'boolean' }, testEnvironment: { alias: 'env', type: 'string' } };
    const tool: Cli = { name: 'tool', usage: '', options: { ...yargsOptions(table), own: { type: 'boolean' } }, positionals: true };
    const argv = ['-w', '2', '--own', '--no-cache', '-ib', '--max-workers=3', '--env', 'node', '--testEnvironment=jsdom', 'tests/x', '--', '--literal'];
    const parsed = parseCommandLine(tool, argv);
    expect(passThrough(argv, parsed.tokens, ['own'])).toEqual(['-w', '2', '--no-cache', '-ib', '--max-workers=3', '--env', 'node', '--testEnvironment=jsdom', 'tests/x', '--', '--literal']);
    expect(() => parseCommandLine(tool, ['--maxworkers', '2'])).toThrow('unknown option --maxworkers; see --help.');
    expect(() => parseCommandLine(tool, ['--no-max-workers'])).toThrow('unknown option --no-max-workers; see --help.');
  });
});

/** `npm run <name>` → the file tsx runs and the arguments package.json gives it. */
const PACKAGE_SCRIPTS: Record<string, string> = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
/** Scripts that are another tool's command line as it is: its own --help, and its own exit status for an unknown option. */
const TOOLS: Record<string, string> = { typecheck: 'tsc --noEmit', 'test:unit': 'jest --selectProjects unit --maxWorkers=100%' };
const SCRIPTS = Object.entries(PACKAGE_SCRIPTS)
  .filter(([name]) => !(name in TOOLS))
  .map(([name, command]) => {
    const [tsx, file, ...args] = command.split(' ');
    return { name, tsx, file: file!, args };
  });

test('every npm script is a tsx script that reads its own arguments first, or a tool run as it is', () => {
  for (const [name, command] of Object.entries(TOOLS)) expect(PACKAGE_SCRIPTS[name]).toBe(command);
  // No `npm run build && …`: with -- --help, the build would run before the script could refuse.
  for (const script of SCRIPTS) expect(`${script.name}: ${script.tsx} ${script.file}`).toMatch(/^[\w:-]+: tsx [\w/-]+\.ts$/);
  expect(SCRIPTS.map((s) => s.name).sort()).toEqual(['audit', 'bench', 'build', 'check-config', 'configure', 'deploy', 'docs', 'emulator', 'load', 'rejections', 'send-event', 'simulate', 'start', 'test', 'test:integration']);
});

describe('every script, run for real', () => {
  let project: string;
  let before: string[];
  let guard: Server;
  const received: string[] = [];

  beforeAll(async () => {
    project = copyProject('cli-');
    const files = [...new Set(SCRIPTS.map((s) => s.file))];
    buildSync({ entryPoints: files.map((f) => join(project, f)), absWorkingDir: project, outbase: project, outdir: project, platform: 'node', format: 'cjs', target: 'node20', bundle: true, packages: 'external', logLevel: 'silent' });
    before = snapshot(project);
    guard = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.end('{}');
    });
    await new Promise<void>((resolve) => guard.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => guard?.close(resolve));
    removeProject(project);
  });

  type Run = { code: number; stdout: string; stderr: string };
  const runScript = (file: string, argv: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const env = { PATH: process.env.PATH ?? '', PORT: String((guard.address() as AddressInfo).port) };
      execFile(process.execPath, [join(project, file.replace(/\.ts$/, '.js')), ...argv], { cwd: project, env, timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });

  /** Both runs of every script, two processes at a time. */
  async function runAll(): Promise<Map<string, { help: Run; unknown: Run }>> {
    const jobs = SCRIPTS.flatMap((s) => [
      { key: s.name, kind: 'help' as const, run: () => runScript(s.file, [...s.args, '--help']) },
      { key: s.name, kind: 'unknown' as const, run: () => runScript(s.file, [...s.args, '--no-such-option']) },
    ]);
    const results = new Map<string, { help: Run; unknown: Run }>();
    const worker = async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const result = await job.run();
        results.set(job.key, { ...results.get(job.key)!, [job.kind]: result });
      }
    };
    await Promise.all([worker(), worker()]);
    return results;
  }

  let results: Map<string, { help: Run; unknown: Run }>;
  beforeAll(async () => {
    results = await runAll();
  }, 60_000);

  it.each(SCRIPTS.map((s) => [s.name]))('npm run %s -- --help prints its usage to stdout and exits 0', (name) => {
    const { help } = results.get(name)!;
    expect(help).toMatchObject({ code: 0, stderr: '' });
    const command = name === 'start' || name === 'test' ? `npm ${name}` : `npm run ${name.split(':')[0]}`;
    expect(help.stdout.startsWith(`Usage: ${name === 'test:integration' ? 'npm test' : command}`)).toBe(true);
    // What it does, and its options.
    expect(help.stdout).toMatch(/\n\n[A-Z].+\n/);
    expect(help.stdout).toContain('-h, --help');
  });

  it.each(SCRIPTS.map((s) => [s.name]))('npm run %s -- --no-such-option exits 2 with one sentence naming it, then its usage', (name) => {
    const script = name.split(':')[0];
    expect(results.get(name)!.unknown).toEqual({ code: 2, stdout: '', stderr: `${script}: unknown option --no-such-option; see --help.\n\n${results.get(name)!.help.stdout}` });
  });

  it('none of them wrote, built or sent anything', () => {
    expect(snapshot(project)).toEqual(before);
    expect(received).toEqual([]);
  });
});
