/**
 * What `npm run check-config` and `npm start` refuse in a .env, and how they say it: a STATUS_PASSWORD
 * too short for a public URL (masked, never printed), and the values Twilio's runtime sets
 * (SERVICE_SID, DOMAIN_NAME), which the local runtime would spread over the functions' context and
 * so change how a request's signature is checked. The commands run in process; each script also runs
 * once for real, for its exit status and streams. npm start runs in a copy of the project, and must
 * stop before building anything.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig } from '../../scripts/lib/check-config-command';
import { localStatusPassword } from '../../scripts/lib/dotenv';
import { startEnvironment } from '../../scripts/lib/start-env';
import { ROOT } from '../support/build';
import { copyProject, removeProject } from './project-copy';

const TSX_CLI = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const SERVICE_SID = `ZS${'0123456789abcdef'.repeat(2)}`;
const SHORT_PASSWORD = 'hunter2';

const capture = () => {
  const printed = { stdout: '', stderr: '' };
  return { printed, out: { log: (text: string) => void (printed.stdout += `${text}\n`), error: (text: string) => void (printed.stderr += `${text}\n`) } };
};

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'local-env-'));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function check(dotenv: string, shell: NodeJS.ProcessEnv = {}) {
  const path = join(folder, '.env');
  writeFileSync(path, dotenv);
  const { printed, out } = capture();
  return { code: checkConfig(path, '.env', shell, out), ...printed };
}

/** `node tsx <script> <args>` from `cwd`, with a shell holding no guard variable. */
function runReal(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [TSX_CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const PASSWORD_FORM = 'at least 16 characters (the URL it guards is public and nothing limits guesses: use a random one, such as npm start writes), or empty for off';

describe('npm run check-config', () => {
  it('refuses STATUS_PASSWORD=abc, naming the variable and the form, the value masked', () => {
    expect(check('STATUS_PASSWORD=abc\n')).toEqual({ code: 1, stdout: '', stderr: `.env: invalid configuration\n  STATUS_PASSWORD=<3 characters, not shown>: expected ${PASSWORD_FORM}\n` });
    const shown = check(`STATUS_PASSWORD=${SHORT_PASSWORD}\n`);
    expect(shown.code).toBe(1);
    expect(shown.stderr).not.toContain(SHORT_PASSWORD);
    // Set in the shell (as CI deploys), it is refused just the same.
    expect(check('', { STATUS_PASSWORD: SHORT_PASSWORD })).toMatchObject({ code: 1, stderr: expect.stringContaining('STATUS_PASSWORD=<7 characters, not shown>') });
  });

  it('takes 16 characters and more, and the password npm start writes', () => {
    expect(localStatusPassword()).toHaveLength(16);
    for (const password of ['sixteen-chars-ok', localStatusPassword(), 'correct horse battery staple']) {
      expect(check(`STATUS_PASSWORD="${password}"\n`)).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^\.env: configuration is valid\.\n/) });
    }
    expect(check('STATUS_PASSWORD=\n').code).toBe(0); // unset: the status page is off
  });

  it('refuses SERVICE_SID in .env with the reason: it would switch the functions\' signature check off', () => {
    const result = check(`SERVICE_SID=${SERVICE_SID}\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `.env: invalid configuration\n  SERVICE_SID="${SERVICE_SID}": expected unset: Twilio sets SERVICE_SID for deployed functions only, and the functions take it as the sign that Twilio's gateway has checked X-Twilio-Signature; in a local .env it would switch their own signature check off, so any unsigned request would be answered\n`,
    );
  });

  it('refuses DOMAIN_NAME in .env, pointing to WEBHOOK_BASE_URL; and lists every problem at once', () => {
    const result = check(`DOMAIN_NAME=guard-1234-dev.twil.io\nSERVICE_SID=${SERVICE_SID}\nSTATUS_PASSWORD=abc\nMAX_PARTICIPANTS=lots\n`);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').map((line) => line.split(':')[0])).toEqual([
      '.env',
      `  SERVICE_SID="${SERVICE_SID}"`,
      '  DOMAIN_NAME="guard-1234-dev.twil.io"',
      '  MAX_PARTICIPANTS="lots"',
      '  STATUS_PASSWORD=<3 characters, not shown>',
      '',
    ]);
    expect(result.stderr).toContain('set WEBHOOK_BASE_URL for a tunnel instead');
  });

  it('as the real script: exits 1 with the lines on stderr', async () => {
    const path = join(folder, 'short.env');
    writeFileSync(path, 'STATUS_PASSWORD=abc\n');
    const result = await runReal(ROOT, ['scripts/check-config.ts', path]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining(`  STATUS_PASSWORD=<3 characters, not shown>: expected ${PASSWORD_FORM}\n`) });
  }, 30_000);
});

describe('npm start', () => {
  it('writes a .env whose STATUS_PASSWORD it then accepts', () => {
    const project = mkdtempSync(join(tmpdir(), 'start-env-'));
    try {
      writeFileSync(join(project, '.env.example'), readFileSync(join(ROOT, '.env.example')));
      const { printed, out } = capture();
      const env = startEnvironment(project, out);
      expect(printed).toEqual({ stdout: 'No .env found: created one from .env.example, with a random local AUTH_TOKEN and STATUS_PASSWORD.\n', stderr: '' });
      expect(env?.STATUS_PASSWORD).toMatch(/^[\w-]{16}$/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('refuses a .env with SERVICE_SID before building or starting anything, saying why', async () => {
    const project = copyProject('start-');
    try {
      writeFileSync(join(project, '.env'), `AUTH_TOKEN=local0123456789abcdef0123456789a\nSTATUS_PASSWORD=${localStatusPassword()}\nSERVICE_SID=${SERVICE_SID}\n`);
      const result = await runReal(project, ['scripts/start.ts']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `.env: invalid configuration, nothing was built or started.\n  SERVICE_SID="${SERVICE_SID}": expected unset: Twilio sets SERVICE_SID for deployed functions only, and the functions take it as the sign that Twilio's gateway has checked X-Twilio-Signature; in a local .env it would switch their own signature check off, so any unsigned request would be answered\n`,
      );
      expect(existsSync(join(project, 'dist'))).toBe(false);
    } finally {
      removeProject(project);
    }
  }, 30_000);

  it('refuses a STATUS_PASSWORD too short, masked', () => {
    const project = mkdtempSync(join(tmpdir(), 'start-env-'));
    try {
      writeFileSync(join(project, '.env'), `STATUS_PASSWORD=${SHORT_PASSWORD}\n`);
      const { printed, out } = capture();
      expect(startEnvironment(project, out)).toBeUndefined();
      expect(printed).toEqual({ stdout: '', stderr: `.env: invalid configuration, nothing was built or started.\n  STATUS_PASSWORD=<7 characters, not shown>: expected ${PASSWORD_FORM}\n` });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
