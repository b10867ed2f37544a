/**
 * `npm run simulate`: plays a short, realistic scenario against the guard and prints each decision.
 * By default it starts its own Twilio API emulator and local Functions runtime (the built functions)
 * on free ports; `--url http://localhost:3000` plays against a running `npm start` instead, signing
 * with AUTH_TOKEN from .env and seeding the emulator that server uses.
 */
import { playScenario } from './lib/simulate-steps';
import { formatTable, summarize } from './lib/simulate-table';
import { ownTarget, runningTarget, SIMULATION_RATE_LIMITS } from './lib/simulate-target';

function urlArgument(args: string[]): string | undefined {
  const at = args.findIndex((a) => a === '--url' || a.startsWith('--url='));
  if (at < 0) return undefined;
  const value = args[at]!.includes('=') ? args[at]!.slice('--url='.length) : args[at + 1];
  if (!value || !/^https?:\/\//.test(value)) throw new Error('--url takes the server origin, e.g. --url http://localhost:3000');
  return value;
}

async function main() {
  const url = urlArgument(process.argv.slice(2));
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

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
