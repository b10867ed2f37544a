/**
 * `npm run deploy`, as a function of its arguments, environment, project folder and output streams
 * (scripts/deploy.ts runs it): checks the configuration, builds, and deploys dist/ with
 * `twilio-run deploy` in a child process. Resolves to the exit code; nothing is built or uploaded
 * when the configuration or the credentials are wrong. twilio-run runs with the shell's environment,
 * and a SIGINT or SIGTERM sent to this process is passed on to it.
 */
import { spawn } from 'node:child_process';
import { Console } from 'node:console';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ConfigError } from '../../src/guard/config/errors';
import { parseDotenvSettings } from '../../src/guard/config/load';
import { buildProject } from './build-project';
import { problemLines } from './check-config-command';
import { runCommand } from './cli';
import { DEPLOY_CLI, deployArguments, deployCredentials, twilioRunArguments, type DeployArguments } from './deploy-args';
import { deployEnvironment, LOCAL_ONLY } from './deploy-env';
import { formatDotenv, readDotenv } from './dotenv';

const EXIT_STOPPED = 1;

/** Where the command writes: the process's own streams, or a test's capture. */
export interface OutputStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Runs a child process in `cwd` with `env`. Its stdout is copied to `streams.stdout` and returned.
 * When `streams` are this process's own, the child shares its stdin and stderr (a terminal still
 * gets twilio-run's progress); otherwise its stdin is empty and its stderr copied to `streams.stderr`.
 */
function run(command: string[], cwd: string, env: NodeJS.ProcessEnv, streams: OutputStreams): Promise<{ code: number; stdout: string }> {
  return new Promise((done, fail) => {
    const terminal = streams.stderr === process.stderr;
    const child = spawn(process.execPath, command, { cwd, env, stdio: [terminal ? 'inherit' : 'ignore', 'pipe', terminal ? 'inherit' : 'pipe'] });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      streams.stdout.write(chunk);
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => streams.stderr.write(chunk));
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

/**
 * What `npm run deploy -- <argv>` does in the project at `root`, with `shellEnv` as the shell's
 * environment, twilio-run's included (.env is read from `root` unless --env names another file,
 * relative to `cwd`). --help, or an option twilio-run deploy does not take, stops it before anything.
 */
export function deployCommand(argv: string[], shellEnv: NodeJS.ProcessEnv, root: string, streams: OutputStreams, cwd = process.cwd()): Promise<number> {
  const out = new Console(streams);
  return runCommand(DEPLOY_CLI, argv, (parsed) => deploy(deployArguments(argv, parsed), shellEnv, root, streams, out, cwd), out);
}

async function deploy(args: DeployArguments, shellEnv: NodeJS.ProcessEnv, root: string, streams: OutputStreams, out: Console, cwd: string): Promise<number> {
  // With --output-format json, stdout carries twilio-run's JSON alone.
  const say = (line: string) => (args.json ? out.error(line) : out.log(line));
  const stop = (lines: string[]) => {
    for (const line of lines) out.error(line);
    return EXIT_STOPPED;
  };

  const envPath = resolve(cwd, args.envPath ?? join(root, '.env'));
  const shown = relative(cwd, envPath) || envPath;
  if (args.envPath && !existsSync(envPath)) return stop([`${shown} not found: nothing was built or deployed.`]);

  const deploy = deployEnvironment(readDotenv(envPath), shellEnv);
  try {
    parseDotenvSettings(deploy.variables, shown);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return stop([`${shown}: invalid configuration, nothing was built or deployed.`, ...problemLines(error)]);
  }
  const credentials = deployCredentials(args, deploy.account);
  if ('problem' in credentials) return stop([credentials.problem]);

  say(`${shown}: configuration is valid; deploying ${Object.keys(deploy.variables).length} variable(s) as ${credentials.username}.`);
  for (const name of deploy.leftOut) say(`  not deployed: ${name} (${LOCAL_ONLY[name]})`);

  try {
    say(await buildProject(root));
  } catch (error) {
    return stop([String(error), 'The build failed: nothing was deployed.']);
  }

  // twilio-run uploads every variable of its --env file except ACCOUNT_SID and AUTH_TOKEN, which it
  // reads as credentials: keeping the auth token in a private file keeps it off the command line.
  const dir = mkdtempSync(join(tmpdir(), 'deploy-env-'));
  let twilioRun: { code: number; stdout: string };
  try {
    const envFile = join(dir, '.env');
    const withCredentials = credentials.from === 'environment' ? { ...deploy.variables, ACCOUNT_SID: credentials.username, AUTH_TOKEN: credentials.password } : deploy.variables;
    writeFileSync(envFile, formatDotenv(withCredentials), { mode: 0o600 });
    twilioRun = await run([require.resolve('twilio-run/bin/twilio-run.js'), ...twilioRunArguments(envFile, args.passOn)], root, shellEnv, streams);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (twilioRun.code !== 0) return twilioRun.code;

  const origin = /https:\/\/[a-z0-9.-]+\.twil\.io(?=\/conversations\/pre-event)/.exec(twilioRun.stdout)?.[0];
  if (origin) {
    say('');
    say('Point Conversations at the deployed webhooks:');
    say(`  pre-event:  ${origin}/conversations/pre-event   (onMessageAdd, onParticipantAdd, onConversationAdd)`);
    say(`  post-event: ${origin}/conversations/post-event  (onParticipantAdded, onParticipantRemoved, onConversationStateUpdated)`);
  }
  return 0;
}
