/**
 * Makes sure dist/ holds a build of the current sources before a test reads it. `npm test` builds
 * first; a bare `npx jest tests/integration` may not have, so this runs the project's own build
 * (scripts/build.ts, what `npm run build` runs) when dist/functions is missing or older than any
 * file it is built from. Test files in parallel jest workers take a lock so only one builds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
export const DIST_FUNCTIONS = join(DIST, 'functions');
const CACHE = join(ROOT, 'node_modules', '.cache', 'conversations-limits-guard-tests');

/** Every file under `dir`, recursively (empty when `dir` does not exist). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

function sourcesNewestMtime(): number {
  const inputs = [...filesUnder(join(ROOT, 'src')), join(ROOT, 'scripts', 'build.ts'), join(ROOT, 'scripts', 'lib', 'build-project.ts'), join(ROOT, 'package.json')];
  return Math.max(...inputs.filter(existsSync).map((f) => statSync(f).mtimeMs));
}

/** Why dist/functions cannot be used as it is, or undefined when it is current. */
export function staleness(): string | undefined {
  const built = filesUnder(DIST_FUNCTIONS).filter((f) => f.endsWith('.js'));
  if (built.length === 0) return 'dist/functions has no built function';
  const oldest = Math.min(...built.map((f) => statSync(f).mtimeMs));
  return oldest < sourcesNewestMtime() ? 'dist/functions is older than its sources' : undefined;
}

function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock<T>(work: () => T): T {
  mkdirSync(CACHE, { recursive: true });
  const lock = join(CACHE, 'build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a killed run: older than any build takes.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000) rmdirSync(lock, { recursive: false });
      if (Date.now() > deadline) throw new Error(`waited 2 minutes for ${lock}`);
      sleep(200);
    }
  }
  try {
    return work();
  } finally {
    rmdirSync(lock);
  }
}

/** Runs `tsx scripts/build.ts` if dist/functions is missing or stale. */
export function ensureBuilt(): void {
  if (!staleness()) return;
  withLock(() => {
    if (!staleness()) return;
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/build.ts'], { cwd: ROOT, stdio: 'pipe' });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`npm run build failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`);
    }
    const still = staleness();
    if (still) throw new Error(`after the build, ${still}`);
  });
}

/**
 * A project script bundled once into one file (its packages left to node_modules), so a test can run
 * it with plain `node`: the script as `npm run` runs it, without tsx's start-up on every run.
 */
export function bundledScript(name: string): string {
  const out = join(CACHE, `script-${name}.js`);
  const result = buildSync({ entryPoints: [join(ROOT, 'scripts', `${name}.ts`)], platform: 'node', format: 'cjs', target: 'node20', bundle: true, packages: 'external', write: false, logLevel: 'silent' });
  mkdirSync(CACHE, { recursive: true });
  // Renamed into place, so parallel test files never run a half-written file.
  const temp = `${out}.${process.pid}`;
  writeFileSync(temp, result.outputFiles[0]!.text);
  renameSync(temp, out);
  return out;
}

export { CACHE as TEST_CACHE };
