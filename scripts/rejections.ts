/**
 * `npm run rejections -- [--conversation CH… | --identity ID | --rule ID | --outcome O | --since 1h]
 * [--limit N] [--json] [--env FILE]`: the guard's rejection log in Sync, searched as /status searches
 * it (scripts/lib/rejections-command.ts).
 */
import { join } from 'node:path';
import { runScript } from './lib/cli';
import { REJECTIONS_CLI, rejections } from './lib/rejections-command';

runScript(REJECTIONS_CLI, (args, out) => rejections(args, out, { root: join(__dirname, '..'), shellEnv: process.env }));
