/**
 * The project's build, as a function (`npm run build`, `npm test` and `npm run deploy` run it).
 * Bundles each function into one self-contained file under dist/functions. Deployed Functions live
 * under generated paths, so a relative import between function files would break after deploy;
 * `twilio` stays external because the runtime installs it from package.json. The limits-client
 * browser module is bundled into dist/assets from the same rule code.
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const PROJECT_ROOT = join(__dirname, '..', '..');
/** The browser module built from the message rules (src/client/limits-client.ts), served as /limits-client.js. */
const CLIENT_ASSET = 'limits-client.js';

function entryPoints(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return entryPoints(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Builds `root`/dist afresh; resolves to the one line that says what was built. */
export async function buildProject(root = PROJECT_ROOT): Promise<string> {
  const functionsSrc = join(root, 'src', 'functions');
  const out = join(root, 'dist');
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
  // The browser module: the webhook's own message rules, bundled for the browser. platform 'browser'
  // makes esbuild refuse any Node built-in the rules might come to import.
  const client = await build({
    entryPoints: [join(root, 'src', 'client', 'limits-client.ts')],
    outfile: join(out, 'assets', CLIENT_ASSET),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const clientBytes = Object.values(client.metafile.outputs)[0]!.bytes;
  return `Built ${entries.length} function(s): ${entries.map((e) => relative(functionsSrc, e)).join(', ')}; assets/${CLIENT_ASSET} (${clientBytes} bytes)`;
}
