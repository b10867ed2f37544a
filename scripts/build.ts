/**
 * Bundles each function into one self-contained file under dist/functions. Deployed Functions live
 * under generated paths, so a relative import between function files would break after deploy;
 * `twilio` stays external because the runtime installs it from package.json.
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..');
const functionsSrc = join(root, 'src', 'functions');
const out = join(root, 'dist');

function entryPoints(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return entryPoints(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

async function main() {
  rmSync(out, { recursive: true, force: true });
  const entries = entryPoints(functionsSrc);
  await build({
    entryPoints: entries,
    outbase: functionsSrc,
    outdir: join(out, 'functions'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['twilio'],
    logLevel: 'warning',
  });
  mkdirSync(join(out, 'assets'), { recursive: true });
  cpSync(join(root, 'src', 'assets'), join(out, 'assets'), { recursive: true, filter: (src) => !/[\/]\.[^\/]+$/.test(src) });
  console.log(`Built ${entries.length} function(s): ${entries.map((e) => relative(functionsSrc, e)).join(', ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
