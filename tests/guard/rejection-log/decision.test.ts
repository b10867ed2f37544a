import { decidePreEvent } from '../../../src/guard/pre-event';
import { ACCOUNT_SID, CONVERSATION_SID, messageAdd, participantAdd, type FormFields } from '../../support/events';
import { file, files, mediaField } from '../../support/media';
import { AUTH_TOKEN } from '../../support/twilio-request';

const PATH = '/conversations/pre-event';
const ENV = { ACCOUNT_SID, AUTH_TOKEN, DOMAIN_NAME: 'guard-1234-dev.twil.io', SIGNATURE_CHECK: 'off' };

/** What the rejection log gets of one decision (payload rules only). */
async function logged(fields: FormFields, env: Record<string, string> = {}) {
  const decision = await decidePreEvent({ event: { ...fields, request: { headers: {}, cookies: {} } }, env: { ...ENV, ...env }, path: PATH }, { log: () => {} });
  return decision.logged;
}

describe('what a decision leaves in the rejection log', () => {
  it('a rejection: its rule, the 403 sentence, the conversation, the author and the channel', async () => {
    expect(await logged(messageAdd({ Body: 'x'.repeat(11), Author: 'agent-1' }), { MAX_CHAT_BODY_BYTES: '10' })).toEqual([
      {
        event: 'onMessageAdd',
        outcome: 'reject',
        rule: 'message.body.bytes',
        reason: 'The message body is 11 bytes (UTF-8); Twilio allows at most 10.',
        conversationSid: CONVERSATION_SID,
        author: 'agent-1',
        channel: 'web',
      },
    ]);
  });

  it('in shadow mode the rejection it would have been, as shadow-reject', async () => {
    expect((await logged(messageAdd({ Body: 'x'.repeat(11) }), { MAX_CHAT_BODY_BYTES: '10', GUARD_MODE: 'shadow' })).map((r) => r.outcome)).toEqual(['shadow-reject']);
  });

  it('an inbound MMS with more files than SMS allows: annotated, and logged as annotate with the rule', async () => {
    const records = await logged(messageAdd({ Author: '+15551234567', Source: 'SMS', Media: mediaField(files(2, 'jpg', 1000)) }, 'sms'));
    expect(records.map((r) => [r.outcome, r.rule, r.channel, r.author])).toEqual([['annotate', 'message.media.count', 'sms', '+15551234567']]);
  });

  it('an invalid configuration: fail-open, with the variable named', async () => {
    expect(await logged(participantAdd({ Identity: 'agent-2' }), { MAX_PARTICIPANTS: 'many' })).toEqual([
      expect.objectContaining({ outcome: 'fail-open', rule: 'guard.unavailable', reason: expect.stringContaining('MAX_PARTICIPANTS="many"'), author: 'agent-2' }),
    ]);
  });

  it('nothing for a plain allow', async () => {
    expect(await logged(messageAdd({ Body: 'hello' }))).toEqual([]);
  });

  it('masks the phone numbers and e-mail addresses a sentence quotes, in the record and in the decision log line, unless REJECTION_LOG=full', async () => {
    const media = mediaField([{ ...file('pdf', 17 * 1024 * 1024), filename: 'from jane@example.com and +15551234567.pdf' }]);
    const decide = async (env: Record<string, string>) => {
      const lines: Record<string, unknown>[] = [];
      const decision = await decidePreEvent({ event: { ...messageAdd({ Media: media }), request: { headers: {}, cookies: {} } }, env: { ...ENV, ...env }, path: PATH }, { log: (line) => lines.push(line) });
      return { logged: decision.logged, line: lines.find((l) => 'outcome' in l)! };
    };
    const masked = await decide({});
    expect(masked.line.reason).toMatch(/^The file "from j•••@example\.com and \+1•••••4567\.pdf" \(application\/pdf\) is /);
    expect(masked.logged[0]!.reason).toContain('jane@example.com'); // masked when kept: see keptRecord
    const full = await decide({ REJECTION_LOG: 'full' });
    expect(full.line.reason).toMatch(/^The file "from jane@example\.com and \+15551234567\.pdf" \(application\/pdf\) is /);
  });
});
