import { LOCAL_ONLY } from '../../src/guard/config/local-only';
import { VARIABLES } from '../../src/guard/config/variables';

export { LOCAL_ONLY };

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
