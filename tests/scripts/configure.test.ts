import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { guardFilters } from '../../scripts/lib/webhook-plan';
import { CONFIGURE_CLI } from '../../scripts/lib/webhook-args';
import { ACCOUNT_SID, AUTHORIZATION, AUTH_TOKEN, type Json } from '../emulator/http';
import { configureWebhooks } from '../../scripts/lib/configure-command';
import { bundledScript } from '../support/build';

const GUARD_FILTERS = guardFilters();

const ROOT = join(__dirname, '..', '..');
const BASE = 'https://guard-1234-dev.twil.io';
const PRE = `${BASE}/conversations/pre-event`;
const POST = `${BASE}/conversations/post-event`;
const SERVICE = 'IS0123456789abcdef0123456789abcdef';
const ACCOUNT_CONFIG = '/conversations/v1/Configuration/Webhooks';
const SERVICE_CONFIG = `/conversations/v1/Services/${SERVICE}/Configuration/Webhooks`;

let emu: Emulator;
let dir: string;
let script: string;
beforeAll(async () => {
  script = bundledScript('configure');
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), 'configure-'));
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const shellEnv = (env: Record<string, string> = {}) => ({ TWILIO_API_BASE_URL: emu.url, ACCOUNT_SID, AUTH_TOKEN, ...env });
const argvOf = (args: string[], envFile?: string) => ['--env', envFile ?? join(dir, 'absent.env'), ...args];

/** Runs the command in process, as the script runs it, reading no .env unless given one. */
async function configure(args: string[], opts: { env?: Record<string, string>; envFile?: string } = {}): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = { log: (line: string) => stdout.push(`${line}\n`), error: (line: string) => stderr.push(`${line}\n`) };
  const code = await configureWebhooks(argvOf(args, opts.envFile), shellEnv(opts.env), out, join(dir, 'absent.env'));
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** Runs the real script in its own process, as `npm run configure` does. */
function configureProcess(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...argvOf(args)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...shellEnv() }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function readConfig(path: string): Promise<Json> {
  const res = await fetch(`${emu.url}${path}`, { headers: { Authorization: AUTHORIZATION } });
  return res.json();
}

async function writeConfig(path: string, fields: Array<[string, string]>): Promise<void> {
  const res = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { Authorization: AUTHORIZATION, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  expect(res.status).toBe(200);
}

const posts = () => emu.log.filter((e) => e.method === 'POST' && e.path.endsWith('/Configuration/Webhooks')).length;

describe('npm run configure, account level', () => {
  it('--dry-run prints the plan and changes nothing', async () => {
    const run = await configure(['--url', BASE, '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Account-level Conversations webhooks');
    expect(run.stdout).toMatch(new RegExp(`PreWebhookUrl +\\(none\\) +${PRE}`));
    expect(run.stdout).toMatch(/\+ onParticipantAdded/);
    expect(run.stdout).toContain('Dry run: nothing was changed. Without --dry-run this run would change PreWebhookUrl, PostWebhookUrl, Filters.');
    expect(posts()).toBe(0);
    expect(await readConfig(ACCOUNT_CONFIG)).toMatchObject({ pre_webhook_url: null, post_webhook_url: null, filters: [] });
  });

  it('configures the guard, then finds nothing to change on a second run', async () => {
    const first = await configure(['--url', `${BASE}/`]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Updated PreWebhookUrl, PostWebhookUrl, Filters.');
    expect(await readConfig(ACCOUNT_CONFIG)).toMatchObject({
      pre_webhook_url: PRE,
      post_webhook_url: POST,
      method: 'POST',
      filters: [...GUARD_FILTERS],
      target: 'webhook',
    });

    const second = await configure(['--url', BASE]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Nothing to change: the webhooks already point at the guard.');
    expect(second.stdout).toMatch(new RegExp(`PreWebhookUrl +${PRE} +\\(unchanged\\)`));
    expect(posts()).toBe(1);
  });

  it('refuses to replace webhooks that point elsewhere, even in a dry run', async () => {
    await writeConfig(ACCOUNT_CONFIG, [['PreWebhookUrl', 'https://example.com/pre'], ['Filters', 'onMessageAdded']]);
    emu.clearLog();
    for (const args of [['--url', BASE], ['--url', BASE, '--dry-run']]) {
      const run = await configure(args);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`PreWebhookUrl +https://example.com/pre +${PRE}`));
      expect(run.stderr).toContain('PreWebhookUrl already points at https://example.com/pre.');
      expect(run.stderr).toContain('Run again with --force to replace them');
    }
    expect(posts()).toBe(0);
    expect(await readConfig(ACCOUNT_CONFIG)).toMatchObject({ pre_webhook_url: 'https://example.com/pre', filters: ['onMessageAdded'] });
  });

  it('--force replaces them and keeps the filters already set', async () => {
    await writeConfig(ACCOUNT_CONFIG, [['PreWebhookUrl', 'https://example.com/pre'], ['Method', 'GET'], ['Filters', 'onMessageAdded']]);
    const run = await configure(['--url', BASE, '--force']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Replaced PreWebhookUrl https://example.com/pre.');
    expect(run.stdout).toContain('Updated PreWebhookUrl, PostWebhookUrl, Method, Filters.');
    expect(await readConfig(ACCOUNT_CONFIG)).toMatchObject({
      pre_webhook_url: PRE,
      post_webhook_url: POST,
      method: 'POST',
      filters: ['onMessageAdded', ...GUARD_FILTERS],
    });
  });

  it('refuses to take the account away from Flex without --force', async () => {
    await writeConfig(ACCOUNT_CONFIG, [['Target', 'flex']]);
    const run = await configure(['--url', BASE]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Target is flex');
    expect((await readConfig(ACCOUNT_CONFIG)).target).toBe('flex');
  });

  it('reads the base URL and the emulator address from the .env file, under empty shell variables', async () => {
    const envFile = join(dir, 'tunnel.env');
    writeFileSync(envFile, `WEBHOOK_BASE_URL=https://tunnel.example.com\nTWILIO_API_BASE_URL=${emu.url}\nACCOUNT_SID=${ACCOUNT_SID}\nAUTH_TOKEN=${AUTH_TOKEN}\n`);
    const run = await configure([], { envFile, env: { TWILIO_API_BASE_URL: '', ACCOUNT_SID: '', AUTH_TOKEN: '' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Guard functions: https://tunnel.example.com (WEBHOOK_BASE_URL)');
    expect((await readConfig(ACCOUNT_CONFIG)).pre_webhook_url).toBe('https://tunnel.example.com/conversations/pre-event');
  });
});

describe('npm run configure, service level', () => {
  it('configures the service only, without a Target', async () => {
    const run = await configure(['--url', BASE, '--service', SERVICE]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Conversations webhooks of service ${SERVICE}`);
    expect(run.stdout).not.toMatch(/^ +Target/m);
    const service = await readConfig(SERVICE_CONFIG);
    expect(service).toMatchObject({ pre_webhook_url: PRE, post_webhook_url: POST, method: 'POST', filters: [...GUARD_FILTERS] });
    expect((await readConfig(ACCOUNT_CONFIG)).pre_webhook_url).toBeNull();

    const again = await configure(['--url', BASE, '--service', SERVICE]);
    expect(again.stdout).toContain('Nothing to change');
  });

  it('names the service when Twilio does not know it', async () => {
    emu.injectFault({ kind: 'status', status: 404, pathIncludes: SERVICE });
    const run = await configure(['--url', BASE, '--service', SERVICE]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`No Conversations service ${SERVICE} in this account (HTTP 404 20404): check --service.`);
  });
});

describe('npm run configure, failures', () => {
  it.each([
    [['--url', 'http://guard-1234-dev.twil.io'], '--url "http://guard-1234-dev.twil.io": expected the https:// base URL'],
    [['--url', BASE, '--service', 'IS123'], '--service "IS123": expected a Conversations service SID'],
    [[], '--url is required'],
  ])('%j exits 2 with one sentence and no request', async (args, expected) => {
    const run = await configure(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(expected);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(emu.log).toHaveLength(0);
  });

  it('--help prints the usage and reads nothing', async () => {
    const run = await configure(['--url', BASE, '--help']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Usage: npm run configure -- --url/);
    expect(emu.log).toHaveLength(0);
  });

  it('an unknown option exits 2 with one sentence naming it, then the usage', async () => {
    const run = await configure(['--url', BASE, '--dryrun']);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `configure: unknown option --dryrun; see --help.\n\n${CONFIGURE_CLI.usage}\n` });
    expect(emu.log).toHaveLength(0);
  });

  it('explains refused credentials', async () => {
    emu.injectFault({ kind: 'status', status: 401, pathIncludes: 'Configuration' });
    const run = await configure(['--url', BASE]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Twilio refused the credentials (HTTP 401 20003)');
  });

  it('explains an unreachable API', async () => {
    const run = await configure(['--url', BASE], { env: { TWILIO_API_BASE_URL: 'http://127.0.0.1:65533' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Could not reach http:\/\/127\.0\.0\.1:65533: .*ECONNREFUSED/);
  });
});

describe('scripts/configure.ts in its own process', () => {
  it('prints to stdout and exits 0 on a dry run', async () => {
    const run = await configureProcess(['--url', BASE, '--dry-run']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('Dry run: nothing was changed.');
    expect(posts()).toBe(0);
  });

  it('writes the problem to stderr and exits 2 on an invalid argument', async () => {
    const run = await configureProcess(['--url', BASE, '--service', 'IS123']);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('--service "IS123": expected a Conversations service SID');
  });
});
