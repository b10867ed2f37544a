/**
 * `npm run configure`, as a function of its arguments, environment and output (scripts/configure.ts
 * runs it): points the account-level (or one service's) Conversations webhooks at the deployed guard.
 */
import type { Twilio } from 'twilio';
import { VARIABLES } from '../../src/guard/config/variables';
import { readDotenvUnderShell } from './dotenv';
import { runCommand, type Out } from './cli';
import { CONFIGURE_CLI, configureOptions, type ConfigureOptions } from './webhook-args';
import { planWebhooks, type WebhookSettings, type WebhookUpdate } from './webhook-plan';
import { failureMessage, formatPlanTable, outcomeMessage, refusalMessage, scopeTitle } from './webhook-report';

export const EXIT_REFUSED = 1;

/**
 * What `npm run configure` does, given its arguments, the shell's environment and where to write;
 * resolves to the exit code. `defaultEnvPath` is the .env read unless --env names another.
 */
export function configureWebhooks(argv: string[], shellEnv: NodeJS.ProcessEnv, out: Out, defaultEnvPath: string): Promise<number> {
  return runCommand(CONFIGURE_CLI, argv, (args) => {
    const env = readDotenvUnderShell(args.values.env ?? defaultEnvPath, shellEnv);
    return configure(configureOptions(args, env), env, out);
  }, out);
}

async function configure(options: ConfigureOptions, env: Record<string, string>, out: Out): Promise<number> {
  const webhooks = webhooksResource(clientFor(options), options.serviceSid);
  const apiUrl = options.apiBaseUrl ?? 'https://conversations.twilio.com';

  out.log(scopeTitle(options.serviceSid));
  if (options.apiBaseUrl) out.log(`Twilio API: ${options.apiBaseUrl} (TWILIO_API_BASE_URL)`);
  out.log(`Guard functions: ${options.baseUrl} (${options.baseUrlSource})\n`);
  try {
    const plan = planWebhooks(settingsOf(await webhooks.fetch()), options.baseUrl, {
      level: options.serviceSid ? 'service' : 'account',
      force: options.force,
      judgeUpdates: VARIABLES.JUDGE_UPDATES.parser.parse(env.JUDGE_UPDATES?.trim() || VARIABLES.JUDGE_UPDATES.default) === 'on',
    });
    out.log(`${formatPlanTable(plan.rows)}\n`);
    if (plan.kind === 'refused') {
      out.error(refusalMessage(plan.conflicts, options.serviceSid));
      if (options.dryRun) out.error(outcomeMessage(plan, true));
      return EXIT_REFUSED;
    }
    if (plan.kind === 'update' && !options.dryRun) {
      await webhooks.update(plan.update);
      for (const c of plan.replaced) out.log(`Replaced ${c.field} ${c.current}.`);
    }
    out.log(outcomeMessage(plan, options.dryRun));
    return 0;
  } catch (error) {
    out.error(failureMessage(error, { serviceSid: options.serviceSid, apiUrl }));
    return EXIT_REFUSED;
  }
}

function clientFor(options: ConfigureOptions): Twilio {
  // Loaded only now: the twilio SDK takes a while to load, and --help or a wrong option need not wait.
  const twilio = require('twilio') as typeof import('twilio');
  const { twilioVia } = require('../../src/guard/twilio/client') as typeof import('../../src/guard/twilio/client');
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
