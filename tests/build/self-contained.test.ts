/**
 * Deployed Functions live under generated paths, and the runtime installs only what package.json's
 * dependencies list. So each built function must be one self-contained file: no require of another
 * project file by a relative path, and no module other than Node's built-ins and `twilio`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { DIST_FUNCTIONS, ensureBuilt, filesUnder, ROOT } from '../support/build';

const ALLOWED_PACKAGES = new Set(['twilio']);

/** The module names a CommonJS bundle loads: require("x"), and import("x") in case one slipped through. */
function requiredModules(code: string): string[] {
  const names: string[] = [];
  for (const match of code.matchAll(/\b(?:require|import)\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g)) names.push(match[2]!);
  return names;
}

function isBuiltin(name: string): boolean {
  return name.startsWith('node:') || builtinModules.includes(name) || builtinModules.includes(name.split('/')[0]!);
}

/** Why a required module cannot be loaded by a deployed function, or undefined when it can. */
function problem(name: string): string | undefined {
  if (name.startsWith('.') || name.startsWith('/')) return 'a project file by path';
  if (isBuiltin(name)) return undefined;
  const pkg = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!;
  return ALLOWED_PACKAGES.has(pkg) ? undefined : 'a package other than twilio';
}

ensureBuilt();
const built = filesUnder(DIST_FUNCTIONS).filter((f) => f.endsWith('.js'));

test('dist/functions holds the built functions', () => {
  expect(built.map((f) => relative(DIST_FUNCTIONS, f))).toEqual(expect.arrayContaining(['conversations/pre-event.protected.js']));
});

describe.each(built.map((f) => [relative(ROOT, f), f]))('%s', (_name, path) => {
  const code = readFileSync(path, 'utf8');

  test('requires only Node built-ins and twilio', () => {
    const bad = requiredModules(code)
      .map((name) => ({ name, problem: problem(name) }))
      .filter((r) => r.problem);
    expect(bad).toEqual([]);
  });

  test('loads on its own, next to nothing but twilio, and exports a handler function', () => {
    // As deployed: the file alone under a generated path, with the service's dependencies.
    const dir = mkdtempSync(join(tmpdir(), 'guard-deployed-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(join(ROOT, 'node_modules', 'twilio'), join(dir, 'node_modules', 'twilio'), 'dir');
      const copy = join(dir, basename(path));
      copyFileSync(path, copy);
      const script = `process.stdout.write(typeof require(${JSON.stringify(copy)}).handler)`;
      const output = execFileSync(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', stdio: 'pipe' });
      expect(output).toBe('function');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the checker itself', () => {
  test.each([
    ['require("./guard/pre-event")', 'a project file by path'],
    ["require('../guard/log')", 'a project file by path'],
    ['require("ms")', 'a package other than twilio'],
    ['require("@twilio/runtime-handler")', 'a package other than twilio'],
    ['require("twilio")', undefined],
    ['require("twilio/lib/webhooks/webhooks")', undefined],
    ['require("node:crypto")', undefined],
    ['require("fs/promises")', undefined],
  ])('%s: %p', (code, expected) => {
    const [name] = requiredModules(code);
    expect(name).toBeDefined();
    expect(problem(name!)).toBe(expected);
  });
});
