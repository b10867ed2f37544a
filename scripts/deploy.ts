/**
 * `npm run deploy [-- twilio-run deploy options]`: checks the configuration, builds, and deploys
 * dist/ with `twilio-run deploy` (folders and runtime from .twilioserverlessrc). Uploads the
 * variables of .env (or `--env <file>`) except local-only ones; authenticates with ACCOUNT_SID and
 * AUTH_TOKEN, or with `--username SK… --password <secret>`. Nothing is built or uploaded when the
 * configuration or the credentials are wrong.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ConfigError } from '../src/guard/config/errors';
import { parseSettings } from '../src/guard/config/load';
import { deployCredentials, parseDeployArguments, twilioRunArguments } from './lib/deploy-args';
import { deployEnvironment, LOCAL_ONLY } from './lib/deploy-env';
import { buildProject } from './lib/build-project';
import { formatDotenv, readDotenv } from './lib/dotenv';

const root = join(__dirname, '..');
const args = parseDeployArguments(process.argv.slice(2));
// With --output-format json, stdout carries twilio-run's JSON alone.
const say = args.json ? console.error : console.log;

function stop(lines: string[]): never {
  for (const line of lines) console.error(line);
  process.exit(1);
}

/** Runs a child process; its stdout is copied to ours (or to stderr in JSON mode) and returned. */
function run(command: string[], stdoutTo: NodeJS.WriteStream): Promise<{ code: number; stdout: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, command, { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutTo.write(chunk);
      stdout += chunk.toString();
    });
    // The terminal sends Ctrl-C to the child too; a signal sent to this process alone is passed on.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      done({ code: code ?? (signal ? 1 : 0), stdout });
    });
  });
}

async function main() {
  const envPath = resolve(args.envPath ?? join(root, '.env'));
  const shown = relative(process.cwd(), envPath) || envPath;
  if (args.envPath && !existsSync(envPath)) stop([`${shown} not found: nothing was built or deployed.`]);

  const deploy = deployEnvironment(readDotenv(envPath), process.env);
  try {
    parseSettings(deploy.variables, shown);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stop([
      `${shown}: invalid configuration, nothing was built or deployed.`,
      ...error.problems.map((p) => `  ${p.variable}=${JSON.stringify(p.value)}: expected ${p.expected}`),
    ]);
  }
  const credentials = deployCredentials(args, deploy.account);
  if ('problem' in credentials) stop([credentials.problem]);

  say(`${shown}: configuration is valid; deploying ${Object.keys(deploy.variables).length} variable(s) as ${credentials.username}.`);
  for (const name of deploy.leftOut) say(`  not deployed: ${name} (${LOCAL_ONLY[name]})`);

  try {
    say(await buildProject());
  } catch (error) {
    stop([String(error), 'The build failed: nothing was deployed.']);
  }

  // twilio-run uploads every variable of its --env file except ACCOUNT_SID and AUTH_TOKEN, which it
  // reads as credentials: keeping the auth token in a private file keeps it off the command line.
  const dir = mkdtempSync(join(tmpdir(), 'deploy-env-'));
  const envFile = join(dir, '.env');
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', cleanUp);
  const withCredentials = credentials.from === 'environment' ? { ...deploy.variables, ACCOUNT_SID: credentials.username, AUTH_TOKEN: credentials.password } : deploy.variables;
  writeFileSync(envFile, formatDotenv(withCredentials), { mode: 0o600 });

  const twilioRun = await run([require.resolve('twilio-run/bin/twilio-run.js'), ...twilioRunArguments(envFile, args.passOn)], process.stdout);
  cleanUp();
  if (twilioRun.code !== 0) process.exit(twilioRun.code);

  const origin = /https:\/\/[a-z0-9.-]+\.twil\.io(?=\/conversations\/pre-event)/.exec(twilioRun.stdout)?.[0];
  if (origin) {
    say('');
    say('Point Conversations at the deployed webhooks:');
    say(`  pre-event:  ${origin}/conversations/pre-event   (onMessageAdd, onParticipantAdd, onConversationAdd)`);
    say(`  post-event: ${origin}/conversations/post-event  (onParticipantAdded, onParticipantRemoved, onConversationStateUpdated)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
