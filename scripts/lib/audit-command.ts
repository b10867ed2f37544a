/**
 * `npm run audit`: replays the account's recent Conversations history through the guard's own rules
 * (src/audit) and reports what it would have rejected or annotated. Read-only: GET requests only.
 * Without credentials it audits a generated history on the bundled emulator.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, createReadStream, existsSync, fstatSync, openSync, readFileSync, readSync, truncateSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { startEmulator } from '../../emulator';
import { Auditor, type AuditReport } from '../../src/audit/replay';
import { auditWindow, WindowError } from '../../src/audit/window';
import { formatReport, maskReport } from '../../src/audit/format';
import { renderHtml } from '../../src/audit/html';
import { maskedConversation, parseSavedLine, SavedFileError, StandIns, type SavedConversation, type SavedHeader, type SavedIdentity } from '../../src/audit/history';
import { allSettledOrFirstError, countIdentity, CredentialsError, HttpError, NetworkError, Reader, readHistory, UnknownServiceError } from '../../src/audit/read';
import { ConfigError } from '../../src/guard/config/errors';
import { parseSettings } from '../../src/guard/config/load';
import { UsageError, type Cli, type CommandLine, type Out } from './cli';
import { DEMO_RATE_LIMITS, seedDemoHistory } from './audit-demo';
import { hasRealCredentials, readDotenvUnderShell } from './dotenv';

const OPTIONS = {
  since: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  service: { type: 'string' },
  env: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  save: { type: 'string' },
  replay: { type: 'string' },
  concurrency: { type: 'string' },
  seed: { type: 'string' },
  'show-addresses': { type: 'boolean' },
  'keep-addresses': { type: 'boolean' },
} as const;

export const AUDIT_CLI: Cli<typeof OPTIONS> = {
  name: 'audit',
  options: OPTIONS,
  usage: `Usage: npm run audit -- [options]

Replays the Conversations history of a window through the guard's rules and reports what it would
have rejected or annotated, per rule, with an example and a per-day chart. Read-only: it sends GET
requests only. Without ACCOUNT_SID and AUTH_TOKEN (and no TWILIO_API_BASE_URL) it audits a generated
history on the bundled emulator.

  --since <duration>    the window ends now and starts this long before (default 7d)
  --from <date> --to <date>
                        the window, as ISO 8601 dates or date-times (UTC)
  --service <IS…>       a Conversations service (default: the account's default service)
  --env <file>          credentials, TWILIO_API_BASE_URL and the guard's settings (default .env);
                        a variable set in the shell wins over the file
  --json <file>         also write the report as JSON
  --html <file>         also write the report as one self-contained page
  --save <file>         keep what was read, one conversation per line (no message bodies;
                        identities and addresses as stand-ins keyed by <file>.key); a run
                        restarted with the same file skips the conversations it holds, and
                        reads again one whose line a stopped run left cut short
  --keep-addresses      with --save, keep identities and addresses as they are
  --replay <file>       judge a saved history again, with no request
  --concurrency <n>     requests in flight, and conversations held in memory, at most (default 10)
  --seed <n>            the generated history's seed, offline (default 1)
  --show-addresses      do not mask phone numbers and e-mail addresses in the report
  -h, --help            this text

Examples:
  npm run audit
  npm run audit -- --since 30d --service IS0123… --json audit.json --save history.ndjson
  npm run audit -- --replay history.ndjson`,
};

export interface AuditDeps {
  /** The project root: --env and relative files are read from the working directory, .env from here. */
  root: string;
  now?: () => number;
  /** Progress on stderr: on a terminal and not under CI. */
  progress?: boolean;
  /** The shell's environment: a variable set (not empty) there wins over the --env file, as for `npm run configure`. */
  shellEnv?: Readonly<Record<string, string | undefined>>;
  /** How the reader waits before a retry (tests pass one that does not wait). */
  sleep?: (ms: number) => Promise<void>;
  /** The rate rules' sorted runs on disk: records per run, and where their directory is made (tests). */
  spill?: { runSize?: number; dir?: string };
}

/** `work`, a {@link WindowError} becoming the usage error it is. */
function usage<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw error instanceof WindowError ? new UsageError(error.message) : error;
  }
}

function integer(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} ${value}: expected a whole number of at least ${min}.`);
  return Number(value);
}

/**
 * A saved history line after line, streamed: the header first, then each conversation or identity
 * count as it is read, so a history of any size is never held whole. Only the first `end` bytes are
 * read, when given: the whole lines of a file whose last line was cut short ({@link wholeLinesOf}).
 */
async function readSaved(file: string, each: (entry: SavedConversation | SavedIdentity) => Promise<void>, end?: number): Promise<SavedHeader> {
  let header: SavedHeader | undefined;
  let n = 0;
  const input = end === 0 ? Readable.from([]) : createReadStream(file, { encoding: 'utf8', ...(end !== undefined && { end: end - 1 }) });
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    n += 1;
    if (n === 1) header = parseSavedLine(line, 1, file) as SavedHeader;
    else if (line !== '') await each(parseSavedLine(line, n, file) as SavedConversation | SavedIdentity);
  }
  if (!header) throw new SavedFileError(`${file} is empty; give --replay a file written by --save.`);
  return header;
}

/**
 * Where the whole lines of a saved history end. Each line is appended with its newline in one write,
 * so a last line without one was cut short by a run that stopped while writing it (killed, out of
 * disk): `cut` is then true and `end` where the line before it ends. A last line that is whole JSON
 * but for its newline is whole (`newline` false).
 */
function wholeLinesOf(file: string): { end: number; cut: boolean; newline: boolean } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.alloc(1 << 16);
    let lastNewline = -1;
    for (let at = size; at > 0 && lastNewline < 0; ) {
      const from = Math.max(0, at - chunk.length);
      const n = readSync(fd, chunk, 0, at - from, from);
      const found = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (found >= 0) lastNewline = from + found;
      at = from;
    }
    if (lastNewline === size - 1 || size === 0) return { end: size, cut: false, newline: true };
    const tail = Buffer.alloc(size - lastNewline - 1);
    readSync(fd, tail, 0, tail.length, lastNewline + 1);
    try {
      JSON.parse(tail.toString('utf8'));
      return { end: size, cut: false, newline: false };
    } catch {
      return { end: lastNewline + 1, cut: true, newline: true };
    }
  } finally {
    closeSync(fd);
  }
}

/** The header of a saved history: its first line. */
async function headerOf(file: string): Promise<SavedHeader | undefined> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return parseSavedLine(line, 1, file) as SavedHeader;
  }
  return undefined;
}

export async function audit(args: CommandLine<typeof OPTIONS>, out: Out, deps: AuditDeps): Promise<number> {
  const { values } = args;
  const now = deps.now ?? Date.now;
  const concurrency = integer(values.concurrency, 'concurrency', 10, 1);
  const seed = integer(values.seed, 'seed', 1, 0);
  const envFile = values.env ?? `${deps.root}/.env`;
  if (values.env !== undefined && !existsSync(envFile)) throw new UsageError(`--env ${values.env}: no such file.`);
  const notForReplay = ['save', 'since', 'from', 'to', 'service', 'concurrency', 'keep-addresses'] as const;
  if (values.replay !== undefined && notForReplay.some((name) => values[name] !== undefined)) {
    throw new UsageError('--replay judges a saved history as it was read: --save, --since, --from, --to, --service, --concurrency and --keep-addresses do not apply.');
  }
  const window = values.replay === undefined ? usage(() => auditWindow(values, now())) : undefined;
  const env: Record<string, string | undefined> = readDotenvUnderShell(envFile, deps.shellEnv ?? {});
  const progress = (text: string) => {
    if (deps.progress) process.stderr.write(`\r${text}\u001b[K`);
  };

  let current: Auditor | undefined;
  // Ctrl-C (or a kill) would end the process before any finally: the rate rules' temporary files are
  // removed first, then the signal is taken as it would have been without this handler.
  const stop = (signal: NodeJS.Signals) => {
    current?.discard();
    progress('');
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const spill = { runSize: deps.spill?.runSize, spillDir: deps.spill?.dir };
  try {
    if (values.replay !== undefined) {
      if (!existsSync(values.replay)) throw new UsageError(`--replay ${values.replay}: no such file.`);
      const whole = wholeLinesOf(values.replay);
      if (whole.cut) out.error(`audit: ${values.replay} ends with a line cut short (the run that wrote it stopped while writing it): judged without it; run the audit again with --save ${values.replay} to read that conversation again.`);
      const first = whole.end === 0 ? undefined : await headerOf(values.replay);
      if (first?.service === 'default (generated)') env.RATE_LIMITS ||= DEMO_RATE_LIMITS;
      const auditor = (current = new Auditor(parseSettings(env, envFile), env, spill));
      const header = await readSaved(values.replay, async (entry) => (entry.kind === 'conversation' ? auditor.add(entry) : auditor.addIdentity(entry)), whole.end);
      return report(auditor.finish(header.window, header.service), values, out);
    }

    const offline = !hasRealCredentials(env as Record<string, string>) && !env.TWILIO_API_BASE_URL;
    const emulator = offline ? await startEmulator() : undefined;
    try {
      let service = values.service ?? 'default';
      if (values.service !== undefined && !/^IS[0-9a-f]{32}$/i.test(values.service)) throw new UsageError(`--service ${values.service}: expected a Conversations service SID, IS followed by 32 hex digits.`);
      if (emulator) {
        await seedDemoHistory(emulator, { seed, to: Date.parse(window!.to) });
        env.RATE_LIMITS ||= DEMO_RATE_LIMITS;
        service = values.service ?? 'default (generated)';
        out.error(`audit: no Twilio credentials in ${envFile} or in the shell: auditing a generated history (seed ${seed}) on the bundled emulator, with RATE_LIMITS="${env.RATE_LIMITS}".`);
      }
      const settings = parseSettings(env, envFile);
      const auditor = (current = new Auditor(settings, env, spill));
      const masked = values.save !== undefined && !values['keep-addresses'];
      if (values['keep-addresses'] && values.save === undefined) throw new UsageError('--keep-addresses applies to the --save file; give --save too.');
      let header: SavedHeader = { kind: 'audit-history', version: 1, window: window!, service, ...(masked && { masked: true }) };
      const keyFile = `${values.save}.key`;
      let standIns: StandIns | undefined;
      const skip = new Set<string>();
      if (values.save !== undefined && existsSync(values.save)) {
        // A run stopped while appending a line leaves it cut short: it is removed, and what it held read again.
        const whole = wholeLinesOf(values.save);
        if (whole.cut) {
          truncateSync(values.save, whole.end);
          out.error(`audit: ${values.save} ended with a line cut short (the run that wrote it stopped while writing it): removed, and what it held is read again.`);
        } else if (!whole.newline) appendFileSync(values.save, '\n');
      }
      if (values.save !== undefined && existsSync(values.save) && (await headerOf(values.save)) !== undefined) {
        const saved = (await headerOf(values.save))!;
        const named = (sid: string) => (sid === 'default' ? "the account's default service" : sid === 'default (generated)' ? 'the generated history' : sid);
        if (saved.service !== service) throw new UsageError(`--save ${values.save} holds ${named(saved.service)}, not ${named(service)}; go on with it as it was started, or give a new file.`);
        if ((saved.masked === true) !== masked) throw new UsageError(`--save ${values.save} was written ${saved.masked ? 'with stand-ins for addresses' : 'with --keep-addresses'}; go on with it ${saved.masked ? 'without' : 'with'} --keep-addresses.`);
        if (masked && !existsSync(keyFile)) throw new UsageError(`--save ${values.save}: its key ${keyFile} is gone, so new stand-ins would not match the saved ones; start a new file.`);
        if (masked) standIns = new StandIns(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex'));
        header = await readSaved(values.save, async (entry) => {
          if (entry.kind === 'identity') return auditor.addIdentity(entry);
          skip.add(entry.sid);
          await auditor.add(entry);
        });
        out.error(`audit: going on with ${values.save}: ${skip.size} conversations read already, window ${header.window.from} to ${header.window.to}.`);
      } else if (values.save !== undefined) {
        if (masked) {
          const key = randomBytes(32);
          writeFileSync(keyFile, `${key.toString('hex')}\n`, { mode: 0o600 });
          standIns = new StandIns(key);
        }
        writeFileSync(values.save, `${JSON.stringify(header)}\n`);
      }
      const reader = new Reader({
        accountSid: emulator ? 'AC00000000000000000000000000000000' : env.ACCOUNT_SID ?? '',
        authToken: emulator ? 'offline' : env.AUTH_TOKEN ?? '',
        baseUrl: emulator?.url ?? env.TWILIO_API_BASE_URL,
        concurrency,
        sleep: deps.sleep,
      });
      // Each chat identity that joined: is it in more conversations than the cap? With stand-ins it
      // is asked as soon as its conversation is read, while its value is at hand, and the answer saved
      // before it, so a restarted run has every answer for what it skips.
      const asked = new Set<string>();
      let counted = 0;
      const countIdentities = async (all: boolean) => {
        const identities = auditor.identitiesToCount().filter(({ service: sid, identity }) => !asked.has(`${sid}\u0000${identity}`));
        for (const { service: sid, identity } of identities) asked.add(`${sid}\u0000${identity}`);
        // A stand-in read back from a file has no value to ask about: its joins stay not checked.
        const known = identities.flatMap(({ service: sid, identity }) => {
          const raw = standIns ? standIns.rawOf(identity) : identity;
          return raw === undefined ? [] : [{ service: sid, identity: raw }];
        });
        // Every count ends before the run does, even when one fails: nothing is asked or saved after it.
        await allSettledOrFirstError(
          known.map(async ({ service: sid, identity }) => {
            const answer = await countIdentity(reader, sid, identity, settings.MAX_CONVERSATIONS_PER_IDENTITY);
            const fact = standIns ? { ...answer, identity: standIns.of(answer.identity) } : answer;
            if (values.save !== undefined) appendFileSync(values.save, `${JSON.stringify(fact)}\n`);
            auditor.addIdentity(fact);
            if (all) progress(`audit: ${++counted} of ${known.length} chat identities counted, ${reader.requests} requests`);
          }),
        );
      };
      // With stand-ins, the run judges what it saves: a restarted or replayed run judges the same.
      let read = 0;
      await readHistory(reader, { ...header.window, service: values.service }, concurrency, skip, async (got) => {
        const c = standIns ? maskedConversation(got, standIns) : got;
        await auditor.add(c);
        // Its identities' answers go before it: a file that holds a conversation holds them too.
        if (standIns) await countIdentities(false);
        if (values.save !== undefined) appendFileSync(values.save, `${JSON.stringify(c)}\n`);
        progress(`audit: ${++read} conversations read, ${reader.requests} requests`);
      });
      await countIdentities(true);
      progress('');
      if (standIns && standIns.shared > 0) {
        out.error(`audit: ${standIns.shared} stand-in${standIns.shared === 1 ? ' stands' : 's stand'} for more than one value read in this run: the report counts each as one author, participant or identity (docs/audit.md, "What is kept"); --keep-addresses keeps the values.`);
      }
      return report(auditor.finish(header.window, header.service), values, out);
    } finally {
      await emulator?.close();
    }
  } catch (error) {
    progress('');
    const kept = values.save !== undefined ? ` What was read is kept in ${values.save}; run again with the same --save to go on.` : '';
    if (error instanceof CredentialsError) out.error(`audit: ${error.message}: set ACCOUNT_SID and AUTH_TOKEN in ${envFile} (or in the shell) to the account's (or an API key's) credentials.`);
    else if (error instanceof UnknownServiceError) out.error(`audit: ${error.message}; --service takes a Conversations service SID (IS…) of this account.`);
    else if (error instanceof NetworkError) out.error(`audit: ${error.message}.${kept}`);
    else if (error instanceof SavedFileError) out.error(`audit: ${error.message}`);
    else if (error instanceof ConfigError) out.error(`audit: ${error.message}`);
    else if (error instanceof HttpError) out.error(`audit: ${error.message}.${kept}`);
    else throw error;
    return 1;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    current?.discard();
  }
}

function report(full: AuditReport, values: CommandLine<typeof OPTIONS>['values'], out: Out): number {
  const shown = values['show-addresses'] ? full : maskReport(full);
  out.log(formatReport(shown));
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(shown, null, 2)}\n`);
  if (values.html !== undefined) writeFileSync(values.html, renderHtml(shown));
  return 0;
}
