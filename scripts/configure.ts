/**
 * `npm run configure -- --url https://your-service-1234-dev.twil.io [--service IS…] [--dry-run] [--force]`
 * Points the account-level (or one service's) Conversations webhooks at the deployed guard: prints
 * what is configured now and what changes, and refuses to replace webhooks that point elsewhere
 * unless --force. Reads credentials and TWILIO_API_BASE_URL from the environment, then .env.
 */
import { join } from 'node:path';
import twilio, { type Twilio } from 'twilio';
import { twilioVia } from '../src/guard/twilio/client';
import { VARIABLES } from '../src/guard/config/variables';
import { readDotenv } from './lib/dotenv';
import { USAGE, envPathOf, parseConfigureArgs, type ConfigureOptions } from './lib/webhook-args';
import { planWebhooks, type WebhookSettings, type WebhookUpdate } from './lib/webhook-plan';
import { failureMessage, formatPlanTable, outcomeMessage, refusalMessage, scopeTitle } from './lib/webhook-report';

const EXIT_REFUSED = 1;
const EXIT_INVALID = 2;

async function main(argv: string[]): Promise<number> {
  const envPath = envPathOf(argv) ?? join(__dirname, '..', '.env');
  // A variable set but empty in the shell does not hide the .env value.
  const shell = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined && value !== ''));
  const env = { ...readDotenv(envPath), ...shell };
  const parsed = parseConfigureArgs(argv, env);
  if (parsed.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === 'invalid') {
    console.error(`${parsed.message}\nRun npm run configure -- --help for every option.`);
    return EXIT_INVALID;
  }
  const options = parsed.options;
  const webhooks = webhooksResource(clientFor(options), options.serviceSid);
  const apiUrl = options.apiBaseUrl ?? 'https://conversations.twilio.com';

  console.log(scopeTitle(options.serviceSid));
  if (options.apiBaseUrl) console.log(`Twilio API: ${options.apiBaseUrl} (TWILIO_API_BASE_URL)`);
  console.log(`Guard functions: ${options.baseUrl} (${options.baseUrlSource})\n`);
  try {
    const plan = planWebhooks(settingsOf(await webhooks.fetch()), options.baseUrl, {
      level: options.serviceSid ? 'service' : 'account',
      force: options.force,
      judgeUpdates: VARIABLES.JUDGE_UPDATES.parser.parse(env.JUDGE_UPDATES?.trim() || VARIABLES.JUDGE_UPDATES.default) === 'on',
    });
    console.log(`${formatPlanTable(plan.rows)}\n`);
    if (plan.kind === 'refused') {
      console.error(refusalMessage(plan.conflicts, options.serviceSid));
      if (options.dryRun) console.error(outcomeMessage(plan, true));
      return EXIT_REFUSED;
    }
    if (plan.kind === 'update' && !options.dryRun) {
      await webhooks.update(plan.update);
      for (const c of plan.replaced) console.log(`Replaced ${c.field} ${c.current}.`);
    }
    console.log(outcomeMessage(plan, options.dryRun));
    return 0;
  } catch (error) {
    console.error(failureMessage(error, { serviceSid: options.serviceSid, apiUrl }));
    return EXIT_REFUSED;
  }
}

function clientFor(options: ConfigureOptions): Twilio {
  const { username, password, accountSid } = options.credentials;
  // With an API key, the account SID says whose configuration it is.
  return options.apiBaseUrl ? twilioVia(username, password, options.apiBaseUrl, accountSid) : twilio(username, password, { accountSid });
}

interface WebhooksResource {
  fetch(): Promise<WebhookSettings>;
  update(update: WebhookUpdate): Promise<unknown>;
}

/** The two levels share fields, except that only the account level has a Target. */
function webhooksResource(client: Twilio, serviceSid: string | undefined): WebhooksResource {
  if (serviceSid) {
    const resource = client.conversations.v1.services(serviceSid).configuration.webhooks();
    return { fetch: () => resource.fetch(), update: ({ target: _target, ...fields }) => resource.update(fields) };
  }
  const resource = client.conversations.v1.configuration.webhooks();
  return { fetch: () => resource.fetch(), update: (fields) => resource.update(fields) };
}

function settingsOf(instance: WebhookSettings): WebhookSettings {
  return {
    preWebhookUrl: instance.preWebhookUrl ?? null,
    postWebhookUrl: instance.postWebhookUrl ?? null,
    method: instance.method ?? null,
    filters: instance.filters ?? [],
    target: instance.target ?? null,
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = EXIT_REFUSED;
  },
);
