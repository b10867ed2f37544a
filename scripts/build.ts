/** `npm run build`: builds dist/ (scripts/lib/build-project.ts). `--help` prints usage and builds nothing. */
import { runScript } from './lib/cli';
import { buildProject } from './lib/build-project';

const USAGE = `Usage: npm run build

Builds dist/ afresh: each function of src/functions bundled by esbuild into one file under
dist/functions (twilio left to the runtime), the assets, and the limits-client browser module.
npm start, simulate, bench, load, deploy and test build first on their own.

Options:
  -h, --help    Show this text; builds nothing.`;

runScript({ name: 'build', usage: USAGE, options: {} }, async () => console.log(await buildProject()));
