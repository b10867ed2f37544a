import { VARIABLES } from '../../src/guard/config/variables';

/**
 * Variables that only mean something on the machine running `npm start`; uploading them would
 * break or leak from the deployed service. Twilio gives deployed functions their own ACCOUNT_SID
 * and AUTH_TOKEN (`context.ACCOUNT_SID`, `context.AUTH_TOKEN`), so the local ones serve only to
 * authenticate the deploy.
 */
export const LOCAL_ONLY: Readonly<Record<string, string>> = {
  ACCOUNT_SID: 'used to deploy; Twilio gives deployed functions their own',
  AUTH_TOKEN: 'used to deploy; Twilio gives deployed functions their own',
  TWILIO_API_BASE_URL: 'points the functions at a local Twilio API emulator; deployed functions call Twilio itself',
  PORT: 'port of the local server',
  EMULATOR_PORT: 'port of the local Twilio API emulator',
};

/** What a deploy uploads and authenticates with, computed from `.env` and the shell. */
export interface DeployEnvironment {
  /** Variables uploaded to the service's environment: `.env` minus local-only and empty values. */
  variables: Record<string, string>;
  /** Local-only variables that were set and are left out of the upload. */
  leftOut: string[];
  /** ACCOUNT_SID and AUTH_TOKEN as given (shell first, then `.env`); empty when unset. */
  account: { accountSid: string; authToken: string };
}

/**
 * The environment to deploy: every variable of the `.env` file, with the guard's variables and the
 * credentials overridden by the shell when set there (as `npm run check-config` does, so CI can keep
 * them in its secrets), minus {@link LOCAL_ONLY} and empty values (an empty value means "the
 * default", and twilio-run would drop it anyway).
 */
export function deployEnvironment(fromFile: Record<string, string>, fromShell: NodeJS.ProcessEnv): DeployEnvironment {
  const shellNames = [...Object.keys(VARIABLES), 'ACCOUNT_SID', 'AUTH_TOKEN'];
  const merged: Record<string, string> = { ...fromFile };
  for (const name of shellNames) if (fromShell[name] !== undefined) merged[name] = fromShell[name]!;

  const variables: Record<string, string> = {};
  const leftOut: string[] = [];
  for (const [name, value] of Object.entries(merged)) {
    if (value.trim() === '') continue;
    if (name in LOCAL_ONLY) leftOut.push(name);
    else variables[name] = value;
  }
  return { variables, leftOut, account: { accountSid: merged.ACCOUNT_SID?.trim() ?? '', authToken: merged.AUTH_TOKEN?.trim() ?? '' } };
}

function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1' || host === '0.0.0.0';
}

/**
 * Why these variables must not be deployed, or undefined. A WEBHOOK_BASE_URL on this machine would
 * make every signature check fail once deployed, and the guard answers 401, which Twilio takes as
 * a rejection of every action.
 */
export function undeployableReason(variables: Record<string, string>): string | undefined {
  const webhookBase = variables.WEBHOOK_BASE_URL;
  if (webhookBase && isLoopback(webhookBase)) {
    return `WEBHOOK_BASE_URL=${webhookBase} is an address on this machine: deployed, every signature check would fail and every action would be rejected. Remove it from .env (or deploy with WEBHOOK_BASE_URL= npm run deploy) to validate signatures against the deployed domain.`;
  }
  return undefined;
}
