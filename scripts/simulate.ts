/**
 * `npm run simulate [-- --url http://localhost:3000]`: plays a short, realistic scenario against the
 * guard and prints each decision. By default it builds dist/ and starts its own Twilio API emulator
 * and local Functions runtime (the built functions) on free ports; `--url` plays against a running
 * `npm start` instead, signing with AUTH_TOKEN from .env and seeding the emulator that server uses.
 * `--help` prints usage and neither builds nor sends anything.
 */
import { buildProject } from './lib/build-project';
import { runScript, UsageError } from './lib/cli';
import { formatTable, summarize } from './lib/simulate-table';
import { ownTarget, runningTarget, SIMULATION_RATE_LIMITS } from './lib/simulate-target';

const USAGE = `Usage: npm run simulate [-- --url <origin>]

Plays a support conversation against the guard, every action a signed pre-event webhook, and prints
each decision with its rule id and reason: an SMS customer joins, a 2,000-character message, a 20 MB
video, SMS participants #50 to #60, a looping bot (with the rate rule "${SIMULATION_RATE_LIMITS}").

By default it builds dist/ and starts its own Twilio API emulator and local Functions runtime on
free ports, and stops them at the end.

Options:
  --url <origin>  Play against a running npm start instead (its settings from .env), signing with
                  AUTH_TOKEN from .env and seeding the emulator that server uses.
  -h, --help      Show this text; builds and sends nothing.

Examples:
  npm run simulate
  npm run simulate -- --url http://localhost:3000`;

async function main(url: string | undefined) {
  if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url ${url}: expected the server origin, such as --url http://localhost:3000.`);
  // Loaded only now: it loads the twilio SDK, which takes a while, and --help need not wait.
  const { playScenario } = require('./lib/simulate-steps') as typeof import('./lib/simulate-steps');
  if (url === undefined) console.log(await buildProject());
  const target = url ? runningTarget(url) : await ownTarget();
  try {
    console.log(`Playing a support conversation against ${target.description}.`);
    console.log(`RATE_LIMITS=${target.rateLimits ? `"${target.rateLimits}"` : ' (none)'}`);
    console.log('Step 4 adds SMS participants #2–#49 through the REST API (Twilio fires no webhook for REST), then plays joins #50–#60 as webhooks.\n');
    const rows = await playScenario(target);
    console.log(formatTable(rows));
    console.log('ms: the round trip as the caller sees it; the first request also loads the function.');
    console.log(`\n${summarize(rows)}`);
    if (!rows.some((r) => r.rule.startsWith('rate.'))) {
      console.log(`No rate rule refused the bot: add RATE_LIMITS="${SIMULATION_RATE_LIMITS}" to .env and restart the server to see one.`);
    }
    console.log('Next: `npm start` serves the guard on http://localhost:3000; `npm run send-event -- Body=hi` posts one signed webhook to it; `npm run simulate -- --url http://localhost:3000` plays this scenario against it.');
  } finally {
    await target.stop();
  }
}

runScript({ name: 'simulate', usage: USAGE, options: { url: { type: 'string' } } }, ({ values }) => main(values.url));
