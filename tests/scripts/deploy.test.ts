/**
 * `npm run deploy`, end to end against a loopback Serverless API (tests/support/serverless-*): the
 * command (scripts/lib/deploy-command.ts, what scripts/deploy.ts runs) checks, builds and runs the
 * real `twilio-run deploy` in a child process whose HTTPS calls to serverless(-upload).twilio.com go
 * through a local proxy. Two cases run the real script: a refusal (its exit code and stderr) and the
 * JSON deploy (stdout carries twilio-run's JSON alone, through the script's own streams). Each run
 * happens in a copy of the project so its build and its .env never touch the working tree other
 * tests read.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { DEPLOY_CLI, deployCredentials, parseDeployArguments, TWILIO_RUN_DEPLOY_OPTIONS, twilioRunArguments } from '../../scripts/lib/deploy-args';
import { deployCommand } from '../../scripts/lib/deploy-command';
import { deployEnvironment } from '../../scripts/lib/deploy-env';
import { LOCAL_ONLY } from '../../src/guard/config/local-only';
import { VARIABLES } from '../../src/guard/config/variables';
import { filesUnder, ROOT } from '../support/build';
import { startServerlessEmulator, type ServerlessEmulator } from '../support/serverless-emulator';
import { copyProject, removeProject } from './project-copy';

const ACCOUNT_SID = `AC${'1a'.repeat(16)}`;
const AUTH_TOKEN = 'f'.repeat(32);
const API_KEY = `SK${'2b'.repeat(16)}`;
const API_SECRET = 'api-key-secret';
const TSX_CLI = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

describe('deploy environment', () => {
  it('uploads .env minus local-only variables and empty values', () => {
    const env = deployEnvironment(
      { ACCOUNT_SID, AUTH_TOKEN, TWILIO_API_BASE_URL: 'http://127.0.0.1:4010', PORT: '3000', EMULATOR_PORT: '4010', GUARD_MODE: 'shadow', FAIL_MODE: '', MY_OWN: 'x' },
      {},
    );
    expect(env.variables).toEqual({ GUARD_MODE: 'shadow', MY_OWN: 'x' });
    expect(env.leftOut.sort()).toEqual(['ACCOUNT_SID', 'AUTH_TOKEN', 'EMULATOR_PORT', 'PORT', 'TWILIO_API_BASE_URL']);
    expect(env.account).toEqual({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  });

  it('takes guard variables and credentials from the shell over .env, and nothing else from the shell', () => {
    const env = deployEnvironment({ GUARD_MODE: 'shadow', WEBHOOK_BASE_URL: 'http://localhost:3000', AUTH_TOKEN: 'local' }, { GUARD_MODE: 'enforce', WEBHOOK_BASE_URL: '', AUTH_TOKEN, HOME: '/root', PATH: '/bin' });
    expect(env.variables).toEqual({ GUARD_MODE: 'enforce' });
    expect(env.account.authToken).toBe(AUTH_TOKEN);
  });

  it.each(['http://localhost:3000', 'https://guard-tunnel.example.com'])('WEBHOOK_BASE_URL=%s is never deployed, whatever it is', (url) => {
    const env = deployEnvironment({ WEBHOOK_BASE_URL: url, GUARD_MODE: 'shadow', STATUS_PASSWORD: 'correct horse battery staple' }, {});
    expect(env.variables).toEqual({ GUARD_MODE: 'shadow', STATUS_PASSWORD: 'correct horse battery staple' });
    expect(env.leftOut).toEqual(['WEBHOOK_BASE_URL']);
  });
});

describe('deploy arguments', () => {
  it('reads --env, credentials and the output format, and passes everything but --env on', () => {
    const args = parseDeployArguments(['--env=prod.env', '-u', API_KEY, '--password', API_SECRET, '--environment', 'stage', '-o', 'json']);
    expect(args).toEqual({ envPath: 'prod.env', username: API_KEY, password: API_SECRET, json: true, passOn: ['-u', API_KEY, '--password', API_SECRET, '--environment', 'stage', '-o', 'json'] });
    expect(parseDeployArguments(['--env', 'a.env', '--service-name=x']).passOn).toEqual(['--service-name=x']);
  });

  it('knows the options of the installed twilio-run deploy command, no more and no fewer', () => {
    // Read in a process of its own: the module loads twilio-run's whole deploy client.
    const script = "process.stdout.write(JSON.stringify(Object.keys(require('twilio-run/dist/commands/deploy').cliInfo.options)))";
    const documented = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
    expect([...TWILIO_RUN_DEPLOY_OPTIONS].sort()).toEqual(documented.sort());
  });

  it('passes every option twilio-run deploy documents, in its spellings, and refuses any other', () => {
    const documented = ['--to', 'stage', '-n', 'guard', '--no-assets', '--functions', '--service-sid', `ZS${'0'.repeat(32)}`, '--runtime=node22', '-l', 'debug', '--load-system-env', '--production', '--no-override-existing-project'];
    expect(parseDeployArguments(documented).passOn).toEqual(documented);
    expect(() => parseDeployArguments(['--environment', 'stage', '--enviroment', 'prod'])).toThrow('unknown option --enviroment; see --help.');
    // twilio-run's other commands' options are not deploy's.
    expect(() => parseDeployArguments(['--ngrok', 'x'])).toThrow('unknown option --ngrok');
    expect(() => parseDeployArguments(['--service-name'])).toThrow('option --service-name needs a value');
    expect(() => parseDeployArguments(['stage'])).toThrow('unexpected argument stage');
  });

  it('overrides an existing project unless told otherwise', () => {
    expect(twilioRunArguments('/tmp/e', ['--environment', 'stage'])).toEqual(['deploy', '--env', '/tmp/e', '--override-existing-project', '--environment', 'stage']);
    expect(twilioRunArguments('/tmp/e', ['--no-override-existing-project'])).toEqual(['deploy', '--env', '/tmp/e', '--no-override-existing-project']);
    expect(twilioRunArguments('/tmp/e', ['--force'])).toEqual(['deploy', '--env', '/tmp/e', '--force']);
  });

  it('needs an account pair or an API key pair', () => {
    const none = { accountSid: '', authToken: '' };
    expect(deployCredentials({}, { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })).toEqual({ from: 'environment', username: ACCOUNT_SID, password: AUTH_TOKEN });
    expect(deployCredentials({ username: API_KEY, password: API_SECRET }, none)).toEqual({ from: 'flags', username: API_KEY });
    expect(deployCredentials({}, { accountSid: '', authToken: AUTH_TOKEN })).toHaveProperty('problem', expect.stringContaining('ACCOUNT_SID and AUTH_TOKEN'));
    expect(deployCredentials({ username: API_KEY }, { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })).toHaveProperty('problem', expect.stringContaining('--password'));
    expect(deployCredentials({ username: 'me', password: 'x' }, none)).toHaveProperty('problem', expect.stringContaining('--username me'));
    expect(deployCredentials({}, { accountSid: 'ACnotasid', authToken: AUTH_TOKEN })).toHaveProperty('problem', expect.stringContaining('ACCOUNT_SID=ACnotasid'));
  });
});

describe('npm run deploy against a loopback Serverless API', () => {
  let emulator: ServerlessEmulator;
  let project: string;

  beforeAll(async () => {
    emulator = await startServerlessEmulator();
    project = copyProject('deploy-project-', ['src', 'scripts', 'package.json', '.twilioserverlessrc', 'tsconfig.json']);
  });
  afterAll(async () => {
    await emulator?.close();
    removeProject(project);
  });

  /** A clean shell: this process's environment without guard variables or credentials, with `shell` and the proxy to the emulator added. */
  function shellWith(shell: Record<string, string>): NodeJS.ProcessEnv {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in VARIABLES) && !['ACCOUNT_SID', 'AUTH_TOKEN', 'PORT', 'EMULATOR_PORT'].includes(name)));
    return { ...inherited, ...emulator.env(), ...shell };
  }

  /** Runs the real script, `npm run deploy -- <args>`, in the copy, with `dotenv` as its .env. */
  function deployScript(dotenv: string, args: string[] = [], shell: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    writeFileSync(join(project, '.env'), dotenv);
    return new Promise((done) => {
      const child = spawn(process.execPath, [TSX_CLI, 'scripts/deploy.ts', ...args], { cwd: project, env: shellWith(shell), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
  }

  /** The same command in process (what scripts/deploy.ts calls); twilio-run still runs as a child. */
  async function deploy(dotenv: string, args: string[] = [], shell: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    writeFileSync(join(project, '.env'), dotenv);
    const printed = { stdout: '', stderr: '' };
    const into = (name: keyof typeof printed) => new Writable({ write: (chunk: Buffer, _encoding, done) => done(void (printed[name] += chunk.toString())) });
    const code = await deployCommand(args, shellWith(shell), project, { stdout: into('stdout'), stderr: into('stderr') }, project);
    return { code, ...printed };
  }

  const localDotenv = [
    `ACCOUNT_SID=${ACCOUNT_SID}`,
    `AUTH_TOKEN=${AUTH_TOKEN}`,
    'TWILIO_API_BASE_URL=http://127.0.0.1:4010',
    'PORT=3000',
    'EMULATOR_PORT=4010',
    'WEBHOOK_BASE_URL=https://guard-tunnel.example.com',
    'STATUS_PASSWORD=correct-horse-battery-staple',
    'GUARD_MODE=shadow',
    'MAX_CHAT_BODY_BYTES=2000',
    'RATE_LIMITS="sms-sender=5/10s per author from sms; inbound=25/1s per service on message"',
    'FAIL_MODE=',
  ].join('\n');
  const uploadedVariables = (environmentSid: string) => Object.fromEntries(emulator.state.variables.filter((v) => v.environment_sid === environmentSid).map((v) => [v.key, v.value]));

  it.each([[['--help']], [['--environment', 'stage', '-h']], [['--enviroment', 'stage']]])('%j neither builds nor uploads anything', async (argv) => {
    const result = await deploy(localDotenv, argv);
    if (argv.includes('--enviroment')) expect(result).toEqual({ code: 2, stdout: '', stderr: `deploy: unknown option --enviroment; see --help.\n\n${DEPLOY_CLI.usage}\n` });
    else expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: npm run deploy[^]*--service-name, -n <value>/), stderr: '' });
    expect(existsSync(join(project, 'dist'))).toBe(false);
    expect(emulator.state.requests).toEqual([]);
  });

  it('stops on an invalid configuration before building or uploading, naming the variable', async () => {
    const result = await deploy(`${localDotenv}\nMAX_PARTICIPANTS=lots\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('.env: invalid configuration, nothing was built or deployed.');
    expect(result.stderr).toContain('MAX_PARTICIPANTS="lots": expected a whole number');
    expect(existsSync(join(project, 'dist'))).toBe(false);
    expect(emulator.state.requests).toEqual([]);
  }, 60_000);

  it('stops on a STATUS_PASSWORD too short (masked) or a SERVICE_SID in .env, before building or uploading', async () => {
    const result = await deploy(`${localDotenv}\nSTATUS_PASSWORD=hunter2\nSERVICE_SID=ZS${'0'.repeat(32)}\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('.env: invalid configuration, nothing was built or deployed.');
    expect(result.stderr).toContain(`  SERVICE_SID="ZS${'0'.repeat(32)}": expected unset: Twilio sets SERVICE_SID for deployed functions only`);
    expect(result.stderr).toContain('  STATUS_PASSWORD=<7 characters, not shown>: expected at least 16 characters');
    expect(result.stderr).not.toContain('hunter2');
    expect(existsSync(join(project, 'dist'))).toBe(false);
    expect(emulator.state.requests).toEqual([]);
  }, 60_000);

  it('stops without credentials in one sentence, without a stack trace', async () => {
    // The real script: its exit code, and nothing but the sentence on stderr.
    const result = await deployScript('ACCOUNT_SID=\nAUTH_TOKEN=0123456789abcdef0123456789abcdef\n');
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('No Twilio credentials to deploy with: set ACCOUNT_SID and AUTH_TOKEN in .env (or in the shell), or pass an API key with --username SK… --password <secret>.');
    expect(existsSync(join(project, 'dist'))).toBe(false);
    expect(emulator.state.requests).toEqual([]);
  }, 60_000);

  it('builds, uploads the protected functions on runtime node22 with the guard variables only, and prints the webhook URLs', async () => {
    const result = await deploy(localDotenv);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    for (const name of Object.keys(LOCAL_ONLY)) expect(result.stdout).toContain(`not deployed: ${name} (`);

    const [service] = emulator.state.services;
    expect(emulator.state.services).toHaveLength(1);
    expect(service).toMatchObject({ unique_name: 'conversations-limits-guard', include_credentials: true });
    const [environment] = emulator.state.environments;
    expect(environment).toMatchObject({ domain_suffix: 'dev', build_sid: emulator.state.builds[0]!.sid });
    expect(result.stdout).toContain(`  pre-event:  https://${environment!.domain_name}/conversations/pre-event `);
    expect(result.stdout).toContain(`  post-event: https://${environment!.domain_name}/conversations/post-event `);

    const [build] = emulator.state.builds;
    expect(build!.runtime).toBe('node22');
    expect(build!.dependencies.map((d) => d.name)).toEqual(expect.arrayContaining(['@twilio/runtime-handler', 'twilio']));
    // Exactly the built files, each uploaded once and part of the build.
    const built = filesUnder(join(project, 'dist', 'functions')).map((file) => '/' + relative(join(project, 'dist', 'functions'), file).replace(/(\.protected)?\.js$/, ''));
    const versions = emulator.state.functionVersions;
    expect(versions.map((v) => v.path).sort()).toEqual(built.sort());
    expect(build!.functionVersions.sort()).toEqual(versions.map((v) => v.sid).sort());
    const preEvent = versions.find((v) => v.path === '/conversations/pre-event')!;
    expect(preEvent.visibility).toBe('protected');
    expect(versions.find((v) => v.path === '/conversations/post-event')!.visibility).toBe('protected');
    expect(preEvent.content).toBe(readFileSync(join(project, 'dist', 'functions', 'conversations', 'pre-event.protected.js'), 'utf8'));

    // Every local-only setting stays on this machine, a tunnel's WEBHOOK_BASE_URL included.
    expect(uploadedVariables(environment!.sid)).toEqual({
      STATUS_PASSWORD: 'correct-horse-battery-staple',
      GUARD_MODE: 'shadow',
      MAX_CHAT_BODY_BYTES: '2000',
      RATE_LIMITS: 'sms-sender=5/10s per author from sms; inbound=25/1s per service on message',
    });
    expect(new Set(emulator.state.requests.map((r) => r.username))).toEqual(new Set([ACCOUNT_SID]));
    expect(new Set(emulator.connects)).toEqual(new Set(['serverless.twilio.com:443', 'serverless-upload.twilio.com:443']));
  }, 60_000);

  it('deploys from a fresh checkout (CI) with an API key to another environment, reusing the service, with JSON output', async () => {
    rmSync(join(project, '.twiliodeployinfo'), { force: true });
    const before = emulator.state.requests.length;
    const result = await deployScript('ACCOUNT_SID=\nAUTH_TOKEN=0123456789abcdef0123456789abcdef\nGUARD_MODE=enforce\n', ['--username', API_KEY, '--password', API_SECRET, '--environment', 'stage', '-o', 'json'], { MAX_PARTICIPANTS: '500' });
    expect(result.code).toBe(0);
    expect(emulator.state.services).toHaveLength(1);
    const stage = emulator.state.environments.find((e) => e.domain_suffix === 'stage')!;
    expect(stage.domain_name).toMatch(/-stage\.twil\.io$/);
    const printed = JSON.parse(result.stdout);
    expect(printed.functions).toContainEqual({ access: 'protected', path: '/conversations/pre-event', url: `https://${stage.domain_name}/conversations/pre-event` });
    expect(result.stderr).toContain(`pre-event:  https://${stage.domain_name}/conversations/pre-event`);
    expect(uploadedVariables(stage.sid)).toEqual({ GUARD_MODE: 'enforce', MAX_PARTICIPANTS: '500' });
    expect(new Set(emulator.state.requests.slice(before).map((r) => r.username))).toEqual(new Set([API_KEY]));
  }, 60_000);
});
