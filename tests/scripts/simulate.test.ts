/**
 * `npm run simulate` as a user runs it: the real script in a child process, with its own emulator and
 * local Functions runtime. It builds dist/ first, so it runs in a copy of the project, whose dist/
 * no other test reads. The assertions read the table it prints.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { copyProject, removeProject } from './project-copy';

jest.setTimeout(90_000);

interface PrintedRow {
  step: string;
  what: string;
  decision: string;
  rule: string;
  reason: string;
}

function tableRows(output: string): PrintedRow[] {
  return output
    .split('\n')
    .filter((line) => /^\| \d/.test(line))
    .map((line) => line.slice(1, -1).split(' | ').map((cell) => cell.trim()))
    .map(([step, , , what, decision, rule, reason]) => ({ step: step!, what: what!, decision: decision!, rule: rule!.replace(/`/g, ''), reason: reason! }));
}

let output: string;
let project: string;

beforeAll(async () => {
  project = copyProject('simulate-');
  const { stdout } = await promisify(execFile)(process.execPath, [require.resolve('tsx/cli'), join(project, 'scripts', 'simulate.ts')], { cwd: project, timeout: 80_000 });
  output = stdout;
});
afterAll(() => removeProject(project));

test('builds the functions it plays against first', () => {
  expect(output).toMatch(/^Built \d+ function\(s\): /);
  expect(existsSync(join(project, 'dist', 'functions', 'conversations', 'pre-event.protected.js'))).toBe(true);
});

test('prints each decision with its rule id, in the order played', () => {
  expect(tableRows(output).map(({ step, what, decision, rule }) => [step, what, decision, rule])).toEqual([
    ['1', 'an SMS customer joins', 'accepted', ''],
    ['2', 'a 2,000-character message', 'rejected', 'message.fanout.sms.body-chars'],
    ['3', 'a 20 MB video attachment', 'rejected', 'message.media.file-size'],
    ['4', 'SMS participant #50 joins', 'accepted', ''],
    ['4', 'SMS participant #51 joins', 'rejected', 'participant.non-chat.count'],
    ['4', 'SMS participants #52–#60 join', 'rejected ×9', 'participant.non-chat.count'],
    ['5', 'bot messages 1–10, back to back', 'accepted ×10', ''],
    ['5', 'bot message 11', 'rejected', 'rate.bot-loop'],
  ]);
});

test('shows the guard’s reasons with the limits they name', () => {
  const reasons = tableRows(output).map((r) => r.reason);
  expect(reasons[1]).toBe('The message body is 2,000 characters; SMS delivery allows at most 1,600.');
  expect(reasons[2]).toContain('20,971,520 bytes');
  expect(reasons[4]).toContain('is 51 participants; a conversation allows at most 50.');
  expect(reasons[7]).toMatch(/^Too many actions from this author: rate limit "bot-loop" allows 10 per 10 seconds; retry in \d+ ms\.$/);
});

test('prints the rate rule it configured, a summary and the next commands', () => {
  expect(output).toContain('RATE_LIMITS="bot-loop=10/10s per author"');
  expect(output).toContain('25 webhooks: 12 accepted, 13 rejected by 4 rules.');
  expect(output).toMatch(/npm start.*npm run send-event/);
});
